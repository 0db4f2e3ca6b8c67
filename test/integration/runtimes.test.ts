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
 * Node 24 is the next LTS. The rest of the suite runs on the machine's Node; here the demo the
 * README's run command starts (`server/main.ts --demo`: embedded stores, a synthetic encoder over
 * RTMP, the pipeline, the delay line, the public HLS) runs on a Node that npm fetches: the demo
 * clerk signs in and sees the camera in the undelayed preview, the public rung airs (the starting
 * slate, for the demo's 10 s delay), and SIGTERM stops it cleanly. One runtime at a time, so the
 * file costs about one lane beside the player (suite-plan.ts).
 */
const RUNTIMES = ['22', '24'] as const;
const WHIP_RUNTIME = '24';

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
  const node = await binaries.get(major)!;
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
      // The newest runtime's demo camera sends over WHIP, so werift and the relay run on it too.
      ...(major === WHIP_RUNTIME ? { COURTCAST_DEMO_SOURCE: 'whip' } : {}),
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

/** Both runtimes are fetched at once (network, then cached by npx); the demos run one after the other. */
const binaries = new Map<string, Promise<string>>();
beforeAll(() => {
  for (const major of RUNTIMES) binaries.set(major, nodeBinary(major));
  for (const b of binaries.values()) b.catch(() => undefined);
});
const demos = new Map<string, Demo>();

/** Stops a demo if a test left it running, and removes its data. */
async function dispose(d: Demo | undefined): Promise<void> {
  if (!d) return;
  if (d.child.exitCode === null) d.child.kill('SIGKILL');
  await d.exited;
  await rm(d.dataDir, { recursive: true, force: true });
}

describe.each(RUNTIMES)('the run command on Node %s', (major) => {
  const demo = (): Demo => demos.get(major)!;
  beforeAll(async () => {
    demos.set(major, await startDemo(major));
  }, 180_000);
  afterAll(() => dispose(demos.get(major)));

  it('is that runtime', () => {
    expect(demo().version).toMatch(new RegExp(`^v${major}\\.`));
  });

  it(`has its camera send over ${major === WHIP_RUNTIME ? 'WHIP' : 'RTMP'}`, () => {
    expect(demo().banner['Demo camera sends over']).toBe(major === WHIP_RUNTIME ? 'WHIP (WebRTC)' : 'RTMP');
  });

  it('shows the demo clerk the camera in the preview and airs the public rung', async () => {
    const d = demo();
    expect(d.child.exitCode, d.out()).toBeNull();
    const playlist = d.banner['Public playlist']?.replace('localhost', '127.0.0.1') ?? '';
    const hearingId = /\/hls\/hearings\/([^/]+)\/master\.m3u8$/.exec(playlist)?.[1];
    expect(hearingId, d.out()).toBeDefined();
    const base = new URL(playlist).origin;
    const [username, password] = (d.banner['Demo clerk'] ?? '').split(/\s+/).filter((w) => w !== '/');
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    expect(login.status).toBe(200);
    const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
    // The master as ingested, undelayed: the synthetic camera's frame counter.
    const preview = `${base}/api/hearings/${hearingId}/preview/index.m3u8`;
    await waitFor(
      async () => {
        const res = await fetch(preview, { headers: auth });
        if (!res.ok) return false;
        const last = (await res.text()).split('\n').filter((l) => l.endsWith('.ts')).at(-1);
        if (!last) return false;
        const seg = await fetch(new URL(last, preview), { headers: auth });
        return seg.ok && (await decodeCounters(Buffer.from(await seg.arrayBuffer()))).some((n) => n > 0);
      },
      'the camera in the preview',
      30_000,
      250,
    );
    // The delay line publishes: the public rung lists segments that decode.
    const feed = new PublicFeed(playlist.replace('master.m3u8', `${TEST_LADDER[0]!.name}/index.m3u8`)).start(250);
    try {
      await waitFor(() => feed.sorted().length > 0, 'the public rung', 30_000, 250);
      const first = feed.sorted()[0]!;
      expect((await decodeCounters(Buffer.from(await (await fetch(first.uri)).arrayBuffer()))).length).toBeGreaterThan(0);
      expect(feed.errors).toEqual([]);
    } finally {
      feed.stop();
    }
    // The demo captioner's feed airs as English subtitles, with the picture.
    expect(d.banner['Demo captioner'] ?? '', d.out()).toMatch(/captions the demo hearing/);
    const subtitles = new PublicFeed(playlist.replace('master.m3u8', 'subtitles/en/index.m3u8')).start(500);
    try {
      const cueIn = async () => {
        for (const e of subtitles.sorted()) if ((await (await fetch(e.uri)).text()).includes('-->')) return true;
        return false;
      };
      await waitFor(cueIn, 'a caption on the air', 40_000, 1_000);
      expect(subtitles.errors).toEqual([]);
    } finally {
      subtitles.stop();
    }
  }, 120_000);

  it('stops cleanly on SIGTERM', async () => {
    const d = demo();
    d.child.kill('SIGTERM');
    expect(await Promise.race([d.exited, new Promise((r) => setTimeout(() => r('still running'), 20_000))]), d.out()).toBe(0);
  }, 30_000);
});
