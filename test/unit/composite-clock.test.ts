import { describe, expect, it } from 'vitest';
import { IngestClock } from '../../server/ingest/ingest-clock.ts';
import { applyAction, emptyProgram, slateWindows, type BroadcastProgram } from '../../server/domain/program.ts';
import { dateSegment, frameOffsets } from '../../server/pipeline/capture-dating.ts';
import { maskWindow } from '../../server/pipeline/slot-proof.ts';
import { CompositeClock, offsetOnto } from '../../server/pipeline/composite-clock.ts';

const FRAME = 1000 / 30;

/** A camera whose frame k is stamped `origin + k·frame` and reaches us `latency(k)` ms after it is made at `made + k·frame`. */
function camera(o: { origin: number; made: number; frames: number; latency: (k: number) => number }): { clock: IngestClock; ts: (k: number) => number; arrived: (k: number) => number; shownAt: (t: number) => number } {
  const clock = new IngestClock(60_000);
  const ts = (k: number) => Math.round(o.origin + k * FRAME);
  const arrived = (k: number) => Math.round(o.made + k * FRAME + o.latency(k));
  for (let k = 0; k < o.frames; k++) clock.observe(ts(k), arrived(k));
  // The frame a composite shows at this camera's timestamp `t`: the last one stamped at or before it.
  const shownAt = (t: number) => {
    let k = 0;
    while (k + 1 < o.frames && ts(k + 1) <= t) k++;
    return k;
  };
  return { clock, ts, arrived, shownAt };
}

describe('the capture clock of a composite of several cameras', () => {
  // Two cameras made their frames on one wall clock from 1 000 000 ms, stamped from different
  // origins and reaching us with different latencies.
  const made = 1_000_000;
  const a = camera({ origin: 0, made, frames: 300, latency: () => 40 });
  const b = camera({ origin: 77_000, made, frames: 300, latency: () => 120 });
  const base = made;
  const clocks = () => {
    // Offsets are taken from each camera's newest observation, as a compositor does at spawn.
    const early = { a: camera({ origin: 0, made, frames: 30, latency: () => 40 }), b: camera({ origin: 77_000, made, frames: 30, latency: () => 120 }) };
    return { offA: offsetOnto(early.a.clock, base)!, offB: offsetOnto(early.b.clock, base)! };
  };

  it('dates a composite frame at the latest its cameras’ frames can have been captured, never before either arrived', () => {
    const { offA, offB } = clocks();
    const composite = new CompositeClock([{ clock: a.clock, offsetMs: offA }, { clock: b.clock, offsetMs: offB }]);
    for (const k of [30, 100, 250]) {
      const t = a.ts(k) + offA;
      const c = composite.captureOf(t)!;
      expect(c).toBe(Math.max(a.clock.captureOf(t - offA)!, b.clock.captureOf(t - offB)!));
      // Never before the frame it shows of either camera arrived (cameras line up by capture
      // time, which is when their frames reached us: b's 80 ms more latency shows an older frame of it).
      expect(c).toBeGreaterThanOrEqual(a.arrived(k));
      expect(c).toBeGreaterThanOrEqual(b.arrived(b.shownAt(t - offB)));
    }
    // The composite reaches as far as its slowest camera.
    expect(composite.latest).toBe(Math.min(a.clock.latest! + offA, b.clock.latest! + offB));
    expect(composite.latestAt).toBe(Math.max(a.clock.latestAt!, b.clock.latestAt!));
  });

  it('stays never early when a camera’s latency grows after the offsets were taken', () => {
    const { offA, offB } = clocks();
    // Camera b slows by 400 ms from frame 150 on (a congested network), unknown to the offsets.
    const slow = camera({ origin: 77_000, made, frames: 300, latency: (k) => (k >= 150 ? 520 : 120) });
    const composite = new CompositeClock([{ clock: a.clock, offsetMs: offA }, { clock: slow.clock, offsetMs: offB }]);
    for (let k = 150; k < 290; k += 7) {
      const t = slow.ts(k) + offB;
      // Whatever frame of b the composite at t shows (stamped at most t − offB) arrived no later than this.
      expect(composite.captureOf(t)!).toBeGreaterThanOrEqual(slow.arrived(k));
    }
  });

  it('starts an edge on the first composite frame that may show anything captured at or after it', () => {
    const { offA, offB } = clocks();
    const composite = new CompositeClock([{ clock: a.clock, offsetMs: offA }, { clock: b.clock, offsetMs: offB }]);
    const edge = made + 4_000;
    const first = composite.firstAtOrAfter(edge)!;
    expect(composite.captureOf(first)!).toBeGreaterThanOrEqual(edge);
    // Every composite frame before it shows only frames observed before the edge.
    for (let t = first - 1; t > first - 500; t -= 13) {
      const c = composite.captureOf(t);
      if (c !== null) expect(c).toBeLessThan(edge);
    }
    expect(composite.firstAtOrAfter(made + 600_000)).toBeNull();
  });

  it('cannot date what a camera has not delivered, and says when a reader could first have had it', () => {
    const { offA, offB } = clocks();
    const lagging = camera({ origin: 77_000, made, frames: 100, latency: () => 120 });
    const composite = new CompositeClock([{ clock: a.clock, offsetMs: offA }, { clock: lagging.clock, offsetMs: offB }]);
    expect(composite.captureOf(a.ts(200) + offA)).toBeNull();
    expect(composite.latest).toBe(lagging.clock.latest! + offB);
    const t = a.ts(50) + offA;
    expect(composite.arrivedFrom(t)).toBe(Math.min(a.clock.arrivedFrom(t - offA)!, lagging.clock.arrivedFrom(t - offB)!));
    expect(offsetOnto(new IngestClock(1_000), base)).toBeNull();
    expect(() => new CompositeClock([])).toThrow();
  });

  it('dates a composite segment with the same dating as a single camera’s', () => {
    const { offA, offB } = clocks();
    const composite = new CompositeClock([{ clock: a.clock, offsetMs: offA }, { clock: b.clock, offsetMs: offB }]);
    const pts = Array.from({ length: 60 }, (_, k) => (a.ts(60 + k) + offA) / 1000);
    const d = dateSegment(pts, composite, FRAME)!;
    d.frames.forEach((f, k) => expect(f).toBeGreaterThanOrEqual(Math.max(a.arrived(60 + k), b.arrived(b.shownAt(pts[k]! * 1000 - offB)))));
    expect(d.captureStart).toBeLessThanOrEqual(d.frames[0]!);
  });

  it('airs a composite frame from a start, and lifts a mask from it, only once every tile shows media captured at or after the edge', () => {
    const { offA, offB } = clocks();
    // Camera b's latency grows by 60 ms after the offsets were taken: its tiles now show frames
    // captured up to two frames before a's in the same composite frame.
    const slow = camera({ origin: 77_000, made, frames: 300, latency: () => 180 });
    const composite = new CompositeClock([{ clock: a.clock, offsetMs: offA }, { clock: slow.clock, offsetMs: offB }]);
    const pts = Array.from({ length: 60 }, (_, k) => (a.ts(60 + k) + offA) / 1000);
    const d = dateSegment(pts, composite, FRAME)!;
    // What each composite frame shows of each camera, captured when.
    const tiles = pts.map((p) => [a.clock.captureOf(Math.round(p * 1000) + 17 - offA)!, slow.clock.captureOf(Math.round(p * 1000) - 17 - offB)!]);
    const edge = d.frames[30]! - 20;
    let program: BroadcastProgram = emptyProgram();
    const act = (x: Parameters<typeof applyAction>[1]) => {
      const r = applyAction(program, x);
      if (!r.ok) throw new Error('refused');
      program = r.program;
    };
    act({ type: 'start', at: edge });
    const w = slateWindows(program, d.frames, d.captureStart, d.captureEnd, d.spanStarts)!;
    expect(w).toHaveLength(1);
    const firstAired = w[0]!.to;
    // Nothing aired shows a tile captured before the start...
    for (let k = firstAired; k < pts.length; k++) expect(Math.min(...tiles[k]!), `frame ${k}`).toBeGreaterThanOrEqual(edge);
    // ...which the frame's latest date alone would have let through.
    const byLatest = slateWindows(program, d.frames, d.captureStart, d.captureEnd)!;
    expect(byLatest[0]!.to).toBeLessThan(firstAired);
    // A mask lifted at the edge stays on every frame with a tile captured before it, in a render
    // and in a live slot's window.
    const to = frameOffsets(d.frames, d.captureStart, d.captureStart, edge, 30, 2, d.spanStarts).to;
    for (let k = 0; k < pts.length; k++) if (Math.min(...tiles[k]!) < edge) expect(k / 30, `frame ${k}`).toBeLessThan(to);
    const win = maskWindow(composite, d.captureStart, edge, 'blur', 30)!;
    for (let k = 0; k < pts.length; k++) if (Math.min(...tiles[k]!) < edge) expect(pts[k]!, `frame ${k}`).toBeLessThan(win.to);
    expect(composite.earliestCaptureOf(Math.round(pts[40]! * 1000))).toBe(Math.min(a.clock.captureOf(Math.round(pts[40]! * 1000) - offA)!, slow.clock.captureOf(Math.round(pts[40]! * 1000) - offB)!));
  });
});
