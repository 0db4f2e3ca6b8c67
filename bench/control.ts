/**
 * Control-channel benchmark: command ack latency and fan-out latency with N connected consoles
 * (default 1000), against a bare Socket.IO server with the same traffic shape in the same run.
 * The hearing is approved and reviewed first, as a court would before it airs.
 * Usage: npm run bench -- control [consoles] [commands] [--smoke]   (smoke: 20 consoles, 6 commands)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { freeLoopbackPort } from '../server/media/ports.ts';
import { caller, clearHearing, signIn } from '../test/support/governance.ts';

import { openAndStart } from './bench-hearing.ts';
import { numberArg, SMOKE } from './smoke.ts';

const CONSOLES = SMOKE ? 20 : numberArg(0, 1000);
const COMMANDS = SMOKE ? 6 : numberArg(1, 60);

const freePort = freeLoopbackPort;

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await fetch(url).catch(() => null))?.ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

function spawnNode(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

interface Target {
  base: string;
  token: string;
  hearingId: string;
}

async function measure(t: Target): Promise<{ ack: number[]; fanout: number[] }> {
  // 999 consoles listen in another process; this one is the clerk who commands.
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/listeners.ts', t.base, t.token, t.hearingId, String(CONSOLES - 1)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (out.includes('READY')) {
        clearInterval(check);
        resolve();
      }
    }, 50);
  });
  const commander: Socket = io(`${t.base}/control`, { auth: { token: t.token }, transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve) => commander.once('connect', () => resolve()));
  await commander.timeout(20_000).emitWithAck('join', { hearingId: t.hearingId });
  const ack: number[] = [];
  const sent: number[] = [];
  const now = (): number => performance.timeOrigin + performance.now();
  for (let i = 0; i < COMMANDS; i++) {
    const cmd = i % 2 === 0 ? 'pause' : 'resume';
    const t0 = now();
    sent.push(t0);
    const a = (await commander.timeout(10_000).emitWithAck(cmd, { hearingId: t.hearingId, idempotencyKey: `bench-${Date.now()}-${i}`, reason: 'benchmark' })) as { ok: boolean };
    ack.push(now() - t0);
    if (!a.ok) throw new Error(`command failed: ${JSON.stringify(a)}`);
    await new Promise((r) => setTimeout(r, 150)); // let the fan-out drain before the next command
  }
  commander.disconnect();
  await new Promise((r) => setTimeout(r, 500));
  const before = out.length;
  child.stdin?.write('done\n');
  await new Promise<void>((resolve) => child.once('close', () => resolve()));
  const seen = JSON.parse(out.slice(Math.max(before, out.indexOf('READY') + 6)).trim()) as number[][];
  const fanout = seen.flatMap((times) => times.slice(0, COMMANDS).map((t, i) => t - (sent[i] as number)));
  return { ack, fanout };
}

async function courtcastTarget(): Promise<{ target: Target; stop: () => Promise<void> }> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'courtcast-bench-'));
  const child = spawnNode(['server/main.ts'], {
    COURTCAST_HTTP_HOST: '127.0.0.1',
    COURTCAST_HTTP_PORT: String(port),
    COURTCAST_RTMP_PORT: String(await freePort()),
    COURTCAST_DATA_DIR: dataDir,
    COURTCAST_ADMIN_USER: 'admin',
    COURTCAST_ADMIN_PASSWORD: 'bench-admin-password',
    COURTCAST_LADDER: JSON.stringify([{ name: '180p', height: 180, videoKbps: 200 }, { name: 'audio' }]),
    COURTCAST_LOG_LEVEL: 'error',
    // The smoke run makes three accounts: cheap hashes keep it to seconds.
    ...(SMOKE ? { COURTCAST_SCRYPT_LOG_N: '14' } : {}),
  });
  const base = `http://127.0.0.1:${port}`;
  await waitHttp(`${base}/healthz`);
  const token = await signIn(base, 'admin', 'bench-admin-password');
  const api = caller(base, token);
  const made = async (what: string, r: Promise<{ status: number; body: { id: string } }>): Promise<string> => {
    const res = await r;
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id;
  };
  const courtId = await made('court', api('POST', '/api/courts', { name: 'Bench Court' }));
  const roomId = await made('courtroom', api('POST', `/api/courts/${courtId}/courtrooms`, { name: 'Room' }));
  const hearingId = await made('hearing', api('POST', '/api/hearings', { courtroomId: roomId, caseNumber: 'B-1', title: 'Bench', caseType: 'civil', scheduledStart: new Date().toISOString(), delaySeconds: 10, isPublic: true }));
  await clearHearing(base, token, courtId, hearingId);
  await openAndStart({ api }, hearingId);
  return {
    target: { base, token, hearingId },
    // The server writes its state as it stops: its directory goes once it has exited.
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function bareTarget(): Promise<{ target: Target; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawnNode(['bench/bare-socketio.ts'], { PORT: String(port) });
  await new Promise<void>((resolve) => child.stdout?.on('data', (d: Buffer) => d.toString().includes('READY') && resolve()));
  return { target: { base: `http://127.0.0.1:${port}`, token: 'x', hearingId: 'hg_bench' }, stop: async () => void child.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const rows: [string, number[], number[]][] = [];
  for (const [name, make] of [['bare socket.io', bareTarget], ['courtcast', courtcastTarget]] as const) {
    const { target, stop } = await make();
    try {
      const { ack, fanout } = await measure(target);
      rows.push([name, ack, fanout]);
    } finally {
      await stop();
    }
  }
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  process.stdout.write(`\nControl channel, ${CONSOLES} consoles in one room, ${COMMANDS} commands (ms)\n\n`);
  process.stdout.write(`${line(['server', 'ack p50', 'ack p99', 'fan-out p50', 'fan-out p99'])}\n${line(['---', '---', '---', '---', '---'])}\n`);
  for (const [name, ack, fan] of rows) process.stdout.write(`${line([name, ...[pct(ack, 50), pct(ack, 99), pct(fan, 50), pct(fan, 99)].map((x) => x.toFixed(1))])}\n`);
  const [bare, cc] = rows;
  if (bare && cc) {
    const r = (a: number[], b: number[], p: number) => (pct(b, p) / pct(a, p)).toFixed(2);
    process.stdout.write(`\nratio courtcast / bare: ack p99 ${r(bare[1], cc[1], 99)}x, fan-out p99 ${r(bare[2], cc[2], 99)}x\n`);
    process.stdout.write(`targets: ack p99 <= 20 ms, fan-out p99 <= 50 ms\n`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
