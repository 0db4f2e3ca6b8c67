import { z } from 'zod';
import { switchRequestFields, switchRules } from '../domain/switch-request.ts';
import { HTTP_BROADCAST_COMMANDS } from '../domain/commands.ts';
import { CAPTION_LANGUAGES } from '../domain/captions.ts';
import { cueRequestSchema } from '../domain/cue-request.ts';
import { CASE_TYPES, COURT_LANGUAGES, INGEST_PROTOCOLS, MAIN_CAMERA, MAX_SOURCES, PRIVACY_GROUNDS, SOURCE_NAME, SOURCE_PROTOCOLS, srtPortsOfSources } from '../domain/courts.ts';
import { isRegionKind, maskPolicy, STANDING_MASK_KINDS } from '../domain/masks.ts';
import { BROADCAST_SCOPES, OBJECTORS } from '../domain/governance.ts';
import { ID_PATTERN } from '../domain/ids.ts';
import { ROLES } from '../domain/users.ts';
import { maskIdSchema, maskRequestSchema, regionSchema } from '../domain/mask-request.ts';

/** Path parameter: an opaque id. */
export const idParam = z.string().regex(ID_PATTERN, 'not a valid id');

const text = (max: number) => z.string().trim().min(1).max(max);

/** A court's captions: the subtitle renditions its hearings publish, and its policy for hidden words. */
const courtCaptions = z
  .object({
    languages: z
      .array(z.enum(CAPTION_LANGUAGES))
      .min(1)
      .max(CAPTION_LANGUAGES.length)
      .refine((l) => new Set(l).size === l.length, 'each language once'),
    /** What words a mask hides become: the "inaudible" marker, or nothing. */
    hidden: z.enum(['marker', 'drop']).default('marker'),
    /** Whether a distorted voice's words are hidden too. */
    voiceHidesText: z.boolean().default(false),
  })
  .strict();

/** POST /api/courts */
export const newCourtBody = z
  .object({
    name: text(200),
    timezone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'not an IANA time zone')
      .default('UTC'),
    /** False when the courtroom's own picture already shows the time. */
    timeOverlay: z.boolean().default(true),
    /** What the court's slates and cards say: English, Chinese, or both. */
    language: z.enum(COURT_LANGUAGES).default('en'),
    /** The subtitles its hearings publish; absent: none. */
    captions: courtCaptions.optional(),
  })
  .strict();

/** PUT /api/courts/:courtId/captions: the court's captions from now on, or null for none. */
export const courtCaptionsBody = z.object({ captions: courtCaptions.nullable() }).strict();

/**
 * An IP camera's RTSP URL: rtsp://[user:password@]host[:port]/path, printable ASCII without quotes
 * or backslashes (it is written, quoted, into the file FFmpeg reads it from).
 */
const rtspUrl = z
  .string()
  .max(500)
  .regex(/^rtsp:\/\/[\x21-\x7e]+$/, 'an rtsp:// URL of printable characters')
  .refine((u) => !/['"\\]/.test(u), 'no quotes or backslashes (percent-encode them)')
  .refine((u) => URL.canParse(u) && new URL(u).hostname !== '', 'a URL with a host');

/** The UDP port an SRT listener binds (unprivileged). */
const srtPort = z.number().int().min(1024).max(65_535);

/** POST /api/courts/:courtId/courtrooms */
export const newCourtroomBody = z
  .object({
    name: text(200),
    ingest: z.enum(INGEST_PROTOCOLS).default('rtmp'),
    srtPort: srtPort.optional(),
    camera: z.object({ url: rtspUrl, transport: z.enum(['tcp', 'udp']).default('tcp') }).strict().optional(),
  })
  .strict()
  .refine((b) => (b.ingest === 'rtsp') === (b.camera !== undefined), { message: 'an RTSP courtroom needs its camera, and only it has one', path: ['camera'] });

/** A source's name in a path. */
export const sourceNameParam = z.string().regex(SOURCE_NAME, 'not a source name');

/** PUT /api/courtrooms/:id/sources: the courtroom's further cameras, each pushed over RTMP or SRT, or pulled over RTSP. */
export const sourcesBody = z
  .array(
    z
      .object({
        name: z.string().regex(SOURCE_NAME, 'a name of lower-case letters, digits and dashes, starting with a letter (at most 32)').refine((n) => n !== MAIN_CAMERA, '`main` is the courtroom’s own feed'),
        label: text(60),
        ingest: z.enum(SOURCE_PROTOCOLS).default('rtmp'),
        camera: z.object({ url: rtspUrl, transport: z.enum(['tcp', 'udp']).default('tcp') }).strict().optional(),
        srtPort: srtPort.optional(),
      })
      .strict()
      .refine((x) => (x.ingest === 'rtsp') === (x.camera !== undefined), { message: 'an RTSP source needs its camera, and only it has one', path: ['camera'] })
      .refine((x) => (x.ingest === 'srt') === (x.srtPort !== undefined), { message: 'an SRT source needs its srtPort, and only it has one', path: ['srtPort'] }),
  )
  .max(MAX_SOURCES)
  .refine((l) => new Set(l.map((x) => x.name)).size === l.length, 'source names must be unique')
  .refine((l) => new Set(srtPortsOfSources(l)).size === srtPortsOfSources(l).length, 'each SRT source needs a port of its own');

/**
 * PUT /api/courtrooms/:id/program: how the program picture is composed. The cameras are `main`
 * (the courtroom's own feed) or its sources' names, each once, no more than the layout has tiles;
 * the sound is one of them. Whether the sources exist is the registry's to check.
 */
export const programBody = switchRules(z.object({ ...switchRequestFields, sound: z.string().regex(SOURCE_NAME).default(MAIN_CAMERA) }).strict())
  .refine((b) => b.sound === MAIN_CAMERA || b.cameras.includes(b.sound), { message: 'the sound comes from the courtroom feed or a camera in the layout', path: ['sound'] });

/** A ground for privacy; "other" must say what. */
const privacyGround = z
  .object({ ground: z.enum(PRIVACY_GROUNDS), text: text(500).optional() })
  .strict()
  .refine((g) => g.ground !== 'other' || g.text !== undefined, { message: 'say what the other ground is in text', path: ['text'] });

/** A mask the hearing requires throughout. */
const standingMask = z
  .object({ name: text(60), kind: z.enum(STANDING_MASK_KINDS), region: regionSchema.optional(), pitch: z.number().min(0.5).max(2).optional(), source: z.string().regex(SOURCE_NAME, 'not a camera name').optional() })
  .strict()
  .refine((m) => m.source === undefined || isRegionKind(m.kind), { message: 'a camera is named only with a region drawn on it', path: ['source'] })
  .refine((m) => (isRegionKind(m.kind) ? m.region !== undefined && m.region.x + m.region.w <= 1 && m.region.y + m.region.h <= 1 : m.region === undefined), {
    message: 'black, blur and pixelate need a region inside the picture; mute and voice take none',
    path: ['region'],
  })
  .refine((m) => maskPolicy(m.kind).sound !== 'pitch' || (m.pitch !== undefined && Math.abs(m.pitch - 1) >= 0.05), { message: 'voice needs a pitch away from 1', path: ['pitch'] });

/** What a hearing's privacy restrictions are, as filed and as changed. */
const restrictionFields = {
  isPublic: z.boolean(),
  grounds: z.array(privacyGround).max(10).optional(),
  standingMasks: z
    .array(standingMask)
    .max(10)
    .refine((l) => new Set(l.map((m) => m.name.toLowerCase())).size === l.length, 'standing mask names must be unique')
    .optional(),
};

/** POST /api/hearings */
export const newHearingBody = z
  .object({
    courtroomId: idParam,
    caseNumber: text(64),
    title: text(300),
    caseType: z.enum(CASE_TYPES),
    scheduledStart: z.iso.datetime({ offset: true }),
    delaySeconds: z.number().finite().optional(),
    ...restrictionFields,
  })
  .strict();

/** PATCH /api/hearings/:id: the details and restrictions; D is fixed once scheduled. */
export const hearingPatchBody = z
  .object({
    caseNumber: text(64).optional(),
    title: text(300).optional(),
    caseType: z.enum(CASE_TYPES).optional(),
    scheduledStart: z.iso.datetime({ offset: true }).optional(),
    ...restrictionFields,
    isPublic: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');

const reason = text(2000);

/** POST /api/hearings/:id/applications */
export const applicationBody = z.object({ scopes: z.array(z.enum(BROADCAST_SCOPES)).min(1).max(2), grounds: reason }).strict();

/** POST /api/hearings/:id/applications/:applicationId/decision */
export const applicationDecisionBody = z.object({ outcome: z.enum(['approved', 'refused']), reason }).strict();

/** POST /api/hearings/:id/approval/revoke */
export const revokeBody = z.object({ reason }).strict();

/** POST /api/hearings/:id/objections */
export const objectionBody = z.object({ objector: z.enum(OBJECTORS), name: text(200), ground: reason }).strict();

/** POST /api/hearings/:id/objections/:objectionId/ruling */
export const rulingBody = z.object({ outcome: z.enum(['upheld', 'dismissed']), reason }).strict();

/** POST /api/hearings/:id/reviews */
export const reviewBody = z
  .object({ checklist: z.object({ personalData: z.boolean(), minors: z.boolean(), masks: z.boolean() }).strict(), note: text(2000).optional() })
  .strict();

/** An application or objection id in a path. */
export const governanceIdParam = z.string().regex(/^(?:ap|ob)_[A-Za-z0-9]{8,40}$/, 'not a valid application or objection id');

/** POST /api/hearings/:id/broadcast/:command */
export const commandParam = z.enum(HTTP_BROADCAST_COMMANDS);

/** Optional body of a broadcast command. Reasons become mandatory with the audit trail. */
export const commandBody = z.object({ reason: z.string().trim().max(500).optional() }).strict();

/** POST /api/auth/login */
export const loginBody = z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(200) }).strict();

const roles = z.array(z.enum(ROLES)).min(1).max(ROLES.length);
const password = z.string().min(12, 'use at least 12 characters').max(200);

/** POST /api/users */
export const newUserBody = z
  .object({
    username: z.string().regex(/^[a-z0-9._-]{2,40}$/, 'lower-case letters, digits, dot, dash, underscore; 2-40'),
    displayName: text(100).optional(),
    password,
    roles,
    courtroomIds: z.array(idParam).max(200).optional(),
    courtIds: z.array(idParam).max(200).optional(),
  })
  .strict();

/** PATCH /api/users/:id */
export const userPatchBody = z
  .object({
    displayName: text(100).optional(),
    password: password.optional(),
    roles: roles.optional(),
    courtroomIds: z.array(idParam).max(200).optional(),
    courtIds: z.array(idParam).max(200).optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

/** POST /api/users/:id/approver-grant */
export const grantDecisionBody = z.object({ outcome: z.enum(['confirmed', 'refused']) }).strict();

/** POST /api/hearings/:id/masks */
export const newMaskBody = maskRequestSchema;

/** POST /api/hearings/:id/captions: one cue, or a correction of one by its id. */
export const cueBody = cueRequestSchema;

/** POST /api/hearings/:id/program/switch: the layout and the cameras in its tiles, and why if the clerk says. */
export const switchBody = switchRules(z.object({ ...switchRequestFields, reason: text(500).optional() }).strict());

/** A mask id in a path. */
export const maskIdParam = maskIdSchema;

/** PUT /api/courtrooms/:id/presets */
export const presetsBody = z
  .array(
    z
      .object({
        name: text(60),
        region: regionSchema,
        key: z.string().regex(/^[1-9a-wyzA-WYZ]$/, 'one letter or digit (X is the cut key)').optional(),
      })
      .strict(),
  )
  .max(20);
