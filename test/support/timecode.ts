import { TIMECODE } from '../../server/media/synthetic.ts';
import { firstPts } from '../../server/media/ts-continuity.ts';
import { decodeSegment } from './segment-decode.ts';

/** Decoding rate: the time code's tones stay under 6 kHz. */
const RATE = 24_000;
/** 5 ms blocks decide silence; 25 ms windows (orthogonal to the 40 Hz tone spacing) read the code. */
const BLOCK = RATE / 200;
const WINDOW = RATE / 40;
const HOP = BLOCK;
/** Below this RMS a block is silence (a slate, a mute): -46 dBFS, against about -13 for the code. */
const SILENT_RMS = 0.005;
/** How far a window's centre may sit past its slot's edge and still count (the two tones mix there). */
const MARGIN_S = 0.004;
/** This many windows at a stretch's end that disagree with the rest mean its code jumped (fewer are misreadings). */
const JUMP_WINDOWS = 4;
/** The coarse tone is read again at least every this many windows. */
const COARSE_EVERY = 3;
/**
 * A decoder that starts mid-stream (a segment decoded on its own) has no overlap for its first
 * AAC frames: the windows over them are not read (their sound is dated with the rest of its stretch).
 */
const UNPRIMED = (2 * 1024 * RATE) / 48_000;

/** A stretch of sound heard in a segment: where it lies in the segment (its PTS) and when the encoder made it (time code). */
export interface HeardSpan {
  /** PTS of its first and last sample, in seconds (the segment's own timestamps). */
  readonly ptsStart: number;
  readonly ptsEnd: number;
  /** When the encoder made it, in seconds of its time code (encoder epoch), or null when too short to read. */
  readonly codeStart: number | null;
  readonly codeEnd: number | null;
}

/** Goertzel power of one frequency over `x[from, from + n)`. */
function power(x: Float32Array, from: number, n: number, hz: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / RATE);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < from + n; i++) {
    const s0 = (x[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/** The strongest of `count` tones from `base` Hz, `TIMECODE.stepHz` apart. */
function strongest(x: Float32Array, from: number, base: number, count: number): number {
  let best = 0;
  let bestPower = -1;
  for (let v = 0; v < count; v++) {
    const p = power(x, from, WINDOW, base + TIMECODE.stepHz * v);
    if (p > bestPower) {
      bestPower = p;
      best = v;
    }
  }
  return best;
}

/**
 * Reads the slot (k = floor(10 T)) each window's sound names, within the code's 256 s cycle. The
 * coarse tone changes only where the fine one wraps, so it is read at every fine change, near a
 * wrap, and every few windows besides (a misreading is then soon corrected, never carried through
 * a whole slot).
 */
function slotReader(x: Float32Array): (from: number) => number {
  let last: { fine: number; coarse: number; age: number } | null = null;
  return (from) => {
    const fine = strongest(x, from, TIMECODE.fineHz, TIMECODE.fineValues);
    const nearWrap = fine === 0 || fine === TIMECODE.fineValues - 1;
    const fresh = last === null || last.fine !== fine || nearWrap || last.age >= COARSE_EVERY;
    const coarse = fresh ? strongest(x, from, TIMECODE.coarseHz, TIMECODE.coarseValues) : (last as { coarse: number }).coarse;
    last = { fine, coarse, age: fresh ? 1 : (last as { age: number }).age + 1 };
    return coarse * TIMECODE.fineValues + fine;
  };
}

/**
 * Reads the time code off decoded sound (mono, RATE Hz, first sample at `firstPts`). Sound is cut
 * into stretches wherever silence or a jump of the code breaks it; within one stretch every
 * window's slot bounds when its first sample was made, and the bounds meet within a few ms.
 */
export function readTimecode(x: Float32Array, firstPts: number): HeardSpan[] {
  const blocks = Math.floor(x.length / BLOCK);
  const loud: boolean[] = [];
  for (let b = 0; b < blocks; b++) {
    let sq = 0;
    for (let i = b * BLOCK; i < (b + 1) * BLOCK; i++) sq += (x[i] as number) ** 2;
    loud.push(Math.sqrt(sq / BLOCK) >= SILENT_RMS);
  }
  const spans: HeardSpan[] = [];
  const ptsOf = (i: number): number => firstPts + i / RATE;
  for (let b = 0; b < blocks; ) {
    if (!loud[b]) {
      b++;
      continue;
    }
    let e = b;
    while (e < blocks && loud[e]) e++;
    spans.push(...readStretch(x, b * BLOCK, e * BLOCK, ptsOf));
    b = e;
  }
  return spans;
}

/** Splits one unbroken stretch of sound [from, to) where its time code jumps, and dates each part. */
function readStretch(x: Float32Array, from: number, to: number, ptsOf: (i: number) => number): HeardSpan[] {
  const slotAt = slotReader(x);
  const cycle = TIMECODE.fineValues * TIMECODE.coarseValues;
  const windows: Reading[] = [];
  for (let w = from; w + WINDOW <= to; w += HOP) {
    if (w < UNPRIMED) continue;
    let k = slotAt(w);
    // The code's 256 s cycle: keep the slots of one stretch continuous across its wrap.
    const prev = windows.at(-1)?.k;
    while (prev !== undefined && k < prev - cycle / 2) k += cycle;
    windows.push({ centre: w + WINDOW / 2, k });
  }
  return dateParts(windows, from, to).map((p) => ({
    ptsStart: ptsOf(p.from),
    ptsEnd: ptsOf(p.to),
    codeStart: p.code,
    codeEnd: p.code === null ? null : p.code + (p.to - p.from) / RATE,
  }));
}

/** One window's reading: its centre (sample) and the slot it names. */
interface Reading {
  readonly centre: number;
  readonly k: number;
}

/** The code times (s) of sample `ref` that a window's reading allows. */
const allowed = (r: Reading, ref: number): [number, number] => {
  const c = (r.centre - ref) / RATE;
  return [r.k * TIMECODE.slotSeconds - c - MARGIN_S, (r.k + 1) * TIMECODE.slotSeconds - c + MARGIN_S];
};

/**
 * Dates sound [from, to) from its windows' readings: the code time of `from` that the most windows
 * allow wins, and the windows that allow it make one part. Disagreeing windows on either side make
 * parts of their own (the code jumped there) when there are enough of them; fewer are misreadings
 * (the first AAC frame of a segment decoded without the one before it) and join the part.
 */
function dateParts(readings: readonly Reading[], from: number, to: number): { from: number; to: number; code: number | null }[] {
  if (readings.length === 0) return [{ from, to, code: null }];
  // A sweep over the windows' allowed intervals finds the time most of them allow.
  const events = readings.flatMap((r) => {
    const [lo, hi] = allowed(r, from);
    return [{ at: lo, d: 1 }, { at: hi, d: -1 }];
  });
  events.sort((a, b) => a.at - b.at || b.d - a.d);
  let best = 0;
  let count = 0;
  let code = 0;
  events.forEach((e, i) => {
    count += e.d;
    if (count > best) {
      best = count;
      code = (e.at + (events[i + 1]?.at ?? e.at)) / 2;
    }
  });
  const agrees = readings.map((r) => {
    const [lo, hi] = allowed(r, from);
    return lo <= code && code <= hi;
  });
  const first = agrees.indexOf(true);
  const last = agrees.lastIndexOf(true);
  const out: { from: number; to: number; code: number | null }[] = [];
  let partFrom = from;
  let partTo = to;
  if (first >= JUMP_WINDOWS) {
    partFrom = Math.round(((readings[first - 1] as Reading).centre + (readings[first] as Reading).centre) / 2);
    out.push(...dateParts(readings.slice(0, first), from, partFrom));
  }
  const after: { from: number; to: number; code: number | null }[] = [];
  if (readings.length - 1 - last >= JUMP_WINDOWS) {
    partTo = Math.round(((readings[last] as Reading).centre + (readings[last + 1] as Reading).centre) / 2);
    after.push(...dateParts(readings.slice(last + 1), partTo, to));
  }
  // The winning time is for sample `from`; the part may start later.
  out.push({ from: partFrom, to: partTo, code: code + (partFrom - from) / RATE }, ...after);
  return out;
}

/**
 * A segment's time code heard from its sound and, if asked, its pictures (whole frames or the
 * counter strips), from one decode. The first sound's PTS comes from the segment's bytes.
 */
export async function seeAndHear(ts: Buffer, pictures?: 'frames' | 'strips'): Promise<{ pictures: Uint8Array[]; heard: HeardSpan[] }> {
  const soundStart = firstPts(ts).audio;
  const d = await decodeSegment(ts, { ...(pictures ? { pictures } : {}), ...(soundStart !== null ? { soundRate: RATE } : {}) });
  return { pictures: d.pictures, heard: soundStart !== null && d.sound ? readTimecode(d.sound, soundStart) : [] };
}

/** Decodes a TS segment's sound and reads its time code. */
export async function hearSegment(ts: Buffer): Promise<HeardSpan[]> {
  return (await seeAndHear(ts)).heard;
}

/** Sound one public rung aired in one entry, as heard. */
export interface HeardEntry {
  readonly label: string;
  readonly spans: readonly HeardSpan[];
}

/** Stretches shorter than this are not used to relate the time code to the timestamps. */
const CALIBRATION_MIN_S = 0.2;

/**
 * How the time code relates to the encoder's timestamps, which the public segments keep: code
 * time minus PTS, in ms, as the median over every long stretch heard, and how far the stretches
 * stray from it (sound that airs at other timestamps than its own would stray). A few forbidden
 * stretches cannot move a median taken over the whole hearing.
 */
export function codeOffset(heard: readonly HeardEntry[]): { offsetMs: number; strayMs: number } {
  const diffs = heard
    .flatMap((h) => h.spans)
    .filter((s) => s.codeStart !== null && s.ptsEnd - s.ptsStart >= CALIBRATION_MIN_S)
    .map((s) => ((s.codeStart as number) - s.ptsStart) * 1000)
    .sort((a, b) => a - b);
  if (diffs.length === 0) throw new Error('no sound long enough to read its time code');
  const offsetMs = diffs[Math.floor(diffs.length / 2)] as number;
  return { offsetMs, strayMs: Math.max(...diffs.map((d) => Math.abs(d - offsetMs))) };
}

/** A span of the encoder's timeline (its timestamps, ms) whose sound must never air. */
export interface Forbidden {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Every stretch of aired sound that was made inside a forbidden span, by its time code, beyond
 * `toleranceMs` (one AAC frame): described, so a failure says what aired. A stretch too short to
 * read its code is placed by its timestamps.
 */
export function forbiddenSound(heard: readonly HeardEntry[], forbidden: readonly Forbidden[], offsetMs: number, toleranceMs: number): string[] {
  const out: string[] = [];
  for (const h of heard) {
    for (const s of h.spans) {
      const from = s.codeStart !== null ? s.codeStart * 1000 - offsetMs : s.ptsStart * 1000;
      const to = s.codeEnd !== null ? s.codeEnd * 1000 - offsetMs : s.ptsEnd * 1000;
      for (const f of forbidden) {
        const overlap = Math.min(to, f.end) - Math.max(from, f.start);
        if (overlap > toleranceMs) out.push(`${h.label}: ${overlap.toFixed(0)} ms of sound made ${from.toFixed(0)}–${to.toFixed(0)} ms aired, inside ${f.name} (${f.start.toFixed(0)}–${f.end.toFixed(0)})`);
      }
    }
  }
  return out;
}

/** Fetches a public segment and hears it. */
export async function hearUrl(url: string): Promise<HeardSpan[]> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`segment ${url} answered ${res.status}`);
  return hearSegment(Buffer.from(await res.arrayBuffer()));
}

/** One AAC frame: how far sound may reach past an edge (a filter switches sound a frame at a time). */
export const AAC_FRAME_MS = (1024 / 48_000) * 1000;

/** The code's cycle in ms: it names the time within 256 s. */
const CYCLE_MS = TIMECODE.fineValues * TIMECODE.coarseValues * TIMECODE.slotSeconds * 1000;

/**
 * The spans of an entry with their code times placed in the right 256 s cycle: the latest at which
 * the sound was made no later than the entry appeared (`appearedAt`, wall ms), since nothing airs
 * before it is made, and nothing in these tests airs more than a cycle later.
 */
function placed(spans: readonly HeardSpan[], epoch: number, appearedAt: number): HeardSpan[] {
  return spans.map((x) => {
    if (x.codeStart === null || x.codeEnd === null) return x;
    const cycles = Math.max(0, Math.floor((appearedAt - epoch - x.codeStart * 1000) / CYCLE_MS));
    return { ...x, codeStart: x.codeStart + (cycles * CYCLE_MS) / 1000, codeEnd: x.codeEnd + (cycles * CYCLE_MS) / 1000 };
  });
}

/**
 * The sound that decoded entries aired and that was made inside `span`, beyond one AAC frame, on
 * the test encoder's own timeline (its epoch plus the time code, as `TestEncoder.timeOf` places
 * frames): described, so a failure says what aired; empty when none was.
 */
export function soundMadeWithin(entries: readonly { readonly heard: readonly HeardEntry[]; readonly appearedAt: number }[], epoch: number, span: Forbidden): string[] {
  const heard = entries.flatMap((e) => e.heard.map((h) => ({ label: h.label, spans: placed(h.spans, epoch, e.appearedAt) })));
  return forbiddenSound(withShortSpansPlaced(heard), [span], -epoch, AAC_FRAME_MS);
}

/** How far (s of media) a span too short to read may be from the readable one it is placed by. */
const PLACE_BY_NEIGHBOUR_SEC = 10;

/**
 * Spans too short to read (a segment that begins a frame or two before an end, say) placed by the
 * nearest readable span of the same rung: a rung's timestamps run with the encoder's time, so the
 * code differs by what the timestamps do. Unplaced, such a span would be judged by its timestamp
 * against instants on the wall clock, which says nothing. One with no readable neighbour stays
 * unplaced (and is then judged, and refused, that way).
 */
function withShortSpansPlaced(heard: readonly HeardEntry[]): HeardEntry[] {
  const rung = (label: string) => label.split('/')[0];
  const readable = heard.flatMap((h) => h.spans.filter((x) => x.codeStart !== null).map((x) => ({ rung: rung(h.label), x })));
  return heard.map((h) => ({
    label: h.label,
    spans: h.spans.map((x) => {
      if (x.codeStart !== null) return x;
      const near = readable
        .filter((r) => r.rung === rung(h.label) && Math.abs(r.x.ptsStart - x.ptsStart) <= PLACE_BY_NEIGHBOUR_SEC)
        .sort((a, b) => Math.abs(a.x.ptsStart - x.ptsStart) - Math.abs(b.x.ptsStart - x.ptsStart))[0];
      if (!near) return x;
      const codeStart = (near.x.codeStart as number) + (x.ptsStart - near.x.ptsStart);
      return { ...x, codeStart, codeEnd: codeStart + (x.ptsEnd - x.ptsStart) };
    }),
  }));
}

/** How much sound (ms) decoded entries aired whose time code could be read: a check on it is not vacuous. */
export function heardMs(entries: readonly { readonly heard: readonly HeardEntry[] }[]): number {
  return entries.flatMap((e) => e.heard.flatMap((h) => h.spans)).reduce((n, s) => n + (s.codeStart === null ? 0 : (s.ptsEnd - s.ptsStart) * 1000), 0);
}
