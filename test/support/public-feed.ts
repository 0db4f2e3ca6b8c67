import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import HLS from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types.js';
import { readCounter } from '../../server/media/synthetic.ts';

const run = promisify(execFile);

/** One entry of the public playlist, as a viewer first saw it. */
export interface SeenEntry {
  readonly seq: number;
  readonly uri: string;
  readonly appearedAt: number;
  readonly discontinuity: boolean;
  readonly programDateTime: number | null;
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
  private busy = false;

  constructor(readonly playlistUrl: string) {}

  start(everyMs = 100): this {
    this.timer = setInterval(() => void this.poll(), everyMs);
    return this;
  }

  async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
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
      const pl = strictParse(await res.text()) as MediaPlaylist;
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
          });
        }
      });
      if (pl.endlist) this.ended = true;
    } catch (err) {
      this.errors.push(String(err));
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  sorted(): SeenEntry[] {
    return [...this.entries.values()].sort((a, b) => a.seq - b.seq);
  }
}

/** Decodes every frame of a TS segment and reads the burned-in counter (0 = no counter: a slate). */
export async function decodeCounters(ts: Buffer): Promise<number[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cc-seg-'));
  try {
    const file = path.join(dir, 'seg.ts');
    await writeFile(file, ts);
    const { stdout } = await run(
      'ffmpeg',
      ['-v', 'error', '-i', file, '-map', '0:v:0', '-vf', 'scale=640:360,crop=640:40:0:0,format=gray', '-f', 'rawvideo', '-'],
      { encoding: 'buffer', maxBuffer: 1 << 28 },
    );
    const frame = 640 * 40;
    const out: number[] = [];
    for (let i = 0; i + frame <= stdout.length; i += frame) out.push(readCounter(stdout.subarray(i, i + frame)));
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A public entry with its decoded frames. */
export interface DecodedEntry extends SeenEntry {
  readonly counters: number[];
  /** True when the entry carries program media (frames with a counter). */
  readonly program: boolean;
}

/** Downloads and decodes every entry the feed saw. */
export async function decodeFeed(feed: PublicFeed): Promise<DecodedEntry[]> {
  const out: DecodedEntry[] = [];
  for (const e of feed.sorted()) {
    const res = await fetch(e.uri);
    if (res.status !== 200) throw new Error(`segment ${e.uri} answered ${res.status}`);
    const counters = await decodeCounters(Buffer.from(await res.arrayBuffer()));
    out.push({ ...e, counters, program: counters.some((c) => c > 0) });
  }
  return out;
}
