import { describe, expect, it } from 'vitest';
import {
  addSpan,
  applyAction,
  decide,
  emptyProgram,
  effectiveAt,
  isFinished,
  slateWindows,
} from '../../server/domain/program.ts';
import { programOf as run } from '../support/program.ts';

const seg = (start: number, end: number) => ({ start, end });
const air = { action: 'air' };
const slate = (kind: string) => ({ action: 'slate', slate: kind });

describe('broadcast program', () => {
  it('airs nothing before start, and shows the starting slate', () => {
    expect(decide(emptyProgram(), seg(0, 2000))).toEqual(slate('starting'));
  });

  it('airs a segment wholly inside the on-air interval from start', () => {
    const p = run({ type: 'start', at: 1000 });
    expect(decide(p, seg(1000, 3000))).toEqual(air);
    expect(decide(p, seg(99_000, 101_000))).toEqual(air);
  });

  it('slates a segment that straddles the start instant (rounds inwards)', () => {
    const p = run({ type: 'start', at: 1000 });
    expect(decide(p, seg(999, 2999))).toEqual(slate('starting'));
  });

  it('pause keeps the window captured before it and slates after it', () => {
    const p = run({ type: 'start', at: 0 }, { type: 'pause', at: 10_000 });
    expect(decide(p, seg(8000, 10_000))).toEqual(air); // ends exactly at the pause: airs
    expect(decide(p, seg(9000, 11_000))).toEqual(slate('paused'));
    expect(decide(p, seg(10_000, 12_000))).toEqual(slate('paused'));
  });

  it('resume airs again from the resume instant only', () => {
    const p = run({ type: 'start', at: 0 }, { type: 'pause', at: 10_000 }, { type: 'resume', at: 20_000 });
    expect(decide(p, seg(18_000, 20_000))).toEqual(slate('paused'));
    expect(decide(p, seg(19_999, 21_999))).toEqual(slate('paused'));
    expect(decide(p, seg(20_000, 22_000))).toEqual(air);
  });

  it('says "ended", not "paused", for the segment an end falls in', () => {
    const p = run({ type: 'start', at: 0 }, { type: 'end', at: 21_000 });
    expect(decide(p, seg(18_000, 20_000))).toEqual(air);
    expect(decide(p, seg(20_000, 22_000))).toEqual(slate('ended'));
    expect(decide(p, seg(22_000, 24_000))).toEqual(slate('ended'));
  });

  it('says "paused" after a pause, also once resumed but straddling the resume', () => {
    const p = run({ type: 'start', at: 0 }, { type: 'pause', at: 10_000 }, { type: 'resume', at: 20_000 });
    expect(decide(p, seg(12_000, 14_000))).toEqual(slate('paused'));
    expect(decide(p, seg(19_000, 21_000))).toEqual(slate('paused'));
  });

  it('cut dumps the unreleased window and stays off-air', () => {
    const p = run({ type: 'start', at: 0 }, { type: 'cut', at: 30_000, releasedUntil: 20_000 });
    expect(p.dumped).toEqual([{ start: 20_000, end: 30_000 }]);
    expect(decide(p, seg(18_000, 20_000))).toEqual(air); // already released before the cut
    expect(decide(p, seg(19_000, 21_000))).toEqual(slate('interrupted'));
    expect(decide(p, seg(28_000, 30_000))).toEqual(slate('interrupted'));
    // Off the air because of the cut: the viewer reads "interrupted", not "paused".
    expect(decide(p, seg(30_000, 32_000))).toEqual(slate('interrupted'));
  });

  it('cut also dumps a window captured before a pause that has not aired yet', () => {
    const p = run({ type: 'start', at: 0 }, { type: 'pause', at: 25_000 }, { type: 'cut', at: 27_000, releasedUntil: 20_000 });
    expect(decide(p, seg(21_000, 23_000))).toEqual(slate('interrupted'));
    expect(decide(p, seg(18_000, 20_000))).toEqual(air);
  });

  it('cut, resume, cut again: the second window is dumped and the resumed on-air part is removed', () => {
    const p = run(
      { type: 'start', at: 0 },
      { type: 'cut', at: 30_000, releasedUntil: 20_000 },
      { type: 'resume', at: 40_000 },
      { type: 'cut', at: 60_000, releasedUntil: 45_000 },
    );
    expect(p.phase).toBe('cut');
    expect(p.dumped).toEqual([
      { start: 20_000, end: 30_000 },
      { start: 45_000, end: 60_000 },
    ]);
    expect(p.onAir).toEqual([
      { start: 0, end: 20_000 },
      { start: 40_000, end: 45_000 },
    ]);
    expect(decide(p, seg(40_000, 42_000))).toEqual(air);
    expect(decide(p, seg(44_000, 46_000))).toEqual(slate('interrupted'));
    expect(decide(p, seg(61_000, 63_000))).toEqual(slate('interrupted'));
  });

  it('a cut whose release position lies before a resume removes that on-air interval entirely', () => {
    const p = run(
      { type: 'start', at: 0 },
      { type: 'pause', at: 10_000 },
      { type: 'resume', at: 20_000 },
      { type: 'cut', at: 25_000, releasedUntil: 15_000 },
    );
    expect(p.onAir).toEqual([{ start: 0, end: 10_000 }]);
    expect(decide(p, seg(21_000, 23_000))).toEqual(slate('interrupted'));
  });

  it('a repeated cut only extends the dumped span', () => {
    const p = run({ type: 'start', at: 0 }, { type: 'cut', at: 30_000, releasedUntil: 20_000 }, { type: 'cut', at: 35_000, releasedUntil: 25_000 });
    expect(p.dumped).toEqual([{ start: 20_000, end: 35_000 }]);
  });

  it('end closes the broadcast; segments after it get the end card', () => {
    const p = run({ type: 'start', at: 0 }, { type: 'end', at: 50_000 });
    expect(decide(p, seg(48_000, 50_000))).toEqual(air);
    expect(decide(p, seg(50_000, 52_000))).toEqual(slate('ended'));
    expect(isFinished(p, 49_999)).toBe(false);
    expect(isFinished(p, 50_000)).toBe(true);
  });

  it('cut then end: the dumped window never airs and the end card follows', () => {
    const p = run({ type: 'start', at: 0 }, { type: 'cut', at: 30_000, releasedUntil: 20_000 }, { type: 'end', at: 31_000 });
    expect(decide(p, seg(22_000, 24_000))).toEqual(slate('interrupted'));
    expect(decide(p, seg(31_000, 33_000))).toEqual(slate('ended'));
  });

  it('refuses actions from the wrong phase', () => {
    const p = run({ type: 'start', at: 0 });
    const again = applyAction(p, { type: 'start', at: 1 });
    expect(again.ok).toBe(false);
    expect(applyAction(emptyProgram(), { type: 'pause', at: 1 }).ok).toBe(false);
    expect(applyAction(emptyProgram(), { type: 'resume', at: 1 }).ok).toBe(false);
    expect(applyAction(emptyProgram(), { type: 'cut', at: 1, releasedUntil: 0 }).ok).toBe(false);
    const ended = run({ type: 'end', at: 5 });
    for (const type of ['start', 'pause', 'resume', 'end'] as const) {
      expect(applyAction(ended, { type, at: 10 }).ok).toBe(false);
    }
  });

  it('never lets time run backwards: a late-stamped pause takes effect at the previous action', () => {
    const p = run({ type: 'start', at: 10_000 }, { type: 'pause', at: 5_000 });
    expect(p.onAir).toEqual([]); // zero-length on-air interval removed: never aired
    expect(decide(p, seg(10_000, 12_000))).toEqual(slate('starting'));
  });

  it('clamps a release position later than the cut instant', () => {
    const p = run({ type: 'start', at: 0 }, { type: 'cut', at: 10_000, releasedUntil: 12_000 });
    expect(p.dumped).toEqual([]);
    expect(p.onAir).toEqual([{ start: 0, end: 10_000 }]);
  });

  it('is plain data that survives a JSON round trip', () => {
    const p = run({ type: 'start', at: 0 }, { type: 'cut', at: 30_000, releasedUntil: 20_000 }, { type: 'resume', at: 40_000 });
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  it('merges adjacent and overlapping spans', () => {
    expect(addSpan([{ start: 0, end: 5 }], { start: 5, end: 8 })).toEqual([{ start: 0, end: 8 }]);
    expect(addSpan([{ start: 10, end: 20 }], { start: 0, end: 5 })).toEqual([
      { start: 0, end: 5 },
      { start: 10, end: 20 },
    ]);
    expect(addSpan([], { start: 3, end: 3 })).toEqual([]);
  });

  it('a segment exactly at every boundary of a start/pause/resume/end sequence decides consistently', () => {
    const p = run(
      { type: 'start', at: 2000 },
      { type: 'pause', at: 6000 },
      { type: 'resume', at: 10_000 },
      { type: 'end', at: 14_000 },
    );
    const decisions = [0, 2000, 4000, 6000, 8000, 10_000, 12_000, 14_000].map((t) => decide(p, seg(t, t + 2000)));
    expect(decisions).toEqual([
      slate('starting'),
      air,
      air,
      slate('paused'),
      slate('paused'),
      air,
      air,
      slate('ended'),
    ]);
  });
});

describe('program edges inside a segment', () => {
  /** 60 frames a segment, frame k captured at start + 33k + 10 (an upper bound, as dated). */
  const frames = (start: number) => Array.from({ length: 60 }, (_, k) => start + Math.round(k * (1000 / 30)) + 10);

  it('splits a segment a start falls in: the starting card until the frame captured at the start', () => {
    const p = run({ type: 'start', at: 1_500 });
    const f = frames(1_000);
    const w = slateWindows(p, f, 1_000)!;
    expect(w).toHaveLength(1);
    expect(w[0]!.slate).toBe('starting');
    expect(w[0]!.from).toBe(0);
    // The first aired frame is the first whose previous frame was captured at or after the start.
    const firstAired = w[0]!.to;
    expect(f[firstAired - 1]).toBeGreaterThanOrEqual(1_500);
    expect(f[firstAired - 2]).toBeLessThan(1_500);
  });

  it('splits a pause and a resume inside one segment, with the paused card between', () => {
    const p = run({ type: 'start', at: 0 }, { type: 'pause', at: 1_300 }, { type: 'resume', at: 1_700 });
    const f = frames(1_000);
    const w = slateWindows(p, f, 1_000)!;
    expect(w).toHaveLength(1);
    expect(w[0]!.slate).toBe('paused');
    expect(f[w[0]!.from]! + 1).toBeGreaterThan(1_300);
    expect(f[w[0]!.from - 1]!).toBeLessThan(1_300);
    expect(f[w[0]!.to - 1]!).toBeGreaterThanOrEqual(1_700);
  });

  it('shows the end card from the frame captured at the end', () => {
    const p = run({ type: 'start', at: 0 }, { type: 'end', at: 2_000 });
    const w = slateWindows(p, frames(1_000), 1_000)!;
    expect(w).toEqual([{ slate: 'ended', from: w[0]!.from, to: 60 }]);
  });

  it('splits nothing wholly on or off the air, and never splices a segment that touches dumped media', () => {
    expect(slateWindows(run({ type: 'start', at: 0 }), frames(1_000), 1_000)).toBeNull();
    expect(slateWindows(run({ type: 'start', at: 0 }, { type: 'pause', at: 500 }), frames(1_000), 1_000)).toBeNull();
    const cut = run({ type: 'start', at: 0 }, { type: 'cut', at: 1_400, releasedUntil: 1_000 }, { type: 'resume', at: 1_600 });
    expect(slateWindows(cut, frames(1_000), 1_000)).toBeNull();
  });

  it('lets the first frame answer for sound captured before it, and the last for sound after it', () => {
    // The segment's sound starts 600 ms before its first frame; the start falls in that sound.
    const f = frames(1_000);
    const w = slateWindows(run({ type: 'start', at: 700 }), f, 400)!;
    expect(w).toEqual([{ slate: 'starting', from: 0, to: 1 }]);
    // The same start before all of the segment's sound splits nothing.
    expect(slateWindows(run({ type: 'start', at: 300 }), f, 400)).toBeNull();
    // A pause in the sound after the last frame takes the last frame, and with it that sound.
    const pause = run({ type: 'start', at: 0 }, { type: 'pause', at: f[59]! + 20 });
    expect(slateWindows(pause, f, 1_000)).toBeNull();
    expect(slateWindows(pause, f, 1_000, f[59]! + 40)).toEqual([{ slate: 'paused', from: 59, to: 60 }]);
    // A dumped span that touches only the sound after the last frame still cards the segment whole.
    const cut = run({ type: 'start', at: 0 }, { type: 'cut', at: 3_100, releasedUntil: f[59]! + 30 }, { type: 'resume', at: 3_200 });
    expect(slateWindows(cut, f, 1_000, f[59]! + 40)).toBeNull();
  });
});

describe('the effective instant of an action', () => {
  it('is the action’s time, never before the previous action, and a cut’s is the last released instant', () => {
    const p = run({ type: 'start', at: 1_000 }, { type: 'pause', at: 5_000 });
    expect(effectiveAt(p, { type: 'resume', at: 7_000 })).toBe(7_000);
    expect(effectiveAt(p, { type: 'resume', at: 4_000 })).toBe(5_000);
    expect(effectiveAt(p, { type: 'cut', at: 9_000, releasedUntil: 3_000 })).toBe(3_000);
    expect(effectiveAt(p, { type: 'mask', at: 9_000, mask: { id: 'm', kind: 'mute', start: 2_000, end: null } })).toBe(2_000);
    // The program agrees: the cut dumps from exactly that instant.
    const cut = applyAction(run({ type: 'start', at: 1_000 }), { type: 'cut', at: 9_000, releasedUntil: 3_000 });
    expect(cut.ok && cut.program.dumped).toEqual([{ start: 3_000, end: 9_000 }]);
  });
});
