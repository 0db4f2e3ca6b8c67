import type { LoadState } from './overload.ts';

/**
 * What a hearing may give up, one step at a time, when its transcoder cannot keep real time. Only
 * work the public can do without is listed: the privacy steps (masks, the time overlay a court
 * requires, slates and cards) are not sheddable, and since a step must name one of these, no step
 * can give one of them up.
 */
export const SHEDDABLE = ['retroactive-renders'] as const;
export type Sheddable = (typeof SHEDDABLE)[number];

/** One step of the shedding order, declared with what it costs the public. */
export interface ShedStep {
  readonly gives: Sheddable;
  /** What the public sees instead, for the clerk's console and the record. */
  readonly instead: string;
}

/**
 * The order in which work is shed, first to last, and restored last to first. Re-rendering a
 * segment for a retroactive mask is the first to go: it competes with the live transcode for the
 * same cores, and a segment it would have fixed airs as the no-broadcast card instead, which
 * shows less, never more.
 */
export const SHED_ORDER: readonly ShedStep[] = [{ gives: 'retroactive-renders', instead: 'segments under a retroactive mask air as the no-broadcast card' }];

/** How long a load state must hold before one more step is shed, or one restored. */
export interface ShedTiming {
  readonly escalateAfterMs: number;
  readonly restoreAfterMs: number;
}

/**
 * A further step every 10 s while the transcoder is still behind (the overload state already
 * needs 10 s of a growing backlog to be raised); a step back after 30 s of keeping up, so the
 * work restored does not tip the transcoder straight back.
 */
export const DEFAULT_SHED_TIMING: ShedTiming = { escalateAfterMs: 10_000, restoreAfterMs: 30_000 };

/**
 * How many steps of SHED_ORDER are in force after `now`, given how many were (`level`), the load
 * state, and when the level or the state last changed (`since`). Pure.
 */
export function nextShedLevel(level: number, state: LoadState, since: number, now: number, t: ShedTiming = DEFAULT_SHED_TIMING): number {
  if (state === 'falling-behind') {
    if (level === 0) return 1;
    return level < SHED_ORDER.length && now - since >= t.escalateAfterMs ? level + 1 : level;
  }
  return level > 0 && now - since >= t.restoreAfterMs ? level - 1 : level;
}

/** Whether a sheddable piece of work is shed at `level`. */
export const isShed = (level: number, what: Sheddable): boolean => SHED_ORDER.slice(0, level).some((s) => s.gives === what);
