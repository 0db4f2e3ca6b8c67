/** How far the transcoder trailed the ingest at one instant (capture time of its output against arrivals). */
export interface BacklogSample {
  readonly at: number;
  readonly backlogMs: number;
}

/** Whether the transcoder keeps real time. */
export type LoadState = 'keeping-up' | 'falling-behind';

/** When a backlog counts as falling behind, and when as caught up again. */
export interface OverloadPolicy {
  /** A backlog above this for the whole window, and larger at its end than at its start, is falling behind. */
  readonly behindMs: number;
  readonly windowMs: number;
  /** Caught up again once the backlog has stayed below this for the whole window. */
  readonly caughtUpMs: number;
}

/**
 * On a machine that keeps up, the transcoder trails the ingest by a segment and its encoding time
 * (1.3 s at the median and 2.3 s at p99 in the delay bench; 3.6 s at p99 under a storm of 45
 * masks): falling behind means above that, and still growing, for ten seconds.
 */
export const DEFAULT_OVERLOAD: OverloadPolicy = { behindMs: 4_000, windowMs: 10_000, caughtUpMs: 2_500 };

/**
 * The load state after `samples` (oldest first), with hysteresis: it changes only when the whole
 * last window says so, so one slow segment neither raises nor clears it. Pure.
 */
export function nextLoadState(prev: LoadState, samples: readonly BacklogSample[], now: number, p: OverloadPolicy = DEFAULT_OVERLOAD): LoadState {
  const first = samples[0];
  // Not enough history to judge a whole window: nothing changes.
  if (!first || now - first.at < p.windowMs) return prev;
  const window = samples.filter((s) => s.at >= now - p.windowMs);
  const start = window[0];
  const end = window.at(-1);
  if (!start || !end) return prev;
  if (prev === 'keeping-up') return window.every((s) => s.backlogMs > p.behindMs) && end.backlogMs > start.backlogMs ? 'falling-behind' : 'keeping-up';
  return window.every((s) => s.backlogMs < p.caughtUpMs) ? 'keeping-up' : 'falling-behind';
}
