/**
 * MPEG-TS surgery that lets a re-rendered segment stand in for the original without a glitch:
 * its continuity counters are rewritten to start where the original's started and end where the
 * original's ended, per PID, so the segments before and after still follow on (a demuxer treats
 * a jump as packet loss and flags the packet corrupt). Pure functions over buffers.
 */

const PACKET = 188;
const SYNC = 0x47;
const PAYLOAD_BYTES = 184;

interface PacketInfo {
  readonly pid: number;
  readonly pusi: boolean;
  /** Adaptation field control: 1 payload only, 2 adaptation only, 3 both. */
  readonly afc: number;
  readonly cc: number;
}

function info(p: Buffer): PacketInfo {
  if (p[0] !== SYNC) throw new Error('not a transport stream: a packet has no sync byte');
  const b1 = p[1]!;
  const b3 = p[3]!;
  return { pid: ((b1 & 0x1f) << 8) | p[2]!, pusi: (b1 & 0x40) !== 0, afc: (b3 >> 4) & 0x3, cc: b3 & 0xf };
}

const hasPayload = (p: PacketInfo): boolean => (p.afc & 1) === 1;

function packets(buf: Buffer): Buffer[] {
  if (buf.length % PACKET !== 0) throw new Error(`transport stream length ${buf.length} is not a multiple of ${PACKET}`);
  const out: Buffer[] = [];
  for (let at = 0; at < buf.length; at += PACKET) out.push(buf.subarray(at, at + PACKET));
  return out;
}

/** A packet's adaptation field content (without its length byte) and payload. */
function parts(p: Buffer): { af: Buffer | null; payload: Buffer } {
  if (info(p).afc !== 3) return { af: null, payload: p.subarray(4) };
  const length = p[4]!;
  return { af: p.subarray(5, 5 + length), payload: p.subarray(5 + length) };
}

/** Whether a packet starts a PSI table (pointer field, then a table id) rather than a PES. */
function isTable(p: Buffer): boolean {
  const i = info(p);
  return i.pusi && i.afc === 1 && p[4] === 0 && !(p[5] === 0 && p[6] === 1);
}

/** Per PID, the continuity counters of the first and last packets that carry payload. */
export function counterSpans(ts: Buffer): Map<number, { first: number; last: number }> {
  const spans = new Map<number, { first: number; last: number }>();
  for (const p of packets(ts)) {
    const i = info(p);
    if (!hasPayload(i)) continue;
    const s = spans.get(i.pid);
    spans.set(i.pid, { first: s?.first ?? i.cc, last: i.cc });
  }
  return spans;
}

/** Each PES start in a stream, with its kind (video 0xE0-0xEF, audio 0xC0-0xDF) and PTS in seconds. */
function* pesStarts(ts: Buffer): Generator<{ kind: 'video' | 'audio'; pts: number }> {
  for (const p of packets(ts)) {
    const i = info(p);
    if (!i.pusi || !hasPayload(i)) continue;
    const pes = parts(p).payload;
    if (pes.length < 14 || pes[0] !== 0 || pes[1] !== 0 || pes[2] !== 1) continue;
    const streamId = pes[3]!;
    const kind = streamId >= 0xe0 && streamId <= 0xef ? 'video' : streamId >= 0xc0 && streamId <= 0xdf ? 'audio' : null;
    if (!kind || (pes[7]! & 0x80) === 0) continue;
    yield { kind, pts: ptsAt(pes.subarray(9, 14)) };
  }
}

/** The PTS, in seconds, of the first PES of each kind of stream. */
export function firstPts(ts: Buffer): { video: number | null; audio: number | null } {
  const found: { video: number | null; audio: number | null } = { video: null, audio: null };
  for (const { kind, pts } of pesStarts(ts)) {
    if (found[kind] !== null) continue;
    found[kind] = pts;
    if (found.video !== null && found.audio !== null) break;
  }
  return found;
}

/** The PTS, in seconds, of every video frame of a segment, in stream order (one PES per frame). */
export function videoPts(ts: Buffer): number[] {
  const out: number[] = [];
  for (const { kind, pts } of pesStarts(ts)) if (kind === 'video') out.push(pts);
  return out;
}

/**
 * Splits a packet into two that carry the same payload bytes, padded with adaptation-field
 * stuffing: one more packet on the PID, the same elementary stream. The first keeps the
 * original's adaptation field (PCR, random-access flag) and its unit-start flag.
 */
function split(p: Buffer): [Buffer, Buffer] {
  const { af, payload } = parts(p);
  const half = Math.ceil(payload.length / 2);
  const make = (part: Buffer, pusi: boolean, keep: Buffer | null): Buffer => {
    const out = Buffer.alloc(PACKET, 0xff);
    out[0] = SYNC;
    out[1] = (p[1]! & ~0x40) | (pusi ? 0x40 : 0);
    out[2] = p[2]!;
    out[3] = (p[3]! & 0xc0) | 0x30; // adaptation field and payload; the counter is set later
    const afLength = PAYLOAD_BYTES - 1 - part.length;
    out[4] = afLength;
    // Keep the original field's bytes, or write an empty flags byte; the rest is stuffing.
    if (keep && keep.length > 0) keep.copy(out, 5);
    else if (afLength > 0) out[5] = 0x00;
    part.copy(out, 5 + afLength);
    return out;
  };
  return [make(payload.subarray(0, half), (p[1]! & 0x40) !== 0, af), make(payload.subarray(half), false, null)];
}

/**
 * Rewrites `rendered` so that, per PID, its continuity counters run from the original's first
 * to the original's last. Where the packet counts differ modulo 16, PES packets are split (and
 * a table's packet repeated, which a demuxer takes as the table sent again) until they agree.
 */
export function continueCounters(rendered: Buffer, original: Buffer): Buffer {
  const want = counterSpans(original);
  const list = packets(rendered);
  const byPid = new Map<number, number[]>();
  list.forEach((p, idx) => {
    const i = info(p);
    if (!hasPayload(i)) return;
    const idxs = byPid.get(i.pid);
    if (idxs) idxs.push(idx);
    else byPid.set(i.pid, [idx]);
  });
  const dropped = new Set<number>();
  const replaced = new Map<number, Buffer>();
  const extra = new Map<number, Buffer[]>();
  for (const [pid, idxs] of byPid) {
    const span = want.get(pid);
    if (!span) continue;
    const wanted = ((span.last - span.first + 16) % 16) + 1; // modulo 16, at least one
    const first = idxs[0]!;
    if (isTable(list[first]!)) {
      for (const idx of idxs.slice(1)) dropped.add(idx);
      if (wanted > 1) extra.set(first, Array.from({ length: wanted - 1 }, () => Buffer.from(list[first]!)));
      continue;
    }
    const deficit = (((wanted - idxs.length) % 16) + 16) % 16;
    // Split from the end, where a slightly larger segment matters least.
    const splittable = idxs.filter((idx) => parts(list[idx]!).payload.length >= 2);
    if (splittable.length < deficit) throw new Error(`PID ${pid}: too few packets to align continuity counters`);
    for (const idx of splittable.slice(splittable.length - deficit)) {
      const [a, b] = split(list[idx]!);
      replaced.set(idx, a);
      extra.set(idx, [b]);
    }
  }
  const out: Buffer[] = [];
  list.forEach((p, idx) => {
    if (dropped.has(idx)) return;
    out.push(Buffer.from(replaced.get(idx) ?? p));
    for (const e of extra.get(idx) ?? []) out.push(e);
  });
  const next = new Map<number, number>();
  for (const p of out) {
    const i = info(p);
    const span = want.get(i.pid);
    if (!span) continue;
    const current = next.get(i.pid);
    // Only payload-carrying packets advance the counter; an adaptation-only packet repeats it.
    const cc = hasPayload(i) ? (current === undefined ? span.first : (current + 1) % 16) : (current ?? span.first);
    if (hasPayload(i)) next.set(i.pid, cc);
    p[3] = (p[3]! & 0xf0) | cc;
  }
  return Buffer.concat(out);
}

/** The audio stream's PES packets (the first audio PID's), each with its PTS in seconds and its payload. */
function audioPes(ts: Buffer): { pts: number | null; es: Buffer }[] {
  const out: { pts: number | null; es: Buffer[] }[] = [];
  let audioPid: number | null = null;
  for (const p of packets(ts)) {
    const i = info(p);
    if (!hasPayload(i)) continue;
    const body = parts(p).payload;
    if (i.pusi && body[0] === 0 && body[1] === 0 && body[2] === 1 && body[3]! >= 0xc0 && body[3]! <= 0xdf) {
      audioPid ??= i.pid;
      if (i.pid !== audioPid) continue;
      out.push({ pts: (body[7]! & 0x80) !== 0 ? ptsAt(body.subarray(9, 14)) : null, es: [body.subarray(9 + body[8]!)] });
    } else if (i.pid === audioPid) {
      out.at(-1)?.es.push(body);
    }
  }
  return out.map((o) => ({ pts: o.pts, es: Buffer.concat(o.es) }));
}

/** A 33-bit PTS from its five bytes in a PES header, in seconds. */
function ptsAt(b: Buffer): number {
  return ((b[0]! & 0x0e) * 2 ** 29 + b[1]! * 2 ** 22 + (b[2]! >> 1) * 2 ** 15 + b[3]! * 2 ** 7 + (b[4]! >> 1)) / 90_000;
}

/** ADTS sampling-frequency indexes (ISO 14496-3). */
const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** The ADTS frames of one elementary-stream payload: how many, and the sample rate of the first. */
function adtsFrames(es: Buffer): { frames: number; rate: number | null } {
  let frames = 0;
  let rate: number | null = null;
  for (let at = 0; at + 7 <= es.length; ) {
    if (es[at] !== 0xff || (es[at + 1]! & 0xf0) !== 0xf0) throw new Error('audio is not ADTS AAC');
    const length = ((es[at + 3]! & 0x03) << 11) | (es[at + 4]! << 3) | (es[at + 5]! >> 5);
    if (length < 7) throw new Error('malformed ADTS frame');
    rate ??= ADTS_RATES[(es[at + 2]! >> 2) & 0x0f] ?? null;
    frames++;
    at += length;
  }
  return { frames, rate };
}

/**
 * How many AAC frames (ADTS) the audio stream carries: with the first audio PTS this gives where
 * the segment's sound ends, which a pitch shifter that swallows its tail must be trimmed back to.
 */
export function aacFrameCount(ts: Buffer): number {
  return audioPes(ts).reduce((n, p) => n + adtsFrames(p.es).frames, 0);
}

/**
 * Where a segment's sound lies on its own timestamps, in seconds: from the first sample of its
 * first AAC frame to the last sample of its last (each frame is 1024 samples). Null without sound.
 * This is what a segment's capture interval must cover besides its pictures: sound may start
 * before the first frame or run past the last.
 */
export function audioSpan(ts: Buffer): { start: number; end: number } | null {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const p of audioPes(ts)) {
    if (p.pts === null) continue;
    const { frames, rate } = adtsFrames(p.es);
    if (frames === 0 || rate === null) continue;
    start = Math.min(start, p.pts);
    end = Math.max(end, p.pts + (frames * 1024) / rate);
  }
  return Number.isFinite(start) ? { start, end } : null;
}
