import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specToArgs } from '../../server/media/spec.ts';
import { syntheticRtpSpec } from '../../server/media/synthetic.ts';
import { WhipClient } from '../../server/webrtc/whip-client.ts';
import { FRAME_MS, TEST_FPS } from '../support/encoder.ts';
import { decodeFeed, delayViolations, PublicFeed, type DecodedEntry } from '../support/public-feed.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const D = 4_000;

/** FFmpeg sending the counter pattern and the sound time code as RTP, as OBS's encoder would. */
function rtpSource(ports: { video: number; audio: number }, epoch: number): ChildProcess {
  const spec = syntheticRtpSpec({ width: 320, height: 180, fps: TEST_FPS, frameOffset: Math.round((Date.now() - epoch) / FRAME_MS), toneHz: 440, sound: 'timecode', caption: 'WHIP courtroom', gopFrames: TEST_FPS }, ports);
  return spawn('ffmpeg', specToArgs(spec), { stdio: ['ignore', 'ignore', 'pipe'] });
}

describe('WHIP ingest: a WebRTC publisher airs like an RTMP encoder', () => {
  let s: TestServer;
  let feed: PublicFeed;
  let client: WhipClient;
  let source: ChildProcess;
  let epoch = 0;
  let decoded: DecodedEntry[] = [];
  let masterSegments = 0;
  let clockSize = 0;

  beforeAll(async () => {
    s = await startTestServer({ webrtc: { hostAddresses: ['127.0.0.1'] } });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    const start = await s.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/start`, {});
    expect(start.status).toBe(200);
    feed = new PublicFeed(`${s.base}/hls/hearings/${seeded.hearingId}/180p/index.m3u8`).start();
    client = await WhipClient.connect({ url: `${s.base}/whip/${seeded.courtroomId}`, key: seeded.streamKey, hostAddresses: ['127.0.0.1'] });
    await client.connected();
    epoch = Date.now();
    source = rtpSource(client.ports, epoch);
    await waitFor(async () => {
      await feed.poll();
      const entries = await decodeFeed(feed, { hear: false });
      return entries.filter((e) => e.program).length >= 3 && entries;
    }, 'three program segments over WHIP', 45_000, 1_000);
    clockSize = s.cc.ingest.clockOf(seeded.courtroomId)?.size ?? 0;
    await s.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/end`, {});
    await feed.untilEnded(D + 15_000);
    decoded = await decodeFeed(feed);
    const masterDir = path.join(s.cc.dirs.master, seeded.hearingId);
    for (const run of (await readdir(masterDir)).filter((d) => /^m\d{4,9}$/.test(d))) masterSegments += (await readdir(path.join(masterDir, run))).filter((f) => f.endsWith('.ts')).length;
  }, 120_000);

  afterAll(async () => {
    feed?.stop();
    source?.kill('SIGKILL');
    await client?.close();
    await s?.close();
  });

  it('relays WHIP into the ingest: its packets are on the ingest clock, and the master has its own recorder', () => {
    expect(clockSize).toBeGreaterThan(100);
    expect(masterSegments).toBeGreaterThanOrEqual(3);
    expect(client.keyframesAsked).toBeGreaterThan(0);
  });

  it('airs the courtroom over WHIP, never before capture + D', () => {
    expect(feed.errors).toEqual([]);
    expect(decoded.filter((e) => e.program).length).toBeGreaterThanOrEqual(3);
    expect(delayViolations(decoded, (c) => epoch + c * FRAME_MS, D)).toEqual([]);
  });
});
