import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCounters, PublicFeed } from '../support/public-feed.ts';
import { freeTcpPort } from '../support/redis.ts';
import { TEST_LADDER } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The product on the runtimes it supports beyond the machine's own: the image runs Node 22, and
 * Node 24 is the next LTS. The rest of the suite runs on the machine's Node; here the run command
 * of the README (`server/main.ts --demo`: embedded stores, a synthetic encoder over RTMP, the
 * delay line, the public HLS) runs on a Node that npm fetches, until the demo hearing airs picture
 * to the public and a clerk can sign in; then SIGTERM stops it cleanly.
 */
const RUNTIMES = ['22', '24'] as const;

/** One demo server on one runtime. */
interface Demo {
  readonly version: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly dataDir: string;
  /** The banner's lines by label ("Public playlist", "Demo clerk", ...). */
  readonly banner: Record<string, string>;
  /** What it printed (the last 20,000 characters). */
  out(): string;
}

/** The path of a Node binary of that major version, from the npm registry (cached by npx). */
async function nodeBinary(major: string): Promise<string> {
  const { stdout } = await promisify(execFile)('npx', ['-y', `node@${major}`, '-p', 'process.execPath'], { timeout: 120_000 });
  return stdout.trim();
}

/** Fetches the runtime and runs the README's command on it until its banner is printed. */
async function startDemo(major: string): Promise<Demo> {
  const node = await nodeBinary(major);
  const version = (await promisify(execFile)(node, ['--version'])).stdout.trim();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `cc-node${major}-`));
  const httpPort = await freeTcpPort();
  const rtmpPort = await freeTcpPort();
  const child = spawn(node, ['--import', 'tsx', 'server/main.ts', '--demo'], {
    env: {
      ...process.env,
      COURTCAST_HTTP_HOST: '127.0.0.1',
      COURTCAST_HTTP_PORT: String(httpPort),
      COURTCAST_RTMP_PORT: String(rtmpPort),
      COURTCAST_DATA_DIR: dataDir,
      // Small pictures, as in the rest of the suite (the demo's camera films at the top rung).
      COURTCAST_LADDER: JSON.stringify(TEST_LADDER),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await waitFor(() => out.includes('Ctrl-C stops.') || child.exitCode !== null, `the demo banner on Node ${major}`, 60_000, 100);
  const banner = Object.fromEntries([...out.matchAll(/^ {2}([A-Z][^:]+):\s+(.+)$/gm)].map((m) => [m[1]!.trim(), m[2]!.trim()]));
  return { version, child, exited, dataDir, banner, out: () => out };
}

// Both start at once: each waits mostly on its delay line, and the demo's camera is small here.
const demos = new Map<string, Demo>();
beforeAll(async () => {
  const started = await Promise.allSettled(RUNTIMES.map(async (major) => demos.set(major, await startDemo(major))));
  for (const r of started) if (r.status === 'rejected') throw r.reason;
}, 180_000);

afterAll(async () => {
  await Promise.all(
    [...demos.values()].map(async (d) => {
      if (d.child.exitCode === null) d.child.kill('SIGKILL');
      await d.exited;
      await rm(d.dataDir, { recursive: true, force: true });
    }),
  );
});

describe.each(RUNTIMES)('the run command on Node %s', (major) => {
  const demo = (): Demo => demos.get(major)!;

  it('is that runtime', () => {
    expect(demo().version).toMatch(new RegExp(`^v${major}\\.`));
  });

  it('airs the demo hearing after its delay and lets the demo clerk sign in', async () => {
    const d = demo();
    expect(d.child.exitCode, d.out()).toBeNull();
    const playlist = d.banner['Public playlist']?.replace('localhost', '127.0.0.1') ?? '';
    expect(playlist, d.out()).toMatch(/\/hls\/hearings\/[^/]+\/master\.m3u8$/);
    const feed = new PublicFeed(playlist.replace('master.m3u8', `${TEST_LADDER[0]!.name}/index.m3u8`)).start(250);
    try {
      // The starting slate airs until the delay has passed; then the synthetic camera's picture.
      await waitFor(
        async () => {
          for (const e of feed.sorted().slice(-2)) {
            const res = await fetch(e.uri).catch(() => null);
            if (res?.ok && (await decodeCounters(Buffer.from(await res.arrayBuffer()))).some((n) => n > 0)) return true;
          }
          return false;
        },
        'the camera on the public rung',
        60_000,
        500,
      );
      expect(feed.errors).toEqual([]);
    } finally {
      feed.stop();
    }
    const [user, password] = (d.banner['Demo clerk'] ?? '').split(/\s+/).filter((w) => w !== '/');
    const base = new URL(playlist).origin;
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password }) });
    expect(login.status).toBe(200);
  }, 120_000);

  it('stops cleanly on SIGTERM', async () => {
    const d = demo();
    d.child.kill('SIGTERM');
    expect(await Promise.race([d.exited, new Promise((r) => setTimeout(() => r('still running'), 20_000))]), d.out()).toBe(0);
  }, 30_000);
});
