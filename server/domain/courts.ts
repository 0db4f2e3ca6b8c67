import type { CourtId, CourtroomId, HearingId } from './ids.ts';
import type { Layout } from './layouts.ts';
import type { CaptionLanguage, CaptionPolicy } from './captions.ts';
import type { StandingKind } from './masks.ts';

/** The languages a court's slates and cards speak: one, or both (Chinese above English). */
export const COURT_LANGUAGES = ['en', 'zh-CN', 'bilingual'] as const;
/** A court's language. */
export type CourtLanguage = (typeof COURT_LANGUAGES)[number];

/** A court: the institution that holds hearings. */
export interface Court {
  readonly id: CourtId;
  readonly name: string;
  readonly timezone: string;
  /** False for a court that shows the time in the courtroom picture itself; absent means true. */
  readonly timeOverlay?: boolean;
  /** What its slates say to the public; absent means English (courts made before it existed). */
  readonly language?: CourtLanguage;
  /** The subtitles its hearings publish, and what words a mask hides become; absent: no captions. */
  readonly captions?: CourtCaptions;
}

/** A court's captions: a subtitle rendition per language, and its policy for hidden words. */
export type CourtCaptions = CaptionPolicy & { readonly languages: readonly CaptionLanguage[] };

/** How a courtroom's picture reaches us, in the order they are listed: pushed by an encoder (RTMP shares one port; SRT gets a port per courtroom), or pulled from an IP camera over RTSP. */
export const INGEST_PROTOCOLS = ['rtmp', 'srt', 'rtsp'] as const;
export type IngestProtocol = (typeof INGEST_PROTOCOLS)[number];

/** How the server reaches a courtroom's IP camera over RTSP. */
export interface CameraSource {
  /** Secret: the camera's RTSP URL, credentials included. Never returned, logged or put on a command line. */
  readonly url: string;
  /** RTP over the RTSP connection (interleaved), or over UDP. */
  readonly transport: 'tcp' | 'udp';
}

/** What of a camera may be shown: its URL without credentials, and whether it has any. */
export interface CameraView {
  readonly url: string;
  readonly transport: 'tcp' | 'udp';
  readonly credentials: boolean;
}

/** A camera as staff may see it. Pure. */
export function cameraView(c: CameraSource): CameraView {
  const u = new URL(c.url);
  const credentials = u.username !== '' || u.password !== '';
  u.username = '';
  u.password = '';
  return { url: u.toString(), transport: c.transport, credentials };
}

/** A courtroom with its encoder's secret stream key. */
export interface Courtroom {
  readonly id: CourtroomId;
  readonly courtId: CourtId;
  readonly name: string;
  readonly ingest: IngestProtocol;
  /** Only for SRT: the UDP port the courtroom's listener binds. */
  readonly srtPort?: number;
  /** Only for RTSP: the IP camera the server pulls. */
  readonly camera?: CameraSource;
  /** Secret. Never returned by public endpoints. */
  readonly streamKey: string;
  readonly keyRotatedAt: string;
  /** Named mask regions an admin defines once ("witness box") and clerks apply with one click. */
  readonly presets?: readonly MaskPreset[];
  /** The courtroom's further cameras (the bench, the witness box, the evidence screen…), beside its own feed. */
  readonly sources?: readonly CourtroomSource[];
  /** How its program picture is composed from its cameras; absent, the program is its own feed. */
  readonly program?: CourtroomProgram;
}

/** The name the courtroom's own feed (its encoder, or its camera) goes by in a layout: no source may take it. */
export const MAIN_CAMERA = 'main';

/**
 * A courtroom's program picture composed from its cameras (issue 29): the layout, the cameras in
 * its tiles in order (`main` or a source's name), and the camera whose sound the program carries.
 */
export interface CourtroomProgram {
  readonly layout: Layout;
  readonly cameras: readonly string[];
  readonly sound: string;
}

/**
 * How a further camera reaches us: pushed over RTMP under a key of its own, pushed over SRT to a
 * listener of its own (the key is the passphrase), or pulled over RTSP.
 */
export const SOURCE_PROTOCOLS = ['rtmp', 'srt', 'rtsp'] as const;
export type SourceProtocol = (typeof SOURCE_PROTOCOLS)[number];

/**
 * Whether each way in has the camera's encoder push to us with its key (RTMP, SRT, or WHIP with the
 * same key), so the key is the admin's to hand out and to rotate, or has the server pull (RTSP),
 * so the key is the server's own and shown to nobody. Declared per protocol: a new protocol that
 * does not say which it is does not compile, rather than falling to either side by default.
 */
const PUSHED: Readonly<Record<SourceProtocol | IngestProtocol, boolean>> = { rtmp: true, srt: true, rtsp: false };

/** Whether a camera's encoder pushes to us with its key (see PUSHED). Pure. */
export const isPushed = (ingest: SourceProtocol | IngestProtocol): boolean => PUSHED[ingest];

/** A source's name: lower-case letters, digits and dashes, as the console and the archive name it. */
export const SOURCE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Most further cameras one courtroom has. */
export const MAX_SOURCES = 8;

/** One of a courtroom's further cameras. */
export interface CourtroomSource {
  readonly name: string;
  /** What the console shows ("Witness box"). */
  readonly label: string;
  readonly ingest: SourceProtocol;
  /**
   * Secret: the key its stream is published into the ingest with, by its encoder (pushed; shown to
   * admins) or by the server's own relay (pulled; shown to nobody).
   */
  readonly streamKey?: string;
  /** RTSP sources only: the camera the server pulls. */
  readonly camera?: CameraSource;
  /** SRT sources only: the UDP port its listener binds (no other courtroom or camera has it). */
  readonly srtPort?: number;
}

/** The UDP ports a list of cameras' SRT listeners bind, in list order. Pure. */
export const srtPortsOfSources = (sources: readonly Pick<CourtroomSource, 'srtPort'>[]): number[] => sources.flatMap((x) => (x.srtPort === undefined ? [] : [x.srtPort]));

/**
 * Where the ingest keeps a source's stream: beside its courtroom's, under a name of its own, so it
 * gets its own clock and is never taken for the courtroom's feed. Pure.
 */
export const sourceStreamId = (courtroomId: string, source: string): string => `${courtroomId}.${source}`;

/**
 * Where the ingest keeps a courtroom's composed program picture (issue 29): a stream the server
 * publishes to itself, named so that it is neither the courtroom's feed nor one of its cameras
 * (`~` is in no courtroom id and no source name). Pure.
 */
export const programStreamId = (courtroomId: string): string => `${courtroomId}~program`;

/** Whether a stream id is a courtroom's composed program. Pure. */
export const isProgramStream = (streamId: string): boolean => streamId.endsWith('~program');

/** The courtroom and source of a source's stream id, or null for a courtroom's own feed. Pure. */
export function sourceOfStream(streamId: string): { readonly courtroomId: string; readonly source: string } | null {
  const dot = streamId.indexOf('.');
  if (dot < 0) return null;
  const source = streamId.slice(dot + 1);
  return SOURCE_NAME.test(source) ? { courtroomId: streamId.slice(0, dot), source } : null;
}

/** A named region of a courtroom's picture, with an optional one-key shortcut. */
export interface MaskPreset {
  readonly name: string;
  readonly region: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly key?: string;
}

/** What kind of case is heard; drives nothing yet but is shown on public schedules. */
export const CASE_TYPES = ['civil', 'criminal', 'administrative', 'family', 'appeal', 'other'] as const;
/** A case type. */
export type CaseType = (typeof CASE_TYPES)[number];

/** Where a hearing is in its life. */
export type HearingStatus = 'scheduled' | 'live' | 'ended';

/**
 * Why a hearing, or part of it, must be kept from the public. A hearing heard in private
 * (`isPublic` false) is never broadcast; a public hearing with a ground (one witness's privacy,
 * say) may be broadcast only with the standing masks it requires.
 */
export const PRIVACY_GROUNDS = ['state-secret', 'trade-secret', 'personal-privacy', 'juvenile', 'other'] as const;
/** A ground for privacy. */
export type PrivacyGroundKind = (typeof PRIVACY_GROUNDS)[number];

/** A ground for privacy; `other` says what in words. */
export interface PrivacyGround {
  readonly ground: PrivacyGroundKind;
  readonly text?: string;
}


/**
 * A mask a hearing requires from the moment it opens until it ends, which no clerk can lift: the
 * condition on which a restricted hearing may be broadcast at all.
 */
export interface StandingMask {
  readonly name: string;
  readonly kind: StandingKind;
  readonly region?: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly pitch?: number;
  /**
   * The camera the region is drawn on (`main`, or a source's name): the witness camera blurred
   * for a protected witness, wherever the program's layout puts its tile. Absent: the program.
   */
  readonly source?: string;
}

/** A scheduled hearing and its broadcast policy. */
export interface Hearing {
  readonly id: HearingId;
  readonly courtId: CourtId;
  readonly courtroomId: CourtroomId;
  readonly caseNumber: string;
  readonly title: string;
  readonly caseType: CaseType;
  readonly scheduledStart: string;
  /** The public delay D in seconds. */
  readonly delaySeconds: number;
  readonly isPublic: boolean;
  readonly status: HearingStatus;
  /** Grounds for privacy; absent on hearings made before governance, which read as none. */
  readonly grounds?: readonly PrivacyGround[];
  /** Masks required for the whole broadcast; see StandingMask. */
  readonly standingMasks?: readonly StandingMask[];
  /** How many times the record was changed (compare-and-set in the state store); absent on older records. */
  readonly version?: number;
}

/** The bounds on D that the deployment allows. */
export interface DelayPolicy {
  readonly minSeconds: number;
  readonly maxSeconds: number;
}

/** Whether D lies within the policy. */
export function delayAllowed(policy: DelayPolicy, seconds: number): boolean {
  return Number.isFinite(seconds) && seconds >= policy.minSeconds && seconds <= policy.maxSeconds;
}

/** The public view of a hearing: everything but what only staff may see. */
export type PublicHearing = Pick<Hearing, (typeof PUBLIC_HEARING_FIELDS)[number]> & { readonly courtName: string };

/**
 * The fields of a hearing the public may read, listed rather than subtracted: a field added to
 * the hearing later (as the privacy grounds and standing masks once were) stays private until it
 * is listed here.
 */
export const PUBLIC_HEARING_FIELDS = ['id', 'courtroomId', 'caseNumber', 'title', 'caseType', 'scheduledStart', 'delaySeconds', 'isPublic', 'status'] as const;

/** The public view of a hearing. */
export function publicHearing(h: Hearing, courtName: string): PublicHearing {
  const out: Partial<Record<(typeof PUBLIC_HEARING_FIELDS)[number], unknown>> = {};
  for (const f of PUBLIC_HEARING_FIELDS) out[f] = h[f];
  return { ...(out as Pick<Hearing, (typeof PUBLIC_HEARING_FIELDS)[number]>), courtName };
}
