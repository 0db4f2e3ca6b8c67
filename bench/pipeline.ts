/**
 * Pipeline CPU: what a live hearing's FFmpegs (the transcoder with its idle mask slots, and the
 * master recorder) cost, against bare FFmpeg transcoding the same ladder from the same encoder in
 * the same run, read from /proc over the same span. The bare FFmpeg listens for the encoder's
 * RTMP itself; Courtcast's FFmpegs read it from the ingest, as in production. Courtcast runs with
 * its time overlay off and on. The encoders themselves are not counted.
 * Each figure is the median of interleaved rounds.
 * Usage: npm run bench -- pipeline [seconds] [rounds] [--smoke]   (smoke: one round of 1 s, 320x180, the smoke ladder)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../config/load.ts';
import type { RungOptions } from '../server/media/args.ts';
import { tuneChildMalloc } from '../server/media/malloc-tuning.ts';
import { SyntheticEncoder } from '../server/media/synthetic-encoder.ts';
import { cpuSeconds } from '../test/support/cpu-hog.ts';
import { freeTcpPort } from '../test/support/redis.ts';
import { seedHearing, startTestServer } from '../test/support/server.ts';
import { waitFor } from '../test/support/wait.ts';
import { bareListeningLadder, openAndStart, rtmpListenInput, untilListening, untilTranscoding } from './bench-hearing.ts';
import { numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';
import { quantile } from './stats.ts';

const SECONDS = SMOKE ? 1 : numberArg(0, 20);
/** Rounds of all three, interleaved, so a disturbance of the machine lands on one round, not one row. */
const ROUNDS = SMOKE ? 1 : numberArg(1, 3);
/** Start-up left out: the first segments, the slots' readiness, the overlay's first draw. */
const WARM_MS = SMOKE ? 1_000 : 6_000;
const FPS = 30;
const PICTURE = SMOKE ? { width: 320, height: 180 } : { width: 1280, height: 720 };
const config = loadConfig({ env: {} });
const LADDER = (SMOKE ? SMOKE_LADDER : config.media.ladder) as readonly RungOptions[];
const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// The same allocator settings for the bare FFmpeg as for Courtcast's (server/media/malloc-tuning.ts).
tuneChildMalloc();

const encoder = (url: string) => new SyntheticEncoder({ target: url, format: 'flv', ...PICTURE, fps: FPS, toneHz: 440, caption: 'Pipeline', counterEpochMs: Date.now() }, 'ffmpeg', logger);

/** Cores used by `pids` together over SECONDS. */
async function cores(pids: readonly number[]): Promise<number> {
  const read = async () => (await Promise.all(pids.map((p) => cpuSeconds(p)))).reduce((a, b) => a + b, 0);
  const t0 = performance.now();
  const c0 = await read();
  await sleep(SECONDS * 1000);
  return ((await read()) - c0) / ((performance.now() - t0) / 1000);
}

/** Bare FFmpeg: listens for RTMP and runs the ladder's filter graph and outputs, nothing else. */
async function bare(): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'courtcast-bench-pipeline-'));
  const port = await freeTcpPort();
  const child = bareListeningLadder({ port, ladder: LADDER, fps: FPS, dir });
  await untilListening(port);
  const enc = encoder(rtmpListenInput(port).url);
  enc.start();
  try {
    await untilTranscoding(dir, LADDER[0]!.name);
    await sleep(WARM_MS);
    return await cores([child.pid!]);
  } finally {
    await enc.close();
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Courtcast: one approved, started hearing; its transcoder and master recorder together. */
async function courtcast(overlay: boolean): Promise<{ ffmpeg: number; node: number }> {
  const s = await startTestServer({ media: { ladder: LADDER, segmentSeconds: 2, fps: FPS, liveMaskSlots: config.media.liveMaskSlots, timeOverlay: { enabled: overlay } } });
  const enc = { current: null as SyntheticEncoder | null };
  try {
    const { hearingId, streamKey } = await seedHearing(s, { delaySeconds: 2 });
    await openAndStart(s, hearingId);
    enc.current = encoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`);
    enc.current.start();
    const live = () => s.cc.broadcasts.live(hearingId);
    await waitFor(() => live()?.ffmpegPid !== undefined && live()?.masterPid !== undefined, 'the pipeline’s FFmpegs', 20_000);
    await sleep(WARM_MS);
    const pids = [live()!.ffmpegPid!, live()!.masterPid!];
    const node0 = process.cpuUsage();
    const t0 = performance.now();
    const ffmpeg = await cores(pids);
    const used = process.cpuUsage(node0);
    return { ffmpeg, node: (used.user + used.system) / 1e6 / ((performance.now() - t0) / 1000) };
  } finally {
    await enc.current?.close();
    await s.close();
  }
}

const rounds: { floor: number; off: { ffmpeg: number; node: number }; on: { ffmpeg: number; node: number } }[] = [];
for (let i = 0; i < ROUNDS; i++) rounds.push({ floor: await bare(), off: await courtcast(false), on: await courtcast(true) });
const median = (xs: number[]) => quantile(xs, 0.5);
const floor = median(rounds.map((r) => r.floor));
const off = { ffmpeg: median(rounds.map((r) => r.off.ffmpeg)), node: median(rounds.map((r) => r.off.node)) };
const on = { ffmpeg: median(rounds.map((r) => r.on.ffmpeg)), node: median(rounds.map((r) => r.on.node)) };
const spread = (xs: number[]) => (ROUNDS > 1 ? ` (${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)})` : '');
process.stdout.write(
  [
    `\nPipeline CPU: ${PICTURE.width}x${PICTURE.height}p${FPS} encoder over RTMP, ladder ${LADDER.map((r) => r.name).join('/')}, ${config.media.liveMaskSlots} idle mask slots per kind, ${SECONDS} s measured after ${WARM_MS / 1000} s, median of ${ROUNDS} round(s)${SMOKE ? ' (smoke)' : ''} (cores = CPU seconds per wall second, from /proc)`,
    '',
    '| pipeline | FFmpeg cores | ratio to bare | Node server cores (not in the ratio) |',
    '| --- | --- | --- | --- |',
    `| bare FFmpeg ladder (baseline) | ${floor.toFixed(3)}${spread(rounds.map((r) => r.floor))} | 1.00 | — |`,
    `| Courtcast, time overlay off | ${off.ffmpeg.toFixed(3)}${spread(rounds.map((r) => r.off.ffmpeg))} | ${(off.ffmpeg / floor).toFixed(2)} | ${off.node.toFixed(3)} |`,
    `| Courtcast, time overlay on | ${on.ffmpeg.toFixed(3)}${spread(rounds.map((r) => r.on.ffmpeg))} | ${(on.ffmpeg / floor).toFixed(2)} | ${on.node.toFixed(3)} |`,
    '',
  ].join('\n'),
);
process.exit(floor > 0 && off.ffmpeg > 0 && on.ffmpeg > 0 ? 0 : 1);
