import { describe, expect, it } from 'vitest';
import { IngestClock } from '../../server/ingest/ingest-clock.ts';
import { dateSegment, frameOffsets } from '../../server/pipeline/capture-dating.ts';

const FRAME = 1000 / 30;

/** A clock that saw 30 fps video stamped from 0, each frame `lag` ms after its stamp (from `t0`). */
function steadyClock(frames: number, t0: number, lag = 5): IngestClock {
  const c = new IngestClock(600_000);
  for (let i = 0; i < frames; i++) c.observe(Math.round(i * FRAME), t0 + Math.round(i * FRAME) + lag);
  return c;
}

describe('dating segments on the ingest clock', () => {
  it('places each frame no earlier than the input frame it may show, and contains the segment', () => {
    const clock = steadyClock(300, 1_000_000);
    const pts = Array.from({ length: 60 }, (_, k) => (60 + k) / 30); // frames 60..119, seconds
    const d = dateSegment(pts, clock, FRAME)!;
    expect(d.frames).toHaveLength(60);
    // Frame k may show input frame k or k+1 (rounding): dated at the later one's arrival.
    for (let k = 0; k < 60; k++) {
      const arrival = 1_000_000 + Math.round((60 + k) * FRAME) + 5;
      expect(d.frames[k]).toBeGreaterThanOrEqual(arrival);
      expect(d.frames[k]! - arrival).toBeLessThanOrEqual(Math.ceil(FRAME) + 1);
    }
    expect(d.captureStart).toBeLessThanOrEqual(d.frames[0]!);
    expect(d.captureEnd).toBeGreaterThan(d.frames[59]!);
    // Monotone: never a frame dated before the one before it.
    for (let k = 1; k < 60; k++) expect(d.frames[k]).toBeGreaterThanOrEqual(d.frames[k - 1]!);
  });

  it('dates media the clock has not stepped past at its latest observation, never earlier', () => {
    const clock = steadyClock(100, 5_000);
    const d = dateSegment([3.2, 3.3], clock, FRAME)!; // beyond frame 99 (3.3 s)
    expect(d.captureEnd).toBe(clock.latestAt);
  });

  it('refuses media older than the clock keeps (another connection’s)', () => {
    const c = new IngestClock(600_000);
    c.observe(10_000, 1);
    c.observe(10_033, 2);
    expect(dateSegment([1, 1.033], c, FRAME)).toBeNull();
  });

  it('maps a span of capture time onto frame offsets: from the first frame dated at or after its start, to the first that cannot precede its end', () => {
    const frames = [100, 133, 166, 200, 233];
    // Frame 3 is dated 200, past the end at 190, but may show a source captured after 166: inside.
    expect(frameOffsets(frames, 90, 130, 190, 30, 5 / 30)).toEqual({ from: 1 / 30, to: 4 / 30 });
    // An end on a frame's own date leaves that frame in, and the next one out.
    expect(frameOffsets(frames, 90, 130, 166, 30, 5 / 30)).toEqual({ from: 1 / 30, to: 3 / 30 });
    expect(frameOffsets(frames, 90, 130, 167, 30, 5 / 30)).toEqual({ from: 1 / 30, to: 4 / 30 });
    // From the first frame on, the span reaches back over sound ahead of the picture; past the
    // last frame, over the sound after it.
    expect(frameOffsets(frames, 90, 0, null, 30, 5 / 30)).toEqual({ from: -(5 / 30 + 1), to: 5 / 30 + 1 });
    expect(frameOffsets(frames, 90, 300, 400, 30, 5 / 30)).toEqual({ from: 5 / 30, to: 5 / 30 + 1 });
    expect(frameOffsets(frames, 90, 150, 234, 30, 5 / 30)).toEqual({ from: 2 / 30, to: 5 / 30 + 1 });
    // An end before the first frame's date still reaches it when the segment's capture began before the end.
    expect(frameOffsets(frames, 90, 0, 95, 30, 5 / 30)).toEqual({ from: -(5 / 30 + 1), to: 1 / 30 });
    expect(frameOffsets(frames, 96, 0, 95, 30, 5 / 30)).toEqual({ from: -(5 / 30 + 1), to: 0 });
  });

  it('widens the interval over sound that starts before the first frame or ends after the last', () => {
    const clock = steadyClock(300, 1_000_000);
    const pts = Array.from({ length: 60 }, (_, k) => (120 + k) / 30); // frames from 4 s
    const plain = dateSegment(pts, clock, FRAME)!;
    // A rung's sound from 2.4 s (a muxer that cut the audio-only rung on its own) to 6.3 s.
    const d = dateSegment(pts, clock, FRAME, [{ start: 3.98, end: 6.02 }, { start: 2.4, end: 6.3 }])!;
    expect(d.frames).toEqual(plain.frames);
    expect(d.captureStart).toBeLessThanOrEqual(1_000_000 + 2_400 + 5);
    expect(d.captureStart).toBeLessThan(plain.captureStart - 1_500);
    expect(d.captureEnd).toBeGreaterThanOrEqual(1_000_000 + 6_300);
    expect(d.captureEnd).toBeGreaterThan(plain.captureEnd + 200);
    // It names the timestamp its start dates, so what aired can be placed from the files alone.
    expect(d.mediaStart).toBe(2.4);
    expect(plain.mediaStart).toBe(3.975);
  });

  it('dates sound stamped before the clock began back from the first frame, never later', () => {
    const clock = steadyClock(120, 1_000_000);
    const d = dateSegment([0, 1 / 30], clock, FRAME, [{ start: -0.021, end: 0.07 }])!;
    expect(d.captureStart).toBeLessThanOrEqual(d.frames[0]! - 21 - 16);
  });
});
