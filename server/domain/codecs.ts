/**
 * Codecs of the domain's stored records: what a record read back from the state store must look
 * like before anything trusts it. Each is annotated with its domain type, so a field added to the
 * type with a shape the codec does not produce fails to compile. Objects are loose: a field written
 * by a newer node survives being read and written back by an older one.
 */
import { z } from 'zod';
import { CAPTION_LANGUAGES, SPEAKER_ROLES, type Cue } from './captions.ts';
import { CASE_TYPES, COURT_LANGUAGES, INGEST_PROTOCOLS, PRIVACY_GROUNDS, SOURCE_NAME, SOURCE_PROTOCOLS, type Court, type Courtroom, type Hearing } from './courts.ts';
import { BROADCAST_SCOPES, OBJECTORS, type ActorRef, type GovernanceRecord } from './governance.ts';
import type { CourtId, CourtroomId, HearingId } from './ids.ts';
import { MASK_KINDS, STANDING_MASK_KINDS, type Mask } from './masks.ts';
import { PROGRAM_PHASES, type BroadcastProgram } from './program.ts';
import { LAYOUTS } from './layouts.ts';
import { ROLES, type User } from './users.ts';

const courtId = z.custom<CourtId>((v) => typeof v === 'string');
const courtroomId = z.custom<CourtroomId>((v) => typeof v === 'string');
const hearingId = z.custom<HearingId>((v) => typeof v === 'string');
const region = z.looseObject({ x: z.number(), y: z.number(), w: z.number(), h: z.number() });

const courtCaptions = z.object({ languages: z.array(z.enum(CAPTION_LANGUAGES)).readonly(), hidden: z.enum(['marker', 'drop']), voiceHidesText: z.boolean() });
export const courtCodec: z.ZodType<Court> = z.looseObject({ id: courtId, name: z.string(), timezone: z.string(), timeOverlay: z.boolean().optional(), language: z.enum(COURT_LANGUAGES).optional(), captions: courtCaptions.optional() });

export const courtroomCodec: z.ZodType<Courtroom> = z.looseObject({
  id: courtroomId,
  courtId,
  name: z.string(),
  ingest: z.enum(INGEST_PROTOCOLS),
  srtPort: z.number().int().optional(),
  camera: z.looseObject({ url: z.string(), transport: z.enum(['tcp', 'udp']) }).optional(),
  streamKey: z.string(),
  keyRotatedAt: z.string(),
  presets: z.array(z.looseObject({ name: z.string(), region, key: z.string().optional() })).optional(),
  sources: z
    .array(
      z.looseObject({
        name: z.string().regex(SOURCE_NAME),
        label: z.string(),
        ingest: z.enum(SOURCE_PROTOCOLS),
        streamKey: z.string().optional(),
        camera: z.looseObject({ url: z.string(), transport: z.enum(['tcp', 'udp']) }).optional(),
        srtPort: z.number().int().optional(),
      }),
    )
    .optional(),
  program: z.looseObject({ layout: z.enum(LAYOUTS), cameras: z.array(z.string()), sound: z.string() }).optional(),
});

export const hearingCodec: z.ZodType<Hearing> = z.looseObject({
  id: hearingId,
  courtId,
  courtroomId,
  caseNumber: z.string(),
  title: z.string(),
  caseType: z.enum(CASE_TYPES),
  scheduledStart: z.string(),
  delaySeconds: z.number(),
  isPublic: z.boolean(),
  status: z.enum(['scheduled', 'live', 'ended']),
  grounds: z.array(z.looseObject({ ground: z.enum(PRIVACY_GROUNDS), text: z.string().optional() })).optional(),
  standingMasks: z.array(z.looseObject({ name: z.string(), kind: z.enum(STANDING_MASK_KINDS), region: region.optional(), pitch: z.number().optional(), source: z.string().optional() })).optional(),
  version: z.number().int().optional(),
});

export const userCodec: z.ZodType<User> = z.looseObject({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  roles: z.array(z.enum(ROLES)),
  courtroomIds: z.array(z.string()),
  courtIds: z.array(z.string()).optional(),
  passwordHash: z.string(),
  disabled: z.boolean(),
  tokensValidAfter: z.number().optional(),
  pendingGrant: z.looseObject({ courtIds: z.array(z.string()), requestedBy: z.looseObject({ userId: z.string(), username: z.string() }), requestedAt: z.number() }).optional(),
});

const actor: z.ZodType<ActorRef> = z.looseObject({ userId: z.string(), username: z.string() });
const decision = <O extends string>(outcomes: readonly [O, ...O[]]) => z.looseObject({ outcome: z.enum(outcomes), reason: z.string(), by: actor, at: z.number() });

export const governanceCodec: z.ZodType<GovernanceRecord> = z.looseObject({
  hearingId: z.string(),
  applications: z.array(
    z.looseObject({
      id: z.string(),
      scopes: z.array(z.enum(BROADCAST_SCOPES)),
      grounds: z.string(),
      filedBy: actor,
      filedAt: z.number(),
      decision: decision(['approved', 'refused']).extend({ terms: z.string() }).optional(),
      revoked: z.looseObject({ reason: z.string(), by: actor, at: z.number() }).optional(),
    }),
  ),
  objections: z.array(
    z.looseObject({
      id: z.string(),
      objector: z.enum(OBJECTORS),
      name: z.string(),
      ground: z.string(),
      filedAt: z.number(),
      recordedBy: actor,
      decision: decision(['upheld', 'dismissed']).optional(),
    }),
  ),
  reviews: z.array(
    z.looseObject({
      id: z.string(),
      checklist: z.looseObject({ personalData: z.boolean(), minors: z.boolean(), masks: z.boolean() }),
      note: z.string().nullable(),
      by: actor,
      at: z.number(),
      subject: z.string(),
    }),
  ),
  version: z.number().int().optional(),
});

/** A mask as stored in a program and as a node reports it to another. */
export const maskCodec: z.ZodType<Mask> = z.looseObject({
  id: z.string(),
  kind: z.enum(MASK_KINDS),
  region: region.optional(),
  pitch: z.number().optional(),
  start: z.number(),
  end: z.number().nullable(),
  exactEnd: z.boolean().optional(),
  standing: z.string().optional(),
  on: z.looseObject({ source: z.string(), region }).optional(),
  of: z.string().optional(),
});
const span = z.looseObject({ start: z.number(), end: z.number() });

export const programCodec: z.ZodType<BroadcastProgram> = z.looseObject({
  phase: z.enum(PROGRAM_PHASES),
  onAir: z.array(z.looseObject({ start: z.number(), end: z.number().nullable() })),
  dumped: z.array(span),
  withdrawn: z.array(span).optional(),
  masks: z.array(maskCodec).optional(),
  arrangements: z.array(z.looseObject({ at: z.number(), layout: z.enum(LAYOUTS), cameras: z.array(z.string()) })).optional(),
  parked: z.array(maskCodec).optional(),
  endedAt: z.number().nullable(),
  lastActionAt: z.number(),
});

/** A caption cue as a hearing's caption log stores it. */
export const cueCodec: z.ZodType<Cue> = z.object({
  id: z.string(),
  lang: z.enum(CAPTION_LANGUAGES),
  text: z.string(),
  speaker: z.enum(SPEAKER_ROLES).optional(),
  start: z.number(),
  end: z.number(),
  revision: z.number().int(),
  receivedAt: z.number(),
});
