import { describe, expect, it } from 'vitest';
import { nextLoadState, type BacklogSample } from '../../server/domain/overload.ts';

const policy = { behindMs: 4_000, windowMs: 10_000, caughtUpMs: 2_500 };
/** One sample a second from t=0 to `seconds`, backlog given by `f(t)` in seconds. */
const series = (seconds: number, f: (t: number) => number): BacklogSample[] => Array.from({ length: seconds + 1 }, (_, t) => ({ at: t * 1000, backlogMs: f(t) * 1000 }));

describe('load state', () => {
  it('keeps up through an ordinary backlog and a single slow segment', () => {
    expect(nextLoadState('keeping-up', series(30, () => 1.5), 30_000, policy)).toBe('keeping-up');
    expect(nextLoadState('keeping-up', series(30, (t) => (t === 25 ? 9 : 1.5)), 30_000, policy)).toBe('keeping-up');
  });

  it('falls behind when the backlog stays high and grows for the whole window', () => {
    expect(nextLoadState('keeping-up', series(30, (t) => 2 + t * 0.3), 30_000, policy)).toBe('falling-behind');
    // High but shrinking: it is catching up, not falling behind.
    expect(nextLoadState('keeping-up', series(30, (t) => 20 - t * 0.3), 30_000, policy)).toBe('keeping-up');
  });

  it('judges nothing before a whole window of history', () => {
    expect(nextLoadState('keeping-up', series(5, (t) => 5 + t), 5_000, policy)).toBe('keeping-up');
    expect(nextLoadState('falling-behind', series(5, () => 0.5), 5_000, policy)).toBe('falling-behind');
  });

  it('clears only once the backlog has stayed low for the whole window', () => {
    expect(nextLoadState('falling-behind', series(30, (t) => (t < 25 ? 1 : 3)), 30_000, policy)).toBe('falling-behind');
    expect(nextLoadState('falling-behind', series(30, () => 1), 30_000, policy)).toBe('keeping-up');
  });
});
