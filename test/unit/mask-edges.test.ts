import { describe, expect, it } from 'vitest';
import { IngestClock } from '../../server/ingest/ingest-clock.ts';
import { dateSegment, frameOffsets } from '../../server/pipeline/capture-dating.ts';
import { maskWindow } from '../../server/pipeline/slot-proof.ts';
import { prng } from '../support/rtmp-fuzz.ts';

const FPS = 30;
const FRAME = 1000 / FPS;
const AAC = (1024 / 48_000) * 1000;
const T0 = 1_700_000_000_000;
const CASES = 300;

/**
 * Four seconds of 30 fps video and AAC sound as an RTMP encoder sends them, arriving in bursts:
 * each packet is observed some milliseconds after its stamp, in arrival order, sound sometimes
 * well after the pictures around it (an interleaving muxer, a busy event loop).
 */
function arrivals(rnd: () => number): { clock: IngestClock; pts: number[] } {
  const packets: { ts: number; at: number }[] = [];
  const pts: number[] = [];
  for (let i = 0; i < 4 * FPS; i++) {
    const ts = Math.round(i * FRAME);
    pts.push(ts / 1000);
    packets.push({ ts, at: T0 + ts + Math.floor(rnd() * 60) });
  }
  for (let ts = 0; ts < 4000; ts += AAC) packets.push({ ts: Math.round(ts), at: T0 + Math.round(ts) + Math.floor(rnd() * (rnd() < 0.2 ? 120 : 40)) });
  packets.sort((a, b) => a.at - b.at);
  const clock = new IngestClock(600_000);
  for (const p of packets) clock.observe(p.ts, p.at);
  return { clock, pts };
}

/**
 * Whatever the arrivals and wherever a mask's edges fall, the frames it covers include every
 * frame whose source was captured inside it (the capture of media stamped `t` being the latest
 * arrival of anything stamped at or before `t`), in a render and on a live slot's window, and
 * take at most one frame more at each edge; and a live slot's window holds every frame the gate
 * will ask it to prove. The frame dated just past the end, by a sound packet that arrived after
 * the end, once aired unmasked.
 */
describe('a mask on the capture clock, over random arrivals', () => {
  it(`covers every frame captured inside it, and at most a frame more at each edge (${CASES} cases)`, () => {
    const rnd = prng(20261204);
    let edgeFrames = 0;
    for (let n = 0; n < CASES; n++) {
      const { clock, pts } = arrivals(rnd);
      // A segment of the middle two seconds, dated as the pipeline dates it.
      const segmentPts = pts.slice(FPS, 3 * FPS);
      const d = dateSegment(segmentPts, clock, FRAME)!;
      const captured = segmentPts.map((p) => clock.captureOf(Math.round(p * 1000))!);
      const start = T0 + 1_000 + Math.floor(rnd() * 1_000);
      const end = start + 50 + Math.floor(rnd() * 900);
      const inside = captured.flatMap((c, k) => (c >= start && c < end ? [k] : []));
      const { from, to } = frameOffsets(d.frames, d.captureStart, start, end, FPS, 2);
      const covered = segmentPts.flatMap((_, k) => (k / FPS >= from - 1e-9 && k / FPS < to - 1e-9 ? [k] : []));
      const window = maskWindow(clock, start, end, 'black', FPS)!;
      const onWindow = segmentPts.flatMap((p, k) => (p >= window.from && p < window.to ? [k] : []));
      const say = `case ${n}: mask ${start - T0}–${end - T0} ms, inside ${inside.join(',')}`;
      expect(inside.filter((k) => !covered.includes(k)), `${say}: left out of the render`).toEqual([]);
      expect(inside.filter((k) => !onWindow.includes(k)), `${say}: left off the slot's window`).toEqual([]);
      // The gate proves a live slot on the frames a render would cover: the window must hold them all.
      expect(covered.filter((k) => !onWindow.includes(k)), `${say}: the proof asks for frames off the window`).toEqual([]);
      if (inside.length > 0) {
        const first = inside[0]!;
        const last = inside.at(-1)!;
        expect(covered.every((k) => k >= first - 1 && k <= last + 1), `${say}: covered ${covered.join(',')}`).toBe(true);
        edgeFrames += covered.length - inside.length;
      }
    }
    // The cases reach the edge the fix is about: frames dated past the end that are still inside.
    expect(edgeFrames).toBeGreaterThan(CASES / 10);
  });
});
