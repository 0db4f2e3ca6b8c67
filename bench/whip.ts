/**
 * A hearing whose courtroom sends over WHIP against the same hearing over RTMP, in the same run:
 * how long after the encoder starts its first picture airs (less D), and the server's CPU (the
 * Node process with werift, and the hearing's FFmpegs, the WHIP relay included) while it airs.
 * Usage: npm run bench -- whip [seconds] [rounds] [--smoke]   (smoke: 2 s, one round, 180p)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { loadConfig } from '../config/load.ts';
import { SyntheticEncoder } from '../server/media/synthetic-encoder.ts';
import { cpuSeconds } from '../test/support/cpu-hog.ts';
import { decodeCounters, PublicFeed } from '../test/support/public-feed.ts';
import { seedHearing, startTestServer } from '../test/support/server.ts';
import { waitFor } from '../test/support/wait.ts';
import { openAndStart } from './bench-hearing.ts';
import { numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';
import { quantile } from './stats.ts';

const SECONDS = SMOKE ? 2 : numberArg(0, 20);
const ROUNDS = SMOKE ? 1 : numberArg(1, 3);
const D_SECONDS = 2;
const PICTURE = SMOKE ? { width: 320, height: 180 } : { width: 1280, height: 720 };
const LADDER = SMOKE ? SMOKE_LADDER : loadConfig({ env: {} }).media.ladder;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  /** From the encoder's start to its first picture in the public playlist, less D (s). */
  readonly firstAir: number;
  /** Cores the server used while the hearing aired: Node (werift, the service) and its FFmpegs. */
  readonly node: number;
  readonly ffmpeg: number;
}

async function run(source: 'rtmp' | 'whip'): Promise<Run> {
  const s = await startTestServer({ webrtc: { hostAddresses: ['127.0.0.1'] }, media: { ladder: LADDER, segmentSeconds: 2, fps: 30 } });
  let encoder: SyntheticEncoder | null = null;
  let child: ChildProcess | null = null;
  try {
    const { hearingId, courtroomId, streamKey } = await seedHearing(s, { delaySeconds: D_SECONDS });
    await openAndStart(s, hearingId);
    const feed = new PublicFeed(`${s.base}/hls/hearings/${hearingId}/${LADDER[0]!.name}/index.m3u8`).start(100);
    let t0 = performance.now();
    if (source === 'rtmp') {
      encoder = new SyntheticEncoder({ target: `rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`, format: 'flv', ...PICTURE, fps: 30, toneHz: 440, caption: 'RTMP bench', counterEpochMs: Date.now() }, 'ffmpeg', pino({ level: 'silent' }));
      encoder.start();
    } else {
      const c = spawn(process.execPath, ['--import', 'tsx', 'bench/whip-source.ts', `${s.base}/whip/${courtroomId}`, streamKey, String(PICTURE.width), String(PICTURE.height)], { stdio: ['ignore', 'pipe', 'inherit'] });
      child = c;
      // Node and its TypeScript loader take a second to start; the publisher starts after that.
      await new Promise<void>((resolve) => c.stdout.once('data', () => resolve()));
      t0 = performance.now();
    }
    const seen = new Set<string>();
    let firstAir = 0;
    await waitFor(
      async () => {
        for (const e of feed.sorted()) {
          if (seen.has(e.uri)) continue;
          seen.add(e.uri);
          if ((await decodeCounters(Buffer.from(await (await fetch(e.uri)).arrayBuffer()))).some((c) => c > 0)) {
            firstAir = (performance.now() - t0) / 1000 - D_SECONDS;
            return true;
          }
        }
        return false;
      },
      `the first ${source} picture on the air`,
      60_000,
      100,
    );
    feed.stop();
    const live = s.cc.broadcasts.live(hearingId)!;
    const pids = () => [live.ffmpegPid, live.masterPid, s.cc.whip?.relayPid(courtroomId)].filter((p): p is number => p !== undefined);
    await sleep(2_000);
    const read = async () => (await Promise.all(pids().map((p) => cpuSeconds(p)))).reduce((a, b) => a + b, 0);
    const c0 = await read();
    const n0 = process.cpuUsage();
    const w0 = performance.now();
    await sleep(SECONDS * 1000);
    const wall = (performance.now() - w0) / 1000;
    const n = process.cpuUsage(n0);
    return { firstAir, ffmpeg: ((await read()) - c0) / wall, node: (n.user + n.system) / 1e6 / wall };
  } finally {
    await encoder?.close();
    child?.kill('SIGTERM');
    await s.close();
  }
}

const rounds: { rtmp: Run; whip: Run }[] = [];
for (let i = 0; i < ROUNDS; i++) rounds.push({ rtmp: await run('rtmp'), whip: await run('whip') });
const median = (f: (r: { rtmp: Run; whip: Run }) => number) => quantile(rounds.map(f), 0.5);
const row = (name: string, k: 'rtmp' | 'whip') =>
  `| ${name} | ${median((r) => r[k].firstAir).toFixed(2)} | ${median((r) => r[k].node).toFixed(3)} | ${median((r) => r[k].ffmpeg).toFixed(3)} | ${median((r) => r[k].node + r[k].ffmpeg).toFixed(3)} |`;
process.stdout.write(
  [
    `WHIP against RTMP: the same ${PICTURE.width}x${PICTURE.height}p30 synthetic courtroom, ladder ${LADDER.map((r) => r.name).join('/')}, D = ${D_SECONDS} s, CPU over ${SECONDS} s, median of ${ROUNDS} round(s)${SMOKE ? ' (smoke)' : ''} (cores = CPU seconds per wall second)`,
    '',
    '| source | first picture on the air, less D (s) | Node cores | FFmpeg cores | total cores |',
    '| --- | --- | --- | --- | --- |',
    row('RTMP (baseline)', 'rtmp'),
    row('WHIP', 'whip'),
    '',
    `WHIP / RTMP, total cores: ${(median((r) => r.whip.node + r.whip.ffmpeg) / median((r) => r.rtmp.node + r.rtmp.ffmpeg)).toFixed(2)}; first picture, WHIP less RTMP: ${(median((r) => r.whip.firstAir) - median((r) => r.rtmp.firstAir)).toFixed(2)} s`,
    '',
  ].join('\n'),
);
process.exit(0);
