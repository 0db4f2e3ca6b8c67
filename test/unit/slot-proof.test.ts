import { describe, expect, it } from 'vitest';
import type { Mask } from '../../server/domain/masks.ts';
import { IngestClock } from '../../server/ingest/ingest-clock.ts';
import { dateSegment } from '../../server/pipeline/capture-dating.ts';
import type { CompletedSegment } from '../../server/pipeline/segment-watcher.ts';
import { maskWindow, slotCovers, type SlotUse } from '../../server/pipeline/slot-proof.ts';
import type { SlotKind } from '../../server/media/live-slots.ts';

const FPS = 30;
const FRAME = 1000 / FPS;
const T0 = 1_000_000;

/** A clock that saw 30 fps video stamped from 0, each frame arriving 5 ms after T0 + its stamp. */
function steadyClock(frames: number): IngestClock {
  const c = new IngestClock(600_000);
  for (let i = 0; i < frames; i++) c.observe(Math.round(i * FRAME), T0 + Math.round(i * FRAME) + 5);
  return c;
}

/** Segment `i` (2 s, 60 frames) dated on the clock, produced over [producedStart, producedEnd]. */
function segment(clock: IngestClock, i: number, produced: { start: number; end: number }): CompletedSegment {
  const pts = Array.from({ length: 60 }, (_, k) => (60 * i + k) / FPS);
  const d = dateSegment(pts, clock, FRAME)!;
  return { run: 1, index: i, captureStart: d.captureStart, captureEnd: d.captureEnd, programDateTime: d.frames[0]!, durationSec: 2, files: {}, frames: d.frames, pts: d.pts, produced };
}

const mask = (start: number, end: number | null, kind: Mask['kind'] = 'black'): Mask => ({ id: 'm1', kind, ...(kind === 'mute' ? {} : { region: { x: 0, y: 0, w: 0.5, h: 0.5 } }), start, end });

function use(clock: IngestClock, m: Mask, on: number, kind: SlotKind = 'black'): SlotUse {
  return { run: 1, kind, slot: 0, maskId: m.id, on, window: maskWindow(clock, m.start, m.end, kind, FPS), off: null, until: null, clock };
}

describe('proving live mask slots on the capture clock', () => {
  const clock = steadyClock(600); // 20 s of media
  const start = T0 + 4_500; // mask from mid segment 2 (4-6 s)
  const end = T0 + 9_000;

  it('proves every segment of a mask, edges included, when the transcoder read them after the switch', () => {
    const m = mask(start, end);
    // The transcoder runs 8 s behind: it reads segment 2 long after the ack.
    const u = use(clock, m, start + 3);
    for (const i of [2, 3, 4]) {
      const s = segment(clock, i, { start: T0 + 2000 * i + 8_000, end: T0 + 2000 * (i + 1) + 8_000 });
      expect(slotCovers(u, m, s, FPS), `segment ${i}`).toBe(true);
    }
  });

  it('proves frames captured after the ack even when the segment began before it', () => {
    const m = mask(start, null);
    // Keeping up: segment 2's frames before 4.5 s were read before the ack, later ones after it.
    const s = segment(clock, 2, { start: T0 + 4_000, end: T0 + 6_100 });
    expect(slotCovers(use(clock, m, start + 3), m, s, FPS)).toBe(true);
    // An ack that came 200 ms late leaves frames captured meanwhile unproven.
    expect(slotCovers(use(clock, m, start + 200), m, s, FPS)).toBe(false);
  });

  it('proves the frame dated just past the end that may show a source captured before it', () => {
    // The end falls between frame 8967 (arrived T0 + 8972) and frame 9000 (T0 + 9005): frame 9000
    // is dated after the end, but could show a source from after T0 + 8972, so it must be masked.
    const m = mask(start, T0 + 9_003);
    const s = segment(clock, 4, { start: T0 + 20_000, end: T0 + 22_000 });
    expect(slotCovers(use(clock, m, start + 3), m, s, FPS)).toBe(true);
    const shut = { ...use(clock, m, start + 3), window: { from: 4.4, to: 9.0 } };
    expect(slotCovers(shut, m, s, FPS)).toBe(false);
  });

  it('does not prove a window that opens after frames the mask covers', () => {
    const m = mask(start, null);
    const late = { ...use(clock, m, start + 3), window: { from: 5.0, to: Number.POSITIVE_INFINITY } };
    const s = segment(clock, 2, { start: T0 + 20_000, end: T0 + 21_000 });
    expect(slotCovers(late, m, s, FPS)).toBe(false);
  });

  it('does not prove a lift window that closes before the mask ends', () => {
    const m = mask(start, end);
    const early = { ...use(clock, m, start + 3), window: { from: 4.4, to: 8.5 } };
    const s = segment(clock, 4, { start: T0 + 20_000, end: T0 + 21_000 });
    expect(slotCovers(early, m, s, FPS)).toBe(false);
  });

  it('proves nothing produced after the slot was given to another mask, or before any ack', () => {
    const m = mask(start, null);
    const s = segment(clock, 3, { start: T0 + 20_000, end: T0 + 22_000 });
    expect(slotCovers({ ...use(clock, m, start + 3), until: T0 + 21_000 }, m, s, FPS)).toBe(false);
    expect(slotCovers({ ...use(clock, m, start + 3), on: null }, m, s, FPS)).toBe(false);
    expect(slotCovers({ ...use(clock, m, start + 3), run: 2 }, m, s, FPS)).toBe(false);
  });

  it('proves sound only for segments wholly inside the mask', () => {
    const m = mask(start, end, 'mute');
    const u = use(clock, m, start + 3, 'mute');
    const produced = (i: number) => ({ start: T0 + 2000 * i + 8_000, end: T0 + 2000 * (i + 1) + 8_000 });
    expect(slotCovers(u, m, segment(clock, 3, produced(3)), FPS)).toBe(true);
    expect(slotCovers(u, m, segment(clock, 2, produced(2)), FPS)).toBe(false); // the start falls inside
    expect(slotCovers(u, m, segment(clock, 4, produced(4)), FPS)).toBe(false); // the end falls inside
  });

  it('without a window, proves by when the segment was produced', () => {
    const m = mask(start, null);
    const u: SlotUse = { run: 1, kind: 'black', slot: 0, maskId: 'm1', on: start, window: null, off: null, until: null, clock: null };
    const s = segment(clock, 3, { start: start + 10, end: start + 2_100 });
    expect(slotCovers(u, m, s, FPS)).toBe(true);
    expect(slotCovers({ ...u, off: start + 2_000 }, m, s, FPS)).toBe(false);
    expect(slotCovers(u, m, { ...s, produced: { start: start - 10, end: start + 2_000 } }, FPS)).toBe(false);
  });

  it('opens the window half a frame before the first frame captured at the start, and closes it half a frame after the one captured at the end', () => {
    const w = maskWindow(clock, start, end, 'black', FPS)!;
    const first = clock.firstAtOrAfter(start)!;
    expect(w.from * 1000).toBeLessThan(first);
    expect(first - w.from * 1000).toBeLessThanOrEqual(FRAME / 2 + 2);
    const last = clock.firstAtOrAfter(end)!;
    expect(w.to * 1000).toBeGreaterThan(last);
    expect(w.to * 1000 - last).toBeLessThanOrEqual(FRAME / 2 + 2);
  });
});
