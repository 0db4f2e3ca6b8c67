import { describe, expect, it } from 'vitest';
import type { MediaKind } from '../../server/webrtc/endpoint.ts';
import { RtpForwarder } from '../../server/webrtc/rtp-forwarder.ts';

const rtp = (ts: number, ssrc = 0x1234) => {
  const b = Buffer.alloc(20);
  b.writeUInt8(0x80, 0);
  b.writeUInt32BE(ts >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
};

/** What FFmpeg's RTP demuxer stamps a packet with once it has read a report (libavformat/rtpdec.c, finalize_packet). */
class FfmpegReader {
  private firstNtp: bigint | null = null;
  private readonly last = new Map<number, { ntp: bigint; rtp: number }>();

  read(port: number, packet: Buffer, rate: (port: number) => number): number | null {
    if (packet.readUInt8(1) === 200) {
      const ntp = packet.readBigUInt64BE(8);
      this.firstNtp ??= ntp;
      this.last.set(port - 1, { ntp, rtp: packet.readUInt32BE(16) });
      return null;
    }
    const report = this.last.get(port);
    if (!report || this.firstNtp === null) throw new Error(`a packet on ${port} before its report`);
    const addend = Number(((report.ntp - this.firstNtp) * BigInt(rate(port)) + (1n << 31n)) >> 32n);
    return addend + ((packet.readUInt32BE(4) - report.rtp) | 0);
  }
}

describe('forwarding a publisher\'s RTP to its relay on one timeline', () => {
  const PORTS = { video: 5000, audio: 5002 };
  const rateOf = (k: MediaKind) => (k === 'video' ? 90_000 : 48_000);
  const ratePort = (port: number) => (port === PORTS.video ? 90_000 : 48_000);

  it('has the relay stamp each kind from the first picture packet by its arrival, across a wrap and a restatement', () => {
    const sent: { port: number; packet: Buffer }[] = [];
    const f = new RtpForwarder({ ports: PORTS, clockRate: rateOf, horizonMs: 600_000, send: (packet, port) => sent.push({ port, packet }) });
    const reader = new FfmpegReader();
    const stamps: Record<string, number[]> = { video: [], audio: [] };
    const feed = (kind: MediaKind, ts: number, at: number) => {
      const from = sent.length;
      f.packet(kind, rtp(ts), at);
      for (const { port, packet } of sent.slice(from)) {
        const pts = reader.read(port, packet, ratePort);
        if (pts !== null) stamps[kind]!.push((pts * 1000) / rateOf(kind));
      }
    };
    const audio0 = 777;
    const video0 = 2 ** 32 - 90_000;
    // Sound before the first picture packet is not forwarded: the timeline starts at the picture.
    feed('audio', audio0 - 960, 9_980);
    expect(sent).toEqual([]);
    feed('video', video0, 10_000);
    // The sound 40 ms after, then the picture's timestamps wrap.
    for (let k = 0; k < 4; k++) feed('audio', audio0 + k * 960, 10_040 + k * 20);
    feed('video', (video0 + 3000) >>> 0, 10_033);
    feed('video', (video0 + 93_000) >>> 0, 11_033); // past the wrap
    expect(stamps.video!.map(Math.round)).toEqual([0, 33, 1033]);
    expect(stamps.audio).toEqual([40, 60, 80, 100]);
    // A minute of media later, the kind's mapping is stated again, and stamps go on unbroken.
    const reports = () => sent.filter((s) => s.packet.readUInt8(1) === 200).length;
    expect(reports()).toBe(2);
    feed('audio', audio0 + 3_001 * 960, 10_040 + 3_001 * 20);
    expect(reports()).toBe(3);
    feed('audio', audio0 + 3_002 * 960, 10_040 + 3_002 * 20);
    expect(stamps.audio!.slice(-2)).toEqual([40 + 3_001 * 20, 40 + 3_002 * 20]);
    // Each report went to its kind's RTCP port, before the packet it precedes.
    expect(sent.filter((s) => s.packet.readUInt8(1) === 200).map((s) => s.port)).toEqual([5001, 5003, 5003]);
    // And the ingest reads the relay's stamps back as arrivals.
    expect(f.reachedBy('video', 33, 0)).toBe(10_033);
    expect(f.reachedBy('audio', 60, 0)).toBe(10_060);
  });

  it('sends no report for one kind alone (FFmpeg ignores them then), and reads its stamps from its first packet', () => {
    const sent: Buffer[] = [];
    const f = new RtpForwarder({ ports: { video: 5000 }, clockRate: rateOf, horizonMs: 60_000, send: (packet) => sent.push(packet) });
    f.packet('video', rtp(500), 10_300);
    f.packet('video', rtp(3500), 10_333);
    expect(sent.every((p) => p.readUInt8(1) !== 200)).toBe(true);
    expect(f.reachedBy('video', 0, 0)).toBe(10_300);
    expect(f.reachedBy('video', 33, 0)).toBe(10_333);
  });

  it('forwards nothing of a kind it was not asked to, nor what is too short to be RTP', () => {
    const sent: Buffer[] = [];
    const f = new RtpForwarder({ ports: { video: 5000 }, clockRate: rateOf, horizonMs: 60_000, send: (packet) => sent.push(packet) });
    f.packet('audio', rtp(1), 1);
    f.packet('video', Buffer.alloc(8), 1);
    expect(sent).toEqual([]);
  });
});
