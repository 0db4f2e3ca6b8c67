import { describe, expect, it } from 'vitest';
import { slateWindows } from '../../server/domain/program.ts';
import { cutAnchors } from '../../server/delay/render-plan.ts';
import { IngestClock } from '../../server/ingest/ingest-clock.ts';
import { dateSegment } from '../../server/pipeline/capture-dating.ts';
import { soundBeyondProgram } from '../../recorder/sound-exposure.ts';
import { programOf as run } from '../support/program.ts';

const FRAME = 1000 / 30;

/**
 * A two-second segment from media 10 s whose start, and the 100 ms before it, reached us in one burst 80 ms late (the
 * server stalled), the rest on time: media at t arrived at 100_000 + t, or 80 ms later.
 */
function stalledSegment() {
  const clock = new IngestClock(60_000);
  for (let ts = 9_000; ts <= 12_500; ts += 10) clock.observe(ts, 100_000 + ts + (ts >= 9_900 && ts < 10_200 ? 10_200 - ts + 80 : 0));
  const pts = Array.from({ length: 60 }, (_, k) => 10 + k / 30);
  return dateSegment(pts, clock, FRAME, [{ start: 10, end: 12 }])!;
}

describe('where a splice cuts, on the capture clock the gate used', () => {
  it('anchors each cut at the aired frame beside it', () => {
    const d = stalledSegment();
    const program = run({ type: 'start', at: 100_000 }, { type: 'pause', at: 111_500 });
    const windows = slateWindows(program, d.frames, d.captureStart, d.captureEnd)!;
    expect(windows).toHaveLength(1);
    const w = windows[0]!;
    const [end] = cutAnchors(windows, { ...d });
    // The pause cuts before the first frame dated at or after it; the frame before it is dated before it.
    expect(end!.media).toBeCloseTo(d.pts[w.from]!, 6);
    expect(end!.capture).toBe(d.frames[w.from - 1]);
    expect(end!.capture).toBeLessThan(111_500);
    expect(d.frames[w.from]).toBeGreaterThanOrEqual(111_500);
  });

  it('lets the listener hear that the sound up to a cut was on the air, where extrapolating from the stalled start would not', () => {
    const d = stalledSegment();
    const program = run({ type: 'start', at: 100_000 }, { type: 'pause', at: 111_500 });
    const windows = slateWindows(program, d.frames, d.captureStart, d.captureEnd)!;
    const cuts = cutAnchors(windows, { ...d });
    // What the splice leaves loud: the sound up to the cut.
    const loud = [{ start: 10, end: cuts[0]!.media }];
    const slot = { seq: 5, rung: 'audio', captureStart: d.captureStart, mediaStart: d.mediaStart, picture: { start: 10, end: 12 }, loud };
    expect(soundBeyondProgram([{ ...slot, cuts }], program, 43)).toEqual([]);
    // The burst put the start 80 ms late against media time: from there, the cut seems past the pause.
    expect(soundBeyondProgram([slot], program, 43)[0]?.ms).toBeGreaterThan(43);
  });

  it('anchors a resume’s cut at the first aired frame’s span, which begins at or after the resume', () => {
    const d = stalledSegment();
    const program = run({ type: 'start', at: 100_000 }, { type: 'pause', at: 105_000 }, { type: 'resume', at: 111_000 });
    const windows = slateWindows(program, d.frames, d.captureStart, d.captureEnd)!;
    const [start] = cutAnchors(windows, { ...d });
    const w = windows[0]!;
    expect(w.from).toBe(0);
    expect(start!.media).toBeCloseTo(d.pts[w.to]!, 6);
    expect(start!.capture).toBe(d.frames[w.to - 1]);
    expect(start!.capture).toBeGreaterThanOrEqual(111_000);
  });
});
