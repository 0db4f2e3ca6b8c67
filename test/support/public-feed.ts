import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import HLS from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types.js';
import { readCounter } from '../../server/media/synthetic.ts';
import { decodeSegment } from './segment-decode.ts';
import { seeAndHear, type HeardEntry, type HeardSpan } from './timecode.ts';
import { mapOnCores, waitFor } from './wait.ts';

const run = promisify(execFile);

/** One entry of the public playlist, as a viewer first saw it. */
export interface SeenEntry {
  readonly seq: number;
  readonly uri: string;
  readonly appearedAt: number;
  readonly discontinuity: boolean;
  readonly programDateTime: number | null;
  /** Its EXTINF, in seconds. */
  readonly durationSec: number;
}

/** Parses a playlist in hls-parser's strict mode; throws on anything malformed. */
export function strictParse(text: string): ReturnType<typeof HLS.parse> {
  HLS.setOptions({ strictMode: true });
  try {
    return HLS.parse(text);
  } finally {
    HLS.setOptions({ strictMode: false });
  }
}

/**
 * Watches a public media playlist from outside, like a viewer: polls it over HTTP, records when
 * each entry first appeared, and validates every version of the playlist strictly.
 */
export class PublicFeed {
  readonly entries = new Map<number, SeenEntry>();
  ended = false;
  /** Bad answers: error statuses or playlists that fail strict parsing. */
  errors: string[] = [];
  /** Polls that reached no server (a test that restarts the server expects some). */
  unreachable = 0;
  private timer: NodeJS.Timeout | null = null;
  /** What `decodeFeed` made of each body it fetched, by content hash: a later call decodes only what is new. */
  readonly decodedBodies = new Map<string, { counters: number[]; heard?: readonly HeardSpan[] }>();

  constructor(readonly playlistUrl: string) {}

  start(everyMs = 100): this {
    // A tick finds a poll still running and skips: polls never queue up behind a slow server.
    this.timer = setInterval(() => void (this.busy ? undefined : this.poll()), everyMs);
    return this;
  }

  /**
   * Reads the playlist once more. A poll already running may have fetched it before whatever the
   * caller just did (a cut), so this waits for that one and then fetches it afresh: what it
   * records is what a viewer could see at the time of the call, or later.
   */
  async poll(): Promise<void> {
    while (this.current) await this.current;
    this.current = this.fetchOnce().finally(() => (this.current = null));
    await this.current;
  }

  private current: Promise<void> | null = null;

  private get busy(): boolean {
    return this.current !== null;
  }

  private async fetchOnce(): Promise<void> {
    try {
      let res: Response;
      try {
        res = await fetch(this.playlistUrl);
      } catch {
        this.unreachable++;
        return;
      }
      if (res.status === 404) return;
      if (res.status !== 200) {
        this.errors.push(`playlist status ${res.status}`);
        return;
      }
      const now = Date.now();
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        this.errors.push(`playlist cut short: ${String(err)}`);
        return;
      }
      const pl = strictParse(text) as MediaPlaylist;
      const base = pl.mediaSequenceBase ?? 0;
      pl.segments.forEach((s, i) => {
        const seq = base + i;
        if (!this.entries.has(seq)) {
          this.entries.set(seq, {
            seq,
            uri: new URL(s.uri, this.playlistUrl).toString(),
            appearedAt: now,
            discontinuity: Boolean(s.discontinuity),
            programDateTime: s.programDateTime ? s.programDateTime.getTime() : null,
            durationSec: s.duration,
          });
        }
      });
      if (pl.endlist) this.ended = true;
    } catch (err) {
      this.errors.push(String(err));
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Waits for EXT-X-ENDLIST, stops polling and takes one last look. */
  async untilEnded(timeoutMs: number): Promise<void> {
    await waitFor(() => this.ended, 'the public playlist to end', timeoutMs);
    this.stop();
    await this.poll();
  }

  sorted(): SeenEntry[] {
    return [...this.entries.values()].sort((a, b) => a.seq - b.seq);
  }
}

/**
 * Decodes every frame of a media file (TS or MP4) and reads the burned-in counter (0 = no counter:
 * a slate). Each decoded frame is read once, whatever its timestamp (no frame-rate conversion).
 */
export async function fileCounters(file: string): Promise<number[]> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-map', '0:v:0', '-vf', 'scale=640:360,crop=640:40:0:0,format=gray', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-'],
    { encoding: 'buffer', maxBuffer: 1 << 30 },
  );
  const frame = 640 * 40;
  const out: number[] = [];
  for (let i = 0; i + frame <= stdout.length; i += frame) out.push(readCounter(stdout.subarray(i, i + frame)));
  return out;
}

/** Decodes every frame of a TS segment and reads the burned-in counter (0 = no counter: a slate). */
export async function decodeCounters(ts: Buffer): Promise<number[]> {
  return (await decodeSegment(ts, { pictures: 'strips' })).pictures.map((f) => readCounter(f));
}

/** A public entry with its decoded frames, and the sound it aired. */
export interface DecodedEntry extends SeenEntry {
  readonly counters: number[];
  /** True when the entry carries program media (frames with a counter). */
  readonly program: boolean;
  /**
   * The sound heard in this entry on the feed's rung and on the audio-only rung (`audio`, when the
   * ladder has one), with its time code; empty when not asked to hear.
   */
  readonly heard: HeardEntry[];
}

/** The audio-only rung's name in the test ladders. */
const AUDIO_RUNG = 'audio';

/**
 * Downloads and decodes every entry the feed saw: its pictures' counters and, unless `hear` is
 * false (a check polled in a loop), the sound of its rung and of the audio-only rung, so a privacy
 * test hears as well as it sees.
 */
export async function decodeFeed(feed: PublicFeed, o: { hear?: boolean } = {}): Promise<DecodedEntry[]> {
  const fetchBody = async (uri: string): Promise<Buffer | null> => {
    const res = await fetch(uri);
    if (res.status === 404 && uri.includes(`/${AUDIO_RUNG}/`)) return null;
    if (res.status !== 200) throw new Error(`segment ${uri} answered ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  };
  // Decoding is the slow part: a body seen before (same bytes) is not decoded again.
  const decoded = async (body: Buffer, hear: boolean, pictures = true) => {
    const key = createHash('sha256').update(body).digest('hex');
    const known = feed.decodedBodies.get(key);
    // Pictures and sound come from one decode: each FFmpeg start costs CPU the live tests need.
    const strips = pictures && !known ? ('strips' as const) : undefined;
    const fresh = hear && !known?.heard ? await seeAndHear(body, strips) : { pictures: strips ? (await decodeSegment(body, { pictures: strips })).pictures : [], heard: undefined };
    const counters = known?.counters ?? fresh.pictures.map((f) => readCounter(f));
    const heard = hear ? (known?.heard ?? fresh.heard) : undefined;
    feed.decodedBodies.set(key, { counters, ...(heard ? { heard } : known?.heard ? { heard: known.heard } : {}) });
    return { counters, heard: heard ?? [] };
  };
  return mapOnCores(feed.sorted(), async (e): Promise<DecodedEntry> => {
    try {
      return await decodeEntry(e);
    } catch (err) {
      // Name the entry: a segment the public was served that does not decode is the finding.
      throw new Error(`public entry ${e.seq} (${e.uri}) did not decode: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  });
  async function decodeEntry(e: SeenEntry): Promise<DecodedEntry> {
    const body = (await fetchBody(e.uri)) as Buffer;
    const rung = new URL(e.uri).pathname.split('/').at(-2) ?? '';
    const own = await decoded(body, o.hear !== false);
    const heard: HeardEntry[] = [];
    if (o.hear !== false) {
      heard.push({ label: `${rung}/${e.seq}`, spans: own.heard });
      const audio = rung === AUDIO_RUNG ? null : await fetchBody(e.uri.replace(`/${rung}/`, `/${AUDIO_RUNG}/`));
      const heardAudio = audio
        ? await decoded(audio, true, false).catch(async (err: unknown) => {
            // Kept for inspection (ffprobe, a hex dump): such a segment is a fault to explain.
            const kept = path.join(os.tmpdir(), `courtcast-undecodable-${Date.now()}-${AUDIO_RUNG}-${e.seq}.ts`);
            await writeFile(kept, audio);
            throw new Error(`its ${AUDIO_RUNG} rung (kept at ${kept}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
          })
        : null;
      if (heardAudio) heard.push({ label: `${AUDIO_RUNG}/${e.seq}`, spans: heardAudio.heard });
    }
    return { ...e, counters: own.counters, program: own.counters.some((c) => c > 0), heard };
  }
}

/** Every frame of a TS segment as 640x360 grey pixels, each decoded frame once. */
export async function decodeFrames(ts: Buffer): Promise<Uint8Array[]> {
  return (await decodeSegment(ts, { pictures: 'frames' })).pictures;
}

/**
 * The level (RMS, dBFS) and pitch (by zero crossings: the test signal is a pure tone) of decoded
 * sound; silence when there is none.
 */
export function toneOf(x: Float32Array | null): { rmsDb: number; hz: number } {
  if (!x || x.length === 0) return { rmsDb: -Infinity, hz: 0 };
  let sum = 0;
  let crossings = 0;
  let prev = 0;
  for (const v of x) {
    sum += v * v;
    if ((prev < 0 && v >= 0) || (prev >= 0 && v < 0)) crossings++;
    prev = v;
  }
  return { rmsDb: 10 * Math.log10(sum / x.length || 1e-12), hz: crossings / 2 / (x.length / TONE_RATE) };
}

const TONE_RATE = 48_000;

/** Dominant frequency of a segment's audio. */
export async function dominantHz(ts: Buffer): Promise<number> {
  return toneOf((await decodeSegment(ts, { soundRate: TONE_RATE })).sound).hz;
}

/** A segment's whole frames and its sound's level and pitch, from one decode. */
export async function framesAndTone(ts: Buffer): Promise<{ frames: Uint8Array[]; tone: { rmsDb: number; hz: number } }> {
  const d = await decodeSegment(ts, { pictures: 'frames', soundRate: TONE_RATE });
  return { frames: d.pictures, tone: toneOf(d.sound) };
}

/**
 * Statistics of a rectangle of a 640x360 grey frame (normalised region): mean, variance, edge
 * energy (mean gradient magnitude: what blur takes away) and texture, the median variance of the
 * 4x4 tiles (what blur and pixelation both take away: pixel blocks keep strong edges along their
 * borders, but nearly every small tile lies inside one flat block).
 */
export function regionStats(frame: Uint8Array, r: { x: number; y: number; w: number; h: number }, inset = 6): { mean: number; variance: number; edges: number; texture: number } {
  const x0 = Math.ceil(r.x * 640) + inset;
  const y0 = Math.ceil(r.y * 360) + inset;
  const x1 = Math.floor((r.x + r.w) * 640) - inset;
  const y1 = Math.floor((r.y + r.h) * 360) - inset;
  const at = (x: number, y: number): number => frame[y * 640 + x] ?? 0;
  let sum = 0;
  let sq = 0;
  let edges = 0;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const v = at(x, y);
      sum += v;
      sq += v * v;
      edges += Math.abs(v - (frame[y * 640 + x + 1] ?? v)) + Math.abs(v - (frame[(y + 1) * 640 + x] ?? v));
      n++;
    }
  }
  const tiles: number[] = [];
  for (let y = y0; y + 4 <= y1; y += 4) {
    for (let x = x0; x + 4 <= x1; x += 4) {
      let ts = 0;
      let tq = 0;
      for (let dy = 0; dy < 4; dy++) {
        for (let dx = 0; dx < 4; dx++) {
          const v = at(x + dx, y + dy);
          ts += v;
          tq += v * v;
        }
      }
      tiles.push(tq / 16 - (ts / 16) ** 2);
    }
  }
  tiles.sort((a, b) => a - b);
  const mean = sum / n;
  return { mean, variance: sq / n - mean * mean, edges: edges / n, texture: tiles[Math.floor(tiles.length / 2)] ?? 0 };
}

/**
 * The delay invariant, from decoded frames: no program entry appeared before the capture of its
 * last frame plus D. The counter's time estimate is never later than the true capture, so the
 * check is strict. Returns the entries that broke it (empty when none did).
 */
export function delayViolations(entries: readonly DecodedEntry[], timeOf: (counter: number) => number, delayMs: number): string[] {
  return entries
    .filter((e) => e.program)
    .flatMap((e) => {
      const early = delayMs - (e.appearedAt - timeOf(Math.max(...e.counters)));
      return early > 0 ? [`entry ${e.seq} appeared ${early} ms early`] : [];
    });
}
