/**
 * Load on the compose topology as processes (two nodes, Redis, s3rver and nginx running
 * deploy/nginx.conf; test/support/topology.ts): clerks' consoles on the control channel and
 * viewers polling playlists and fetching segments, all through nginx, while one hearing airs.
 * The generators run in processes of their own (bench/load-consoles.ts, bench/load-viewers.ts).
 * Baselines in the same run, with the same generators, for a fifth of the time (30 s at least):
 * the viewers against a plain nginx serving a copy of the same files, the consoles against a
 * bare Socket.IO server (bench/bare-socketio.ts). Reports p50 and p99, errors, and p99 ratios.
 * Usage: npm run bench -- load [seconds=600] [viewers=5000] [consoles=1000] [--smoke]
 *   (smoke: 3 s with 20 viewers and 5 consoles, baselines 2 s, D = 2 s)
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import HLS from 'hls-parser';
import type { MasterPlaylist } from 'hls-parser/types.js';
import path from 'node:path';
import { promisify } from 'node:util';
import { TestEncoder } from '../test/support/encoder.ts';
import { caller, clearHearing, signIn } from '../test/support/governance.ts';
import { startTopology, TOPOLOGY_ADMIN } from '../test/support/topology.ts';
import { waitFor } from '../test/support/wait.ts';
import { startNginx } from './nginx.ts';
import { freeTcpPort } from '../test/support/redis.ts';
import { numberArg, SMOKE } from './smoke.ts';

const SECONDS = SMOKE ? 3 : numberArg(0, 600);
const VIEWERS = SMOKE ? 20 : numberArg(1, 5000);
const CONSOLES = SMOKE ? 5 : numberArg(2, 1000);
const BASELINE_SECONDS = SMOKE ? 2 : Math.max(30, Math.round(SECONDS / 5));
const D_SECONDS = SMOKE ? 2 : 10;
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}
interface ViewerResult {
  viewers: number;
  playlist: Latency;
  segment: Latency;
  bytes: number;
  errors: number;
  samples: string[];
}
interface ConsoleResult {
  consoles: number;
  connected: number;
  join: Latency;
  states: number;
  errors: number;
  samples: string[];
}


/** Runs a generator in its own process and reads its one-line JSON summary. */
async function generator<T>(script: string, args: readonly (string | number)[], seconds: number): Promise<T> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', `bench/${script}`, ...args.map(String)], { maxBuffer: 1 << 24, timeout: (seconds + 120) * 1000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as T;
}

/** Viewers split over two processes (one per core), their summaries merged. */
async function viewers(base: string, prefix: string, seconds: number, extra: string[] = []): Promise<ViewerResult> {
  const half = Math.ceil(VIEWERS / 2);
  const parts = await Promise.all([half, VIEWERS - half].map((n) => generator<ViewerResult>('load-viewers.ts', [base, prefix, n, seconds, ...extra], seconds)));
  // The p99 of the merged sample is not known from the parts; the worse part's stands for it.
  const worst = (k: 'playlist' | 'segment'): Latency => ({
    n: parts.reduce((a, p) => a + p[k].n, 0),
    p50: Math.max(...parts.map((p) => p[k].p50)),
    p99: Math.max(...parts.map((p) => p[k].p99)),
    max: Math.max(...parts.map((p) => p[k].max)),
  });
  return { viewers: VIEWERS, playlist: worst('playlist'), segment: worst('segment'), bytes: parts.reduce((a, p) => a + p.bytes, 0), errors: parts.reduce((a, p) => a + p.errors, 0), samples: parts.flatMap((p) => p.samples) };
}

const topo = await startTopology({ leaseSeconds: 4, workerConnections: 16_384, env: { COURTCAST_LOG_LEVEL: 'error' } });
let encoder: TestEncoder | null = null;
try {
  const token = await signIn(topo.base, TOPOLOGY_ADMIN, topo.adminPassword);
  const api = caller(topo.base, token);
  const court = await api<{ id: string }>('POST', '/api/courts', { name: 'Load Court' });
  const room = await api<{ id: string; streamKey: string }>('POST', `/api/courts/${court.body.id}/courtrooms`, { name: 'Room' });
  const hearingId = (await api<{ id: string }>('POST', '/api/hearings', { courtroomId: room.body.id, caseNumber: 'L-1', title: 'Under load', caseType: 'civil', scheduledStart: new Date().toISOString(), delaySeconds: D_SECONDS, isPublic: true })).body.id;
  await clearHearing(topo.base, token, court.body.id, hearingId);
  await sleep(SMOKE ? 500 : 2_500);
  encoder = new TestEncoder(`${topo.ingestUrl}/${room.body.streamKey}`, 'flv', Date.now()).start();
  // The start is refused until the encoder's media has reached a node, which beside other smokes
  // took longer than the fixed second this waited (CI: "the broadcast did not start"): it is
  // asked again until it is taken, and the last refusal is the error.
  await waitFor(
    async () => {
      const started = await api('POST', `/api/hearings/${hearingId}/broadcast/start`, {});
      if (started.status !== 200) throw new Error(`${started.status} ${JSON.stringify(started.body)}`);
      return true;
    },
    'the broadcast to start',
    30_000,
    500,
  );
  await sleep(D_SECONDS * 1000 + (SMOKE ? 2_000 : 10_000));
  const prefix = `/hls/hearings/${hearingId}`;

  process.stderr.write(`load: ${CONSOLES} consoles and ${VIEWERS} viewers through nginx for ${SECONDS} s\n`);
  const [seen, consoles] = await Promise.all([viewers(topo.base, prefix, SECONDS), generator<ConsoleResult>('load-consoles.ts', [topo.base, token, hearingId, CONSOLES, SECONDS], SECONDS)]);

  // Baseline files: what nginx served at the end, copied to a directory a plain nginx serves.
  const copy = mkdtempSync(path.join(os.tmpdir(), 'cc-load-copy-'));
  const master = await (await fetch(`${topo.base}${prefix}/master.m3u8`)).text();
  mkdirSync(path.join(copy, 'hearings', hearingId), { recursive: true });
  writeFileSync(path.join(copy, 'hearings', hearingId, 'master.m3u8'), master);
  for (const rung of (HLS.parse(master) as MasterPlaylist).variants.map((v) => v.uri.split('/')[0]!)) {
    const text = await (await fetch(`${topo.base}${prefix}/${rung}/index.m3u8`)).text();
    const dir = path.join(copy, 'hearings', hearingId, rung);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'index.m3u8'), text);
    for (const uri of text.split('\n').filter((l) => l.endsWith('.ts'))) {
      const res = await fetch(new URL(uri, `${topo.base}${prefix}/${rung}/index.m3u8`));
      writeFileSync(path.join(dir, path.basename(uri)), Buffer.from(await res.arrayBuffer()));
    }
  }
  await api('POST', `/api/hearings/${hearingId}/broadcast/end`, {});
  await encoder.kill();
  encoder = null;
  await topo.stop();

  process.stderr.write(`baselines: plain nginx and bare Socket.IO for ${BASELINE_SECONDS} s\n`);
  const nginxPort = await freeTcpPort();
  const stopNginx = await startNginx(copy, nginxPort, 16_384);
  const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-socketio.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const barePort = await new Promise<number>((resolve) => bare.stdout.on('data', (d: Buffer) => resolve(Number(/READY (\d+)/.exec(d.toString())?.[1]))));
  let baseSeen: ViewerResult;
  let baseConsoles: ConsoleResult;
  try {
    [baseSeen, baseConsoles] = await Promise.all([
      viewers(`http://127.0.0.1:${nginxPort}`, `/hls/hearings/${hearingId}`, BASELINE_SECONDS, ['--every-poll']),
      generator<ConsoleResult>('load-consoles.ts', [`http://127.0.0.1:${barePort}`, 'bench', hearingId, CONSOLES, BASELINE_SECONDS], BASELINE_SECONDS),
    ]);
  } finally {
    stopNginx();
    bare.kill();
    await rm(copy, { recursive: true, force: true });
  }

  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const row = (what: string, ours: Latency, base: Latency) => `| ${what} | ${ours.n} | ${ms(ours.p50)} | ${ms(ours.p99)} | ${ms(base.p50)} | ${ms(base.p99)} | ${(ours.p99 / base.p99).toFixed(2)}× |`;
  process.stdout.write(
    [
      `Load: ${CONSOLES} consoles and ${VIEWERS} viewers for ${SECONDS} s through nginx on two nodes (${os.cpus().length} cores, one hearing on air); baselines for ${BASELINE_SECONDS} s.`,
      '| request | count | p50 | p99 | baseline p50 | baseline p99 | p99 ratio |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      row('playlist', seen.playlist, baseSeen.playlist),
      row('segment', seen.segment, baseSeen.segment),
      row('console join (whole state)', consoles.join, baseConsoles.join),
      '',
      `Errors: viewers ${seen.errors} (baseline ${baseSeen.errors}), consoles ${consoles.errors} (baseline ${baseConsoles.errors}); consoles connected ${consoles.connected}/${CONSOLES}; state messages received ${consoles.states}; bytes to viewers ${(seen.bytes / 1e9).toFixed(2)} GB.`,
      ...[...seen.samples, ...consoles.samples].slice(0, 10).map((s) => `- ${s}`),
      '',
    ].join('\n'),
  );
  if (seen.errors + consoles.errors > 0 || seen.playlist.n === 0 || consoles.join.n === 0) process.exitCode = 1;
} finally {
  await encoder?.kill();
}
