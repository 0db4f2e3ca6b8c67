import type { Hearing } from './courts.ts';

/**
 * What the public is told about a hearing. It follows what the delay line has aired, never the
 * clerk's buttons: a pause becomes "paused" when the paused slate reaches viewers, D seconds on.
 */
export type PublicState = 'scheduled' | 'starting' | 'live' | 'paused' | 'interrupted' | 'not-broadcast' | 'ended' | 'replay' | 'withheld';

/** Whether a supervisor has published an ended hearing's replay, or withheld it. */
export const REPLAY_DECISIONS = ['published', 'withheld'] as const;
/** A replay decision. */
export type ReplayDecision = (typeof REPLAY_DECISIONS)[number];

/** The slot outcomes the delay line reports: program media, or the slate that stood in. */
export const AIRED_OUTCOMES = ['aired', 'starting', 'paused', 'interrupted', 'ended', 'no-broadcast', 'standby'] as const;
/** A slot outcome. */
export type AiredOutcome = (typeof AIRED_OUTCOMES)[number];

/** A hearing's public state, and since when it has been airing (ms since the epoch), if it airs. */
export interface PublicStatus {
  readonly hearingId: string;
  readonly state: PublicState;
  readonly since: number | null;
  /**
   * What aired before `since`, while the hearing is live: a player that joins just after a change
   * plays a little behind the live edge, where the picture still shows this.
   */
  readonly previous?: PublicState;
  /**
   * The public slot (its media sequence number) that first aired `state`, while the hearing is
   * live: a player that joins just after a change tells when its picture reaches it by that slot.
   */
  readonly sinceSlot?: number;
  readonly delaySeconds: number;
  readonly scheduledStart: string;
}

const FROM_OUTCOME: Readonly<Record<AiredOutcome, PublicState>> = {
  aired: 'live',
  starting: 'starting',
  paused: 'paused',
  // A cut and an encoder gone both leave the public waiting for the picture to come back.
  interrupted: 'interrupted',
  standby: 'interrupted',
  'no-broadcast': 'not-broadcast',
  ended: 'ended',
};

/** The public state a live hearing's slot outcome shows. */
export const stateOfOutcome = (outcome: AiredOutcome): PublicState => FROM_OUTCOME[outcome];

/**
 * The public state of a hearing from its registry status, the last slot that reached the public
 * (null before its first) and, once it has ended, what a supervisor decided about its replay.
 */
export function publicStateOf(h: Pick<Hearing, 'status' | 'isPublic'>, lastAired: AiredOutcome | null, replay: ReplayDecision | null = null): PublicState {
  if (!h.isPublic) return 'not-broadcast';
  if (h.status === 'ended') return replay === 'published' ? 'replay' : replay === 'withheld' ? 'withheld' : 'ended';
  if (h.status === 'scheduled') return 'scheduled';
  return lastAired === null ? 'starting' : FROM_OUTCOME[lastAired];
}
