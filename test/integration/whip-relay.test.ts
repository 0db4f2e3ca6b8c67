import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPortPairs, untilUdpPortTaken } from '../../server/media/ports.ts';
import { rtpSdp, whipGatewaySpec } from '../../server/media/rtp-gateway.ts';
import { specToArgs } from '../../server/media/spec.ts';
import { syntheticRtpSpec } from '../../server/media/synthetic.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);

/**
 * The ingest dates WHIP media by reading the relay's timestamps as "RTP timestamp less the first"
 * (webrtc/rtp-arrivals.ts). FFmpeg's AAC encoder stamps its first frame 21 ms before zero, and the
 * FLV muxer then moves every stream on by as much, so each picture was looked up 21 ms past its
 * own RTP timestamp and dated by the next frame's arrival: a frame late, which at a start airs a
 * frame from before it. Here a real relay, fed by a real RTP encoder, writes its FLV to a file.
 */
describe('the WHIP relay stamps media by its RTP timestamps', () => {
  let dir = '';
  let packets: { kind: string; ms: number }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'courtcast-whip-relay-'));
    const [video, audio] = await freeUdpPortPairs(2);
    const sdpFile = path.join(dir, 'in.sdp');
    // FFmpeg's RTP muxer takes the first dynamic payload type for a picture and the next for sound.
    await writeFile(sdpFile, rtpSdp([
      { kind: 'video', name: 'H264', payloadType: 96, clockRate: 90_000, fmtp: 'packetization-mode=1' },
      { kind: 'audio', name: 'opus', payloadType: 97, clockRate: 48_000, channels: 2 },
    ], { video: video!, audio: audio! }));
    const out = path.join(dir, 'out.flv');
    const relay = spawn('ffmpeg', specToArgs(whipGatewaySpec({ sdpFile, publishUrl: out, audio: true, video: 'H264' })), { stdio: 'ignore' });
    const relayExit = new Promise((r) => relay.once('exit', r));
    await Promise.all([untilUdpPortTaken(video!, 5_000), untilUdpPortTaken(audio!, 5_000)]);
    const source = spawn('ffmpeg', specToArgs(syntheticRtpSpec({ width: 160, height: 90, fps: 30, frameOffset: 0, toneHz: 440, caption: 'relay', gopFrames: 30 }, { video: video!, audio: audio! })), { stdio: 'ignore' });
    try {
      await waitFor(async () => ((await stat(out).catch(() => null))?.size ?? 0) > 60_000, 'the relay to write two seconds', 20_000, 100);
    } finally {
      source.kill('SIGKILL');
      relay.kill('SIGINT');
      await relayExit;
    }
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_packets', '-show_entries', 'packet=codec_type,pts', '-of', 'csv=p=0', out]);
    packets = stdout.trim().split('\n').map((l) => l.split(',')).map(([kind, pts]) => ({ kind: kind!, ms: Number(pts) }));
  }, 40_000);

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('stamps the first picture 0 and each next one by its RTP timestamp, so none is looked up past its own', () => {
    const pictures = packets.filter((p) => p.kind === 'video').map((p) => p.ms);
    expect(pictures.length).toBeGreaterThan(30);
    expect(pictures[0]).toBe(0);
    // Frame k at 30 fps, k × 33.3 ms on (FLV counts whole milliseconds, FFmpeg's RTP clock a
    // little under 90 kHz a frame): never the 21 ms the muxer's move added.
    pictures.slice(0, 30).forEach((ms, k) => expect(Math.abs(ms - (k * 1000) / 30), `frame ${k} stamped ${ms}`).toBeLessThanOrEqual(3));
  });

  it('stamps no sound before zero, so the muxer moves nothing', () => {
    const sound = packets.filter((p) => p.kind === 'audio').map((p) => p.ms);
    expect(sound.length).toBeGreaterThan(60);
    // From zero or just after (the first Opus frame may start a few samples in), never before.
    expect(Math.min(...sound)).toBeGreaterThanOrEqual(0);
    expect(Math.min(...sound)).toBeLessThan(21);
  });
});
