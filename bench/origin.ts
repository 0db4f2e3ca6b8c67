/**
 * The HLS origin against nginx serving the same files from the same public directory, in the same
 * run, with the same load (autocannon in its own process: 50 connections for `seconds` each): a
 * live playlist and a segment of a real hearing. Reports requests per second, p99 latency and the
 * ratio to nginx. nginx runs one worker: one process against one process.
 * Usage: npm run bench -- origin [seconds] [--smoke]   (scripts/ensure-deps.sh bench installs nginx;
 * smoke: a short 320x180 hearing, 1 s of load each)
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SyntheticEncoder } from '../server/media/synthetic-encoder.ts';
import { seedHearing, startTestServer } from '../test/support/server.ts';
import { startNginx } from './nginx.ts';
import { freeTcpPort } from '../test/support/redis.ts';
import { numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';

const SECONDS = SMOKE ? 1 : numberArg(0, 10);
const LADDER = SMOKE ? SMOKE_LADDER : [{ name: '720p', height: 720, videoKbps: 2400, audioKbps: 128 }, { name: 'audio', audioKbps: 64 }];
const PICTURE = SMOKE ? { width: 320, height: 180 } : { width: 1280, height: 720 };
const D_SECONDS = SMOKE ? 2 : 4;
const RUNG = LADDER[0]!.name;
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** Load from another process, so the generator never shares the server's event loop. */
async function load(url: string): Promise<{ rps: number; p99: number; errors: number; non2xx: number }> {
  const { stdout } = await run(process.execPath, [path.resolve('node_modules/autocannon/autocannon.js'), '-c', '50', '-d', String(SECONDS), '-j', url], { maxBuffer: 1 << 26 });
  const r = JSON.parse(stdout) as { requests: { average: number }; latency: { p99: number }; errors: number; non2xx: number };
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

const s = await startTestServer({
  log: { level: 'warn' },
  media: { ladder: LADDER, segmentSeconds: 2, fps: 30 },
});
const { hearingId, streamKey } = await seedHearing(s, { delaySeconds: D_SECONDS });
const encoder = new SyntheticEncoder({ target: `rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`, format: 'flv', ...PICTURE, fps: 30, toneHz: 440, caption: 'bench', counterEpochMs: Date.now() }, 'ffmpeg', s.cc.logger);
encoder.start();
for (const step of ['open', 'start']) {
  const res = await s.api('POST', `/api/hearings/${hearingId}/broadcast/${step}`, {});
  if (res.status !== 200) throw new Error(`${step}: ${res.status} ${JSON.stringify(res.body)}`);
}
await sleep(SMOKE ? 6_000 : 20_000);
// End the hearing so the files stand still while both servers are measured.
await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {});
for (let i = 0; i < 300 && !(await (await fetch(`${s.base}/hls/hearings/${hearingId}/${RUNG}/index.m3u8`)).text()).includes('#EXT-X-ENDLIST'); i++) await sleep(200);
await encoder.close();

const rung = path.join(s.cc.dirs.public, 'hearings', hearingId, RUNG);
const segments = (await readdir(rung)).filter((f) => f.endsWith('.ts')).sort();
const segment = segments.at(-2) as string;
const nginxPort = await freeTcpPort();
const stopNginx = await startNginx(s.cc.dirs.public, nginxPort);
const rows: string[] = [];
try {
  for (const [what, rel] of [
    ['playlist', `hearings/${hearingId}/${RUNG}/index.m3u8`],
    ['segment', `hearings/${hearingId}/${RUNG}/${segment}`],
  ] as const) {
    const ours = await load(`${s.base}/hls/${rel}`);
    const theirs = await load(`http://127.0.0.1:${nginxPort}/hls/${rel}`);
    if (ours.errors + ours.non2xx > 0 || ours.rps === 0) process.exitCode = 1;
    rows.push(`| ${what} | ${ours.rps.toFixed(0)} | ${ours.p99} ms | ${theirs.rps.toFixed(0)} | ${theirs.p99} ms | ${(ours.rps / theirs.rps).toFixed(2)}× | ${ours.errors + ours.non2xx} / ${theirs.errors + theirs.non2xx} |`);
  }
} finally {
  stopNginx();
  await s.close();
}
process.stdout.write(
  [
    `Origin vs nginx (1 worker), autocannon 50 connections × ${SECONDS} s each, ${os.cpus().length} cores:`,
    '| object | origin req/s | origin p99 | nginx req/s | nginx p99 | ratio | errors (origin / nginx) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n'),
);
