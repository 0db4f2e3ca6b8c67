/**
 * Start-up: how long after a courtroom encoder's first frame the clerk's undelayed preview has its
 * first segment, and the public its first picture (less the delay D), against bare FFmpeg in the
 * same run: an FFmpeg listening for RTMP itself, stream-copying into 2 s HLS segments (the floor
 * of the preview) or transcoding the same ladder (the floor of the public picture). Every time
 * counts from the moment the encoder process is spawned, for both routes alike.
 * Usage: npm run bench -- start [trials] [--smoke]   (smoke: one trial, 320x180, the smoke ladder)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { decodeCounters } from '../test/support/public-feed.ts';
import { loadConfig } from '../config/load.ts';
import type { RungOptions } from '../server/media/args.ts';
import { SyntheticEncoder } from '../server/media/synthetic-encoder.ts';
import { freeTcpPort } from '../test/support/redis.ts';
import { seedHearing, startTestServer } from '../test/support/server.ts';
import { quantile } from './stats.ts';
import { bareListeningLadder, openAndStart, rtmpListenInput, untilListening } from './bench-hearing.ts';
import { numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';

const TRIALS = SMOKE ? 1 : numberArg(0, 3);
const LADDER = (SMOKE ? SMOKE_LADDER : loadConfig({ env: {} }).media.ladder) as readonly RungOptions[];
const PICTURE = SMOKE ? { width: 320, height: 180 } : { width: 1280, height: 720 };
const FPS = 30;
const D_SECONDS = 2;
const TOP = LADDER.find((r) => r.height !== undefined)!.name;
const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 20 ms until it holds; the time it first held, or NaN after `limitMs`. */
async function when(probe: () => Promise<boolean>, limitMs = 30_000): Promise<number> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (await probe().catch(() => false)) return Date.now();
    await sleep(20);
  }
  return Number.NaN;
}

/** Milliseconds from the encoder's spawn; `firstFrame`: the encoder's frame the public picture starts with (NaN for bare FFmpeg, which keeps every frame). */
interface Trial {
  readonly preview: number;
  readonly publicPicture: number;
  readonly firstFrame: number;
  /** When the encoder's first frame reached Courtcast's ingest (NaN for bare FFmpeg). */
  readonly arrival: number;
}

const listsSegment = async (file: string): Promise<boolean> => (await readFile(file, 'utf8')).includes('.ts');

/** Counters start this far before the spawn, so a picture's counter is never 0 (a slate reads 0). */
const COUNTER_LEAD_MS = 10_000;

/** An encoder like the tests', pushing RTMP to `url`; returns it with the instant it was spawned. */
function encoder(url: string): { enc: SyntheticEncoder; spawnedAt: number } {
  const spawnedAt = Date.now();
  const enc = new SyntheticEncoder({ target: url, format: 'flv', ...PICTURE, fps: FPS, toneHz: 440, caption: 'Start', counterEpochMs: spawnedAt - COUNTER_LEAD_MS }, 'ffmpeg', logger);
  enc.start();
  return { enc, spawnedAt };
}

/**
 * When the public playlist of `rung` first lists a segment with the courtroom's picture (the
 * slates before it carry no counter), and which of the encoder's frames it starts with (0: its
 * very first).
 */
async function firstPicture(base: string, rung: string): Promise<{ at: number; firstFrame: number }> {
  const seen = new Set<string>();
  let found: { at: number; firstFrame: number } | null = null;
  const at = await when(async () => {
    const res = await fetch(`${base}/${rung}/index.m3u8`);
    if (!res.ok) return false;
    for (const uri of (await res.text()).split('\n').filter((l) => l.endsWith('.ts'))) {
      if (seen.has(uri)) continue;
      seen.add(uri);
      const counters = await decodeCounters(Buffer.from(await (await fetch(`${base}/${rung}/${uri}`)).arrayBuffer()));
      const first = counters.find((c) => c > 0);
      if (first !== undefined) {
        found = { at: Date.now(), firstFrame: first - Math.round(COUNTER_LEAD_MS / (1000 / FPS)) };
        return true;
      }
    }
    return false;
  });
  const f = found as { at: number; firstFrame: number } | null;
  return { at: f?.at ?? at, firstFrame: f?.firstFrame ?? Number.NaN };
}

/** Courtcast: the hearing open and started (approved, reviewed) before the encoder connects. */
async function courtcast(): Promise<Trial> {
  const s = await startTestServer({ media: { ladder: LADDER, segmentSeconds: 2, fps: FPS } });
  try {
    const { hearingId, streamKey, courtroomId } = await seedHearing(s, { delaySeconds: D_SECONDS });
    await openAndStart(s, hearingId);
    const { enc, spawnedAt } = encoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`);
    const previewAt = when(async () => {
      const res = await fetch(`${s.base}/api/hearings/${hearingId}/preview/index.m3u8`, { headers: { authorization: `Bearer ${s.token}` } });
      return res.ok && (await res.text()).includes('#EXTINF');
    });
    // The encoder's first frame, as the ingest saw it arrive (loopback: within a millisecond of its sending).
    const arrivedAt = when(async () => (s.cc.ingest.clockOf(courtroomId)?.size ?? 0) > 0);
    const [a, p, q] = await Promise.all([arrivedAt, previewAt, firstPicture(`${s.base}/hls/hearings/${hearingId}`, TOP)]);
    await enc.close();
    return { preview: p - spawnedAt, publicPicture: q.at - spawnedAt - D_SECONDS * 1000, firstFrame: q.firstFrame, arrival: a - spawnedAt };
  } finally {
    await s.close();
  }
}

/** Bare FFmpeg listening for the encoder's RTMP itself: a stream copy and a ladder transcode, both into 2 s HLS segments. */
async function bare(): Promise<Trial> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'courtcast-bench-start-'));
  const [copyPort, ladderPort] = [await freeTcpPort(), await freeTcpPort()];
  const copy = spawn('ffmpeg', [...rtmpListenInput(copyPort).args, '-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_flags', 'temp_file', '-hls_segment_filename', `${dir}/copy%03d.ts`, `${dir}/copy.m3u8`], { stdio: 'ignore' });
  const trans = bareListeningLadder({ port: ladderPort, ladder: LADDER, fps: FPS, dir });
  await Promise.all([untilListening(copyPort), untilListening(ladderPort)]);
  try {
    const a = encoder(rtmpListenInput(copyPort).url);
    const b = encoder(rtmpListenInput(ladderPort).url);
    const [p, q] = await Promise.all([when(() => listsSegment(`${dir}/copy.m3u8`)), when(() => listsSegment(`${dir}/${TOP}/index.m3u8`))]);
    await Promise.all([a.enc.close(), b.enc.close()]);
    return { preview: p - a.spawnedAt, publicPicture: q - b.spawnedAt, firstFrame: Number.NaN, arrival: Number.NaN };
  } finally {
    copy.kill('SIGKILL');
    trans.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const ours: Trial[] = [];
const floor: Trial[] = [];
for (let i = 0; i < TRIALS; i++) {
  floor.push(await bare());
  ours.push(await courtcast());
}

const s = (xs: number[]) => `${(quantile(xs, 0.5) / 1000).toFixed(2)} (${(Math.min(...xs) / 1000).toFixed(2)}–${(Math.max(...xs) / 1000).toFixed(2)})`;
const ratio = (a: number[], b: number[]) => (quantile(a, 0.5) / quantile(b, 0.5)).toFixed(2);
process.stdout.write(
  [
    `\nStart-up from the encoder's spawn: ${PICTURE.width}x${PICTURE.height}p${FPS} over RTMP, 2 s GOP and segments, ladder ${LADDER.map((r) => r.name).join('/')}, ${TRIALS} trial(s)${SMOKE ? ' (smoke)' : ''}, seconds, median (min–max)`,
    '',
    '| what | Courtcast | bare FFmpeg | ratio (median) |',
    '| --- | --- | --- | --- |',
    `| first preview segment (stream copy) | ${s(ours.map((o) => o.preview))} | ${s(floor.map((o) => o.preview))} | ${ratio(ours.map((o) => o.preview), floor.map((o) => o.preview))} |`,
    `| first picture on the top rung (${TOP}; Courtcast less D) | ${s(ours.map((o) => o.publicPicture))} | ${s(floor.map((o) => o.publicPicture))} | ${ratio(ours.map((o) => o.publicPicture), floor.map((o) => o.publicPicture))} |`,
    '',
    `From the encoder's first frame reaching the ingest (${s(ours.map((o) => o.arrival))} s after its spawn), the first preview segment took ${s(ours.map((o) => o.preview - o.arrival))} s.`,
    `The public picture started with the encoder's frame ${ours.map((o) => o.firstFrame).join(', ')} (0: its very first; the hearing was started before the encoder connected).`,
    '',
  ].join('\n'),
);
if ([...ours, ...floor].some((o) => !Number.isFinite(o.preview) || !Number.isFinite(o.publicPicture))) {
  process.stderr.write('a route never produced its first segment\n');
  process.exit(1);
}
process.exit(0);
