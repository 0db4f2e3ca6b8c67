import type { CourtId, CourtroomId, HearingId } from './ids.ts';

/** A court: the institution that holds hearings. */
export interface Court {
  readonly id: CourtId;
  readonly name: string;
  readonly timezone: string;
}

/** How a courtroom's encoder reaches us. RTMP shares one port; SRT gets a port per courtroom. */
export type IngestProtocol = 'rtmp' | 'srt';

/** A courtroom with its encoder's secret stream key. */
export interface Courtroom {
  readonly id: CourtroomId;
  readonly courtId: CourtId;
  readonly name: string;
  readonly ingest: IngestProtocol;
  /** Only for SRT: the UDP port the courtroom's listener binds. */
  readonly srtPort?: number;
  /** Secret. Never returned by public endpoints. */
  readonly streamKey: string;
  readonly keyRotatedAt: string;
  /** Named mask regions an admin defines once ("witness box") and clerks apply with one click. */
  readonly presets?: readonly MaskPreset[];
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
export type PublicHearing = Omit<Hearing, 'courtId'> & { readonly courtName: string };
