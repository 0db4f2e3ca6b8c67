import type { MediaKind } from './endpoint.ts';
import { RtpArrivals } from './rtp-arrivals.ts';
import { ntpAfter, senderReport } from './sender-report.ts';

/** Local ports a relay reads each kind's RTP on (RTCP on the port after). */
export type ForwardPorts = Partial<Record<MediaKind, number>>;

/**
 * How much media passes between two reports of one kind. FFmpeg counts a packet's timestamp from
 * the last report as a signed 32-bit difference, which at 90 kHz wraps after 6.6 hours.
 */
const RESTATE_SECONDS = 60;

/**
 * Forwards one publisher's RTP to a relay on local ports, so that the relay stamps every kind on
 * one timeline of when the media reached us.
 *
 * Without sender reports FFmpeg stamps each stream from its own first packet, and the picture's
 * and the sound's zero are then whenever each kind's first packet happened to come (up to a frame
 * apart): the relay's output put sound and picture of different instants at one timestamp, and the
 * ingest, which dates a timestamp by the latest of both, dated one of them late by that much, so
 * at a start sound from before it aired. The publisher's own reports cannot fix that (they tell
 * its capture clock, not when media reached us, and are not forwarded). So before a kind's first
 * packet, and every minute of its media, we send the relay a report of our own: this kind's RTP
 * timestamp at the timeline's zero, so that it stamps each kind's first packet at its arrival
 * since then and the rest by their RTP timestamps.
 *
 * The zero is the arrival of the first picture packet, and nothing is forwarded before it: FFmpeg
 * leaves the first picture it parses unstamped and puts it at zero, which is then right when that
 * picture is a keyframe the relay copies, and dropped otherwise. (Sound from before the first
 * picture packet is lost; the relay could not start without a picture anyway.) With one kind alone
 * FFmpeg ignores reports; its stream starts at zero.
 */
export class RtpForwarder {
  private readonly ports = new Map<MediaKind, number>();
  private readonly kinds = new Map<MediaKind, { arrivals: RtpArrivals; reportedAt: number | null }>();
  private readonly synchronized: boolean;
  private readonly lead: MediaKind | null;
  private originAt: number | null = null;

  constructor(
    private readonly o: {
      readonly ports: ForwardPorts;
      readonly clockRate: (kind: MediaKind) => number;
      readonly horizonMs: number;
      readonly send: (packet: Buffer, port: number) => void;
    },
  ) {
    for (const [kind, port] of Object.entries(o.ports) as [MediaKind, number][]) this.ports.set(kind, port);
    this.synchronized = this.ports.size > 1;
    this.lead = this.synchronized && this.ports.has('video') ? 'video' : null;
  }

  /** An RTP packet of `kind` reached us at `at`: it goes to the relay, after a report when one is due. */
  packet(kind: MediaKind, packet: Buffer, at: number): void {
    const port = this.ports.get(kind);
    if (port === undefined || packet.length < 12) return;
    if (this.originAt === null) {
      if (this.lead !== null && kind !== this.lead) return;
      this.originAt = at;
    }
    let k = this.kinds.get(kind);
    if (!k) {
      k = { arrivals: new RtpArrivals(this.o.clockRate(kind), this.o.horizonMs, this.synchronized ? this.originAt : null), reportedAt: null };
      this.kinds.set(kind, k);
    }
    k.arrivals.add(packet.readUInt32BE(4), at);
    const latest = k.arrivals.latest;
    if (this.synchronized && latest) {
      const rate = k.arrivals.clockRate;
      // The first report puts the kind's zero at the origin (FFmpeg lines up every stream's zero
      // with the first report it reads, of whichever kind); later ones restate where it is now.
      const report = k.reportedAt === null ? { ticks: 0, rtp: latest.zeroRtp } : latest.ticks - k.reportedAt >= RESTATE_SECONDS * rate ? { ticks: latest.ticks, rtp: latest.rtp } : null;
      if (report) {
        this.o.send(senderReport(packet.readUInt32BE(8), ntpAfter(this.originAt, report.ticks, rate), report.rtp), port + 1);
        k.reportedAt = report.ticks;
      }
    }
    this.o.send(packet, port);
  }

  /** When the media the relay stamped `ms` of `kind` had wholly reached us (see RtpArrivals.reachedBy). */
  reachedBy(kind: MediaKind, ms: number, spanMs: number): number | null {
    return this.kinds.get(kind)?.arrivals.reachedBy(ms, spanMs) ?? null;
  }
}
