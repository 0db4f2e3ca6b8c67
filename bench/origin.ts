/**
 * The HLS origin against nginx serving the same files from the same public directory, in the same
 * run, with the same load (wrk in its own process: 50 connections for `seconds` each): a
 * live playlist and a segment of a real hearing. Reports requests per second, p99 latency and the
 * ratio to nginx. nginx runs one worker: one process against one process.
 * Usage: npm run bench -- origin [seconds] [rounds] [--smoke]   (scripts/ensure-deps.sh bench installs nginx and wrk;
 * smoke: a short 320x180 hearing, 1 s of load each)
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { archiveRecords } from '../recorder/archive-record.ts';
import { SyntheticEncoder } from '../server/media/synthetic-encoder.ts';
import { seedHearing, startTestServer } from '../test/support/server.ts';
import { startNginx } from './nginx.ts';
import { freeTcpPort } from '../test/support/redis.ts';
import { openAndStart } from './bench-hearing.ts';
import { numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';

const SECONDS = SMOKE ? 1 : numberArg(0, 10);
const ROUNDS = SMOKE ? 1 : numberArg(1, 3);
const LADDER = SMOKE ? SMOKE_LADDER : [{ name: '720p', height: 720, videoKbps: 2400, audioKbps: 128 }, { name: 'audio', audioKbps: 64 }];
const PICTURE = SMOKE ? { width: 320, height: 180 } : { width: 1280, height: 720 };
const D_SECONDS = SMOKE ? 2 : 4;
const RUNG = LADDER[0]!.name;
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


type Load = Awaited<ReturnType<typeof load>>;

/** The run with the median rate (the middle one of an odd count). */
const median = (runs: readonly Load[]): Load => [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)]!;

/** A wrk duration ("850.12us", "12.3ms", "1.02s") in milliseconds. */
function wrkMs(text: string): number {
  const m = /([\d.]+)(us|ms|s)\b/.exec(text);
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/**
 * Load from wrk (C, one thread, 50 connections), so the load generator is neither JavaScript nor
 * sharing the server's event loop, and costs both servers alike.
 */
async function load(url: string): Promise<{ rps: number; p99: number; errors: number; non2xx: number }> {
  const { stdout } = await run('wrk', ['-t1', '-c50', `-d${SECONDS}s`, '--latency', url], { maxBuffer: 1 << 20 });
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0),
    p99: wrkMs(/^\s+99%\s+(\S+)/m.exec(stdout)?.[1] ?? ''),
    errors: errors ? errors.slice(1).reduce((n, x) => n + Number(x), 0) : 0,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0),
  };
}

const s = await startTestServer({
  log: { level: 'warn' },
  media: { ladder: LADDER, segmentSeconds: 2, fps: 30 },
});
const { hearingId, streamKey } = await seedHearing(s, { delaySeconds: D_SECONDS });
const encoder = new SyntheticEncoder({ target: `rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`, format: 'flv', ...PICTURE, fps: 30, toneHz: 440, caption: 'bench', counterEpochMs: Date.now() }, 'ffmpeg', s.cc.logger);
encoder.start();
await openAndStart(s, hearingId);
await sleep(SMOKE ? 6_000 : 20_000);
// End the hearing so the files stand still while both servers are measured.
await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {});
for (let i = 0; i < 300 && !(await (await fetch(`${s.base}/hls/hearings/${hearingId}/${RUNG}/index.m3u8`)).text()).includes('#EXT-X-ENDLIST'); i++) await sleep(200);
await encoder.close();
// The archive finalizes the ended hearing (reads every as-aired segment's sound, hashes, uploads):
// seconds of CPU that would otherwise land on whichever server is measured first.
for (let i = 0; i < 600 && (await archiveRecords(s.cc.state).get(hearingId))?.status !== 'complete'; i++) await sleep(200);
await s.cc.recorder.uploader.idle(60_000);

const rung = path.join(s.cc.dirs.public, 'hearings', hearingId, RUNG);
const segments = (await readdir(rung)).filter((f) => f.endsWith('.ts')).sort();
const segment = segments.at(-2) as string;
const segmentBytes = (await stat(path.join(rung, segment))).size;
const nginxPort = await freeTcpPort();
const stopNginx = await startNginx(s.cc.dirs.public, nginxPort);
const rows: string[] = [];
try {
  for (const [what, rel] of [
    ['playlist', `hearings/${hearingId}/${RUNG}/index.m3u8`],
    ['segment', `hearings/${hearingId}/${RUNG}/${segment}`],
  ] as const) {
    // Rounds alternate between the servers and each reports its median round: on this machine one
    // run in several is a third slower for either server, whatever it serves.
    const oursRuns: Load[] = [];
    const theirsRuns: Load[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      oursRuns.push(await load(`${s.base}/hls/${rel}`));
      theirsRuns.push(await load(`http://127.0.0.1:${nginxPort}/hls/${rel}`));
    }
    const ours = median(oursRuns);
    const theirs = median(theirsRuns);
    if (oursRuns.some((o) => o.errors + o.non2xx > 0 || o.rps === 0)) process.exitCode = 1;
    rows.push(`| ${what} | ${ours.rps.toFixed(0)} | ${ours.p99.toFixed(1)} ms | ${theirs.rps.toFixed(0)} | ${theirs.p99.toFixed(1)} ms | ${(ours.rps / theirs.rps).toFixed(2)}× | ${(ours.p99 / theirs.p99).toFixed(2)}× | ${ours.errors + ours.non2xx} / ${theirs.errors + theirs.non2xx} |`);
  }
} finally {
  stopNginx();
  await s.close();
}
process.stdout.write(
  [
    `Origin vs nginx (1 worker), wrk (1 thread) 50 connections × ${SECONDS} s each, median of ${ROUNDS} alternating rounds, ${os.cpus().length} cores, ${segmentBytes} B segment:`,
    '| object | origin req/s | origin p99 | nginx req/s | nginx p99 | rate ratio | p99 ratio | errors (origin / nginx) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n'),
);
