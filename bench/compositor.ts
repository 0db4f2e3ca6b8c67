/**
 * Compositor CPU: four cameras composed into one program picture (the quad layout) by a
 * hearing's compositor, against bare FFmpeg composing the same four recordings with `xstack` into
 * the same size with the same encoder in the same run. Both read the cameras in real time; each
 * says whether it kept up (program seconds made per wall second). Courtcast's compositor reads
 * the cameras from the ingest and publishes the program back into it, as in production; the
 * hearing's transcoder then makes the ladder from it, reported beside (not in the ratio). The
 * cameras' pushers and the Node server are not counted.
 * Usage: npm run bench -- compositor [seconds] [--smoke]   (smoke: 160x90 cameras, the smoke ladder, 2 s)
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { programStreamId, sourceStreamId } from '../server/domain/courts.ts';
import type { RungOptions } from '../server/media/args.ts';
import { tuneChildMalloc } from '../server/media/malloc-tuning.ts';
import { cpuSeconds } from '../test/support/cpu-hog.ts';
import { seedHearing, startTestServer } from '../test/support/server.ts';
import { waitFor } from '../test/support/wait.ts';
import { openAndStart } from './bench-hearing.ts';
import { numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';

const SECONDS = SMOKE ? 2 : numberArg(0, 20);
/** Start-up left out: the cameras' first keyframes, the compositor's first run. */
const WARM_MS = SMOKE ? 2_000 : 6_000;
const FPS = 30;
const CAMERA = SMOKE ? { width: 160, height: 90 } : { width: 640, height: 360 };
const config = loadConfig({ env: {} });
const LADDER = (SMOKE ? SMOKE_LADDER : config.media.ladder) as readonly RungOptions[];
/** The program's size, as a hearing's compositor takes it: the top rung's height, 360 lines at least. */
const HEIGHT = Math.max(360, ...LADDER.map((r) => r.height ?? 0));
const WIDTH = Math.round((HEIGHT * 16) / 9 / 2) * 2;
/** The compositor's encoder (pipeline/compositor.ts), so the two encode alike. */
const ENCODE = ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', String(FPS), '-keyint_min', String(FPS), '-sc_threshold', '0', '-b:v', '2500k', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2'];
const CAMERAS = ['main', 'bench', 'witness', 'gallery'] as const;
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
tuneChildMalloc();

/** Four seconds of a camera's picture and sound, encoded once, looped by every reader. */
async function recording(dir: string): Promise<string> {
  const file = path.join(dir, 'camera.mp4');
  await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${CAMERA.width}x${CAMERA.height}:rate=${FPS}`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '4', '-c:v', 'libx264', '-preset', 'veryfast', '-g', String(FPS), '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', file]);
  return file;
}

/** A camera sending the recording in real time, over and over. */
const looped = (file: string): string[] => ['-re', '-stream_loop', '-1', '-i', file];

/** CPU seconds of `pids` per wall second, and program seconds made per wall second by `made`, over SECONDS. */
async function measure(pids: () => readonly number[], made: () => number | null): Promise<{ cores: number; speed: number }> {
  const read = async () => (await Promise.all(pids().map((p) => cpuSeconds(p)))).reduce((a, b) => a + b, 0);
  const t0 = performance.now();
  const [c0, m0] = [await read(), made()];
  await sleep(SECONDS * 1000);
  const wall = (performance.now() - t0) / 1000;
  const [c1, m1] = [await read(), made()];
  return { cores: (c1 - c0) / wall, speed: m0 === null || m1 === null ? 0 : (m1 - m0) / 1000 / wall };
}

/** Bare FFmpeg: the four recordings scaled into quarters and stacked, encoded, thrown away. */
async function bare(file: string): Promise<{ cores: number; speed: number }> {
  const [w, h] = [WIDTH / 2, HEIGHT / 2];
  const scaled = CAMERAS.map((_, i) => `[${i}:v]scale=${w}:${h},setsar=1[v${i}]`).join(';');
  const child = spawn('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'error', ...CAMERAS.flatMap(() => looped(file)),
    '-filter_complex', `${scaled};${CAMERAS.map((_, i) => `[v${i}]`).join('')}xstack=inputs=4:layout=0_0|w0_0|0_h0|w0_h0,fps=${FPS}[program]`,
    '-map', '[program]', '-map', '0:a', ...ENCODE, '-progress', 'pipe:1', '-f', 'null', '-',
  ], { stdio: ['ignore', 'pipe', 'ignore'] });
  let outMs: number | null = null;
  child.stdout.on('data', (d: Buffer) => {
    for (const m of d.toString().matchAll(/out_time_us=(\d+)/g)) outMs = Number(m[1]) / 1000;
  });
  try {
    await sleep(WARM_MS);
    return await measure(() => [child.pid!], () => outMs);
  } finally {
    child.kill('SIGKILL');
  }
}

/** Courtcast: an approved, started hearing whose program is the quad of four cameras. */
async function courtcast(file: string): Promise<{ compositor: { cores: number; speed: number }; ladder: number }> {
  const s = await startTestServer({ media: { ladder: LADDER, segmentSeconds: 2, fps: FPS } });
  const pushers: ChildProcess[] = [];
  try {
    const { hearingId, streamKey, courtroomId } = await seedHearing(s, { delaySeconds: 2 });
    const sources = await s.api<{ sources: { name: string; streamKey?: string }[] }>('PUT', `/api/courtrooms/${courtroomId}/sources`, CAMERAS.slice(1).map((name) => ({ name, label: name })));
    const program = await s.api('PUT', `/api/courtrooms/${courtroomId}/program`, { layout: 'quad', cameras: CAMERAS, sound: 'main' });
    if (sources.status !== 200 || program.status !== 200) throw new Error(`the courtroom's cameras: ${sources.status} ${program.status}`);
    await openAndStart(s, hearingId);
    const keys = [streamKey, ...sources.body.sources.map((x) => x.streamKey!)];
    for (const key of keys) pushers.push(spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...looped(file), '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${key}`], { stdio: 'ignore' }));
    const runs = path.join(s.cc.dirs.pending, hearingId, 'compositor');
    const compositorPid = async () => {
      const last = (await readdir(runs).catch(() => [] as string[])).filter((d) => /^c\d{4}$/.test(d)).sort().at(-1);
      return last ? Number(await readFile(path.join(runs, last, 'ffmpeg.pid'), 'utf8').catch(() => 'NaN')) : Number.NaN;
    };
    const live = () => s.cc.broadcasts.live(hearingId);
    // Every camera publishing, then the compositor's run that reads all four.
    await waitFor(() => CAMERAS.every((name, i) => s.cc.ingest.isPublishing(i === 0 ? courtroomId : sourceStreamId(courtroomId, name))), 'the four cameras', 20_000);
    // Each camera's arrival starts a new run; the last one reads all four.
    const clock = () => s.cc.ingest.clockOf(programStreamId(courtroomId))?.latest ?? null;
    // Measured once a run has gone WARM_MS unreplaced (its catch-up on the cameras' GOPs over).
    const pid = await waitFor(async () => {
      const before = await compositorPid();
      const a = clock();
      await sleep(WARM_MS);
      const b = clock();
      return before === (await compositorPid()) && a !== null && b !== null && b > a && live()?.ffmpegPid !== undefined && before;
    }, 'a steady compositor run', 60_000);
    if (!Number.isFinite(pid) || live()?.ffmpegPid === undefined) throw new Error('the compositor or the transcoder is not running');
    const ladder = { pid: live()!.ffmpegPid! };
    const [compositor, ladderCpu] = await Promise.all([measure(() => [pid], clock), measure(() => [ladder.pid], () => null)]);
    return { compositor, ladder: ladderCpu.cores };
  } finally {
    for (const p of pushers) p.kill('SIGKILL');
    await s.close();
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'courtcast-bench-compositor-'));
try {
  const file = await recording(dir);
  const floor = await bare(file);
  const cc = await courtcast(file);
  process.stdout.write(
    [
      `\nCompositor: four ${CAMERA.width}x${CAMERA.height}p${FPS} cameras into a ${WIDTH}x${HEIGHT}p${FPS} quad, ${SECONDS} s measured after ${WARM_MS / 1000} s${SMOKE ? ' (smoke)' : ''} (cores = CPU seconds per wall second, from /proc; speed = program seconds made per wall second)`,
      '',
      '| composite | FFmpeg cores | speed | ratio to bare |',
      '| --- | --- | --- | --- |',
      `| bare FFmpeg xstack (baseline) | ${floor.cores.toFixed(3)} | ${floor.speed.toFixed(2)} | 1.00 |`,
      `| Courtcast compositor | ${cc.compositor.cores.toFixed(3)} | ${cc.compositor.speed.toFixed(2)} | ${(cc.compositor.cores / floor.cores).toFixed(2)} |`,
      '',
      `The hearing's transcoder made the ladder (${LADDER.map((r) => r.name).join('/')}) from the program beside it: ${cc.ladder.toFixed(3)} cores.`,
      '',
    ].join('\n'),
  );
  process.exit(floor.cores > 0 && cc.compositor.cores > 0 && cc.compositor.speed > 0 ? 0 : 1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
