import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPortPairs, untilUdpPortTaken } from '../../server/media/ports.ts';
import { rtpSdp, whipGatewaySpec } from '../../server/media/rtp-gateway.ts';
import { specToArgs } from '../../server/media/spec.ts';
import { syntheticRtpSpec } from '../../server/media/synthetic.ts';
import { RtpForwarder } from '../../server/webrtc/rtp-forwarder.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** How long the sound's first packet comes after the picture's. */
const SOUND_LATE_MS = 300;

/**
 * The ingest dates WHIP media by the relay's timestamps (webrtc/rtp-arrivals.ts), which must name
 * when each kind's media reached us on one timeline. Two ways they did not: FFmpeg's AAC encoder
 * stamps its first frame 21 ms before zero and the FLV muxer then moved every stream on by as much
 * (each picture was dated by the next one's arrival); and without sender reports FFmpeg counts
 * each stream from its own first packet, so picture and sound that reached us apart by however
 * long the first sound came after the first picture were stamped alike, and the ingest dated one
 * of them that much late (sound from before a start aired). Here a real relay reads a real RTP
 * encoder through the forwarder the WHIP ingest uses, the sound held back at first, and writes
 * its FLV to a file.
 */
describe('the WHIP relay stamps media on one timeline of when it reached us', () => {
  let dir = '';
  let packets: { kind: 'video' | 'audio'; ms: number }[] = [];
  let forwarder: RtpForwarder;
  const first: Partial<Record<'video' | 'audio', number>> = {};

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'courtcast-whip-relay-'));
    const [video, audio, inVideo, inAudio] = await freeUdpPortPairs(4);
    const sdpFile = path.join(dir, 'in.sdp');
    // FFmpeg's RTP muxer takes the first dynamic payload type for a picture and the next for sound.
    await writeFile(sdpFile, rtpSdp([
      { kind: 'video', name: 'H264', payloadType: 96, clockRate: 90_000, fmtp: 'packetization-mode=1' },
      { kind: 'audio', name: 'opus', payloadType: 97, clockRate: 48_000, channels: 2 },
    ], { video: video!, audio: audio! }));
    const out = path.join(dir, 'out.flv');
    const relay = spawn('ffmpeg', specToArgs(whipGatewaySpec({ sdpFile, publishUrl: out, audio: true, video: 'H264' })), { stdio: 'ignore' });
    const relayExit = new Promise((r) => relay.once('exit', r));
    await Promise.all([video!, video! + 1, audio!, audio! + 1].map((p) => untilUdpPortTaken(p, 5_000)));
    const sender = createSocket('udp4');
    forwarder = new RtpForwarder({ ports: { video: video!, audio: audio! }, clockRate: (k) => (k === 'video' ? 90_000 : 48_000), horizonMs: 60_000, send: (p, port) => sender.send(p, port, '127.0.0.1') });
    const sockets = await Promise.all((['video', 'audio'] as const).map(async (kind) => {
      const sock = createSocket('udp4');
      await new Promise<void>((resolve) => sock.bind(kind === 'video' ? inVideo : inAudio, '127.0.0.1', resolve));
      sock.on('message', (packet) => {
        const at = Date.now();
        // The sound is not forwarded until a while after the first picture packet.
        if (kind === 'audio' && (first.video === undefined || at - first.video < SOUND_LATE_MS)) return;
        first[kind] ??= at;
        forwarder.packet(kind, packet, at);
      });
      return sock;
    }));
    // The encoder starts now: its first picture, a keyframe, is the first the relay reads, as a
    // publisher's is once it has been asked for one.
    const source = spawn('ffmpeg', specToArgs(syntheticRtpSpec({ width: 160, height: 90, fps: 30, frameOffset: 0, toneHz: 440, caption: 'relay', gopFrames: 30 }, { video: inVideo!, audio: inAudio! })), { stdio: 'ignore' });
    try {
      await waitFor(async () => ((await stat(out).catch(() => null))?.size ?? 0) > 60_000, 'the relay to write two seconds', 20_000, 100);
    } finally {
      source.kill('SIGKILL');
      relay.kill('SIGINT');
      await relayExit;
      for (const s of [...sockets, sender]) s.close();
    }
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_packets', '-show_entries', 'packet=codec_type,pts', '-of', 'csv=p=0', out]);
    packets = stdout.trim().split('\n').map((l) => l.split(',')).map(([kind, pts]) => ({ kind: kind as 'video' | 'audio', ms: Number(pts) }));
  }, 40_000);

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('stamps each picture where it reached us since the first picture packet, the first one (a keyframe) at zero', () => {
    const pictures = packets.filter((p) => p.kind === 'video').map((p) => p.ms);
    expect(pictures.length).toBeGreaterThan(30);
    expect(pictures[0]).toBe(0);
    // Each frame 33.3 ms after the one before (FLV counts whole milliseconds).
    pictures.slice(1, 30).forEach((ms, k) => expect(Math.abs(ms - ((k + 1) * 1000) / 30), `frame ${k + 1} stamped ${ms}`).toBeLessThanOrEqual(2));
    // Its arrival, read back by its stamp, is the stamp's instant, give or take how unevenly the
    // encoder sends (a few ms on an idle machine; 10–17 ms in the median beside other live tests,
    // ci77 and ci78, where the encoder's own sending is what wavers).
    const lateness = pictures.map((ms) => forwarder.reachedBy('video', ms, 0)! - (first.video! + ms));
    expect(median(lateness.map(Math.abs))).toBeLessThan(20);
    for (const d of lateness) expect(Math.abs(d)).toBeLessThan(40);
  });

  it('stamps the sound from its first packet\'s arrival on, though that came well after the first picture, and never before zero', () => {
    const sound = packets.filter((p) => p.kind === 'audio').map((p) => p.ms);
    expect(sound.length).toBeGreaterThan(40);
    // From the first packet's arrival or just after (the first Opus frame may start a few samples
    // in), never before, and not the 21 ms the muxer's move would add. Counted from its own first
    // packet, the sound would start at zero, 300 ms early.
    const firstAt = first.audio! - first.video!;
    expect(firstAt).toBeGreaterThanOrEqual(SOUND_LATE_MS);
    expect(Math.min(...sound)).toBeGreaterThanOrEqual(firstAt - 1);
    expect(Math.min(...sound)).toBeLessThan(firstAt + 21);
    // An AAC frame holds the Opus media to 21 ms past its stamp (AAC_SPAN_MS): read so, it reached
    // us at its stamp's instant plus those 21 ms and up to a packet (the next one bounds it), give
    // or take the encoder's unevenness. (The last frames' next packet never came: the encoder was
    // stopped.)
    const read = sound.map((ms) => ({ ms, at: forwarder.reachedBy('audio', ms, 22) }));
    expect(read.filter((r) => r.at === null).length).toBeLessThanOrEqual(2);
    const lateness = read.flatMap((r) => (r.at === null ? [] : [r.at - (first.video! + r.ms)]));
    expect(median(lateness)).toBeGreaterThanOrEqual(21);
    expect(median(lateness)).toBeLessThan(21 + 20 + 10);
    for (const d of lateness) expect(Math.abs(d - 31)).toBeLessThan(40);
  });
});
