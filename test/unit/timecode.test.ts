import { describe, expect, it } from 'vitest';
import { TIMECODE } from '../../server/media/synthetic.ts';
import { readTimecode, soundMadeWithin } from '../support/timecode.ts';

const RATE = 24_000;

/** The time code as the encoder's expression computes it, sample by sample, from code time `t0`. */
function code(t0: number, seconds: number): Float32Array {
  const x = new Float32Array(Math.round(seconds * RATE));
  for (let i = 0; i < x.length; i++) {
    const t = i / RATE;
    const k = Math.floor((t + t0) / TIMECODE.slotSeconds);
    const fine = TIMECODE.fineHz + TIMECODE.stepHz * (k % TIMECODE.fineValues);
    const coarse = TIMECODE.coarseHz + TIMECODE.stepHz * (Math.floor(k / TIMECODE.fineValues) % TIMECODE.coarseValues);
    x[i] = 0.3 * Math.sin(2 * Math.PI * fine * t) + 0.3 * Math.sin(2 * Math.PI * coarse * t);
  }
  return x;
}

const join = (...parts: Float32Array[]): Float32Array => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('the sound time code', () => {
  it('tells when each stretch of sound was made, within a few ms', () => {
    for (const t0 of [0, 12.3456, 83.21, 255.5]) {
      const [span, ...rest] = readTimecode(code(t0, 1.5), 10);
      expect(rest).toEqual([]);
      expect(span!.ptsStart).toBe(10);
      expect(Math.abs(span!.codeStart! - t0), `from ${t0}`).toBeLessThan(0.006);
      expect(span!.codeEnd! - span!.codeStart!).toBeCloseTo(1.5, 3);
    }
  });

  it('splits sound at silence and where the code jumps, and dates each part on its own', () => {
    const x = join(code(40.02, 0.7), new Float32Array(RATE / 10), code(41.5, 0.4), code(30.07, 0.6));
    const spans = readTimecode(x, 0);
    expect(spans.map((s) => s.codeStart !== null)).toEqual([true, true, true]);
    expect(Math.abs(spans[0]!.codeStart! - 40.02)).toBeLessThan(0.006);
    expect(Math.abs(spans[1]!.codeStart! - 41.5)).toBeLessThan(0.006);
    expect(Math.abs(spans[2]!.codeStart! - 30.07)).toBeLessThan(0.03);
    // Where the jump was found: within a window of where it was.
    expect(Math.abs(spans[2]!.ptsStart - 1.2)).toBeLessThan(0.03);
  });

  it('takes a misreading at the start of a stretch for what it is, not for a jump', () => {
    // 10 ms of other sound (as a segment's first AAC frame decodes without the one before it).
    const [span, ...rest] = readTimecode(join(code(77.7, 0.01), code(12.01, 1)), 0);
    expect(rest).toEqual([]);
    expect(Math.abs(span!.codeStart! - (12.01 - 0.01))).toBeLessThan(0.006);
  });

  it('does not carry a coarse reading into sound of another time', () => {
    // After silence, 30 ms of the same fine tone but the coarse one step back (4 s earlier), then
    // the true code: the earlier sound is dated apart, and the rest keeps its own time.
    const t0 = 41.73;
    const spans = readTimecode(join(new Float32Array(RATE / 10), code(t0 - 4, 0.03), code(t0 + 0.03, 0.6)), 0);
    const long = spans.find((x) => x.ptsEnd - x.ptsStart > 0.5)!;
    expect(Math.abs(long.codeStart! - (t0 + 0.03 - (long.ptsStart - 0.13)))).toBeLessThan(0.006);
    expect(Math.abs(long.ptsStart - 0.13)).toBeLessThan(0.015);
    for (const x of spans.filter((y) => y !== long && y.codeStart !== null)) expect(Math.abs(x.codeStart! - (t0 - 4))).toBeLessThan(0.03);
  });

  it('does not read the first AAC frames a decoder had no context for', () => {
    // A segment decoded on its own starts with garbled sound: here 20 ms of another time entirely.
    const [span, ...rest] = readTimecode(join(code(200.01, 0.02), code(12.02, 0.8)), 0);
    expect(rest).toEqual([]);
    expect(Math.abs(span!.codeStart! - 12)).toBeLessThan(0.006);
  });

  it('hears nothing in silence', () => {
    expect(readTimecode(new Float32Array(RATE), 0)).toEqual([]);
  });
});

describe('judging aired sound by when it was made', () => {
  const epoch = 1_000_000;
  // A rung's segment heard in two entries: the second begins 45 ms before the sound stopped, too
  // short to read its time code.
  const entries = [
    { appearedAt: epoch + 30_000, heard: [{ label: 'audio/14', spans: [{ ptsStart: 20, ptsEnd: 21.955, codeStart: 20.5, codeEnd: 22.455 }] }] },
    { appearedAt: epoch + 32_000, heard: [{ label: 'audio/15', spans: [{ ptsStart: 21.98, ptsEnd: 22.025, codeStart: null, codeEnd: null }] }] },
  ];

  it('places a span too short to read by the readable one of its rung, not by its timestamp against the wall clock', () => {
    // Made 22.48–22.525 s after the epoch: not before an edge at 10 s…
    expect(soundMadeWithin(entries, epoch, { name: 'before the start', start: Number.NEGATIVE_INFINITY, end: epoch + 10_000 })).toEqual([]);
    // …and inside a span that covers when it was made.
    expect(soundMadeWithin(entries, epoch, { name: 'after the end', start: epoch + 22_400, end: Number.POSITIVE_INFINITY })).toEqual([
      'audio/14: 55 ms of sound made 1020500–1022455 ms aired, inside after the end (1022400–Infinity)',
      'audio/15: 45 ms of sound made 1022480–1022525 ms aired, inside after the end (1022400–Infinity)',
    ]);
  });

  it('refuses a span too short to read that no readable sound of its rung is near', () => {
    const alone = [{ appearedAt: epoch + 32_000, heard: [{ label: 'audio/15', spans: [{ ptsStart: 21.98, ptsEnd: 22.025, codeStart: null, codeEnd: null }] }] }];
    expect(soundMadeWithin(alone, epoch, { name: 'before the start', start: Number.NEGATIVE_INFINITY, end: epoch + 10_000 })).toHaveLength(1);
  });
});
