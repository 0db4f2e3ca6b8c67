import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, useNACK, usePLI, useSdesMid, type RTCRtpTransceiver } from 'werift';
import { CourtcastError } from '../domain/errors.ts';
import type { ReadPulse } from '../media/read-pulse.ts';
import type { Logger } from '../domain/logger.ts';
import { announceAddresses, withoutLoopbackReflexive } from './announce.ts';
import { LoopbackStun } from './loopback-stun.ts';
import { RtpForwarder, type ForwardPorts } from './rtp-forwarder.ts';
import { gathered, loopbackSocket } from './werift-util.ts';
import type { Feed, MediaKind, Publisher, PublisherEnd, PublisherStats, ReceivedCodec, Subscriber, WebRtcEndpoint } from './endpoint.ts';

/** What a werift endpoint is configured with (config.webrtc, narrowed). */
export interface WeriftOptions {
  readonly portRange?: readonly [number, number];
  readonly hostAddresses: readonly string[];
  /** Public addresses our host candidates are reachable at through a 1:1 NAT (see announceAddresses). */
  readonly announcedAddresses?: readonly string[];
  readonly iceServers: readonly { readonly urls: string; readonly username?: string; readonly credential?: string }[];
  readonly logger: Logger;
  /** How long gathering our candidates may take before we answer with what we have. */
  readonly gatherTimeoutMs?: number;
  /** Told of every media packet read, for commands that wait until what reached us was read. */
  readonly pulse?: ReadPulse;
}

/**
 * What we take. H.264 pictures, kept as sent and forwarded as they are; VP8 for a browser that
 * offers nothing else (the relay transcodes it to H.264); Opus sound.
 * NACK and PLI, for loss and keyframes. No TWCC and no REMB: with TWCC on, Chromium held itself
 * to about 200 kbps against werift (FIELD measurements); without either it sends at the rate its
 * own encoder settings ask. The MID extension lets werift route packets of senders that announce
 * no SSRCs.
 */
const codecs = (role: 'publisher' | 'viewer') => ({
  video: [
    new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90_000, rtcpFeedback: [useNACK(), usePLI()] }),
    // Only a publisher may send VP8: a viewer is sent H.264, and with VP8 among werift's codecs
    // Chromium's viewer (which offers VP8 first) got no picture.
    ...(role === 'publisher' ? [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90_000, rtcpFeedback: [useNACK(), usePLI()] })] : []),
  ],
  audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 })],
});

/**
 * Of the picture codecs a sender offers (and we take), the one we answer with: H.264 whenever
 * offered, since it is kept as sent, preferring packetization mode 1 (a frame spans packets) and
 * the most widely decodable profile; VP8 only when there is no H.264 (it is transcoded). Answering
 * with one makes the sender's choice ours; FFmpeg then reads exactly what the SDP we write says.
 */
export function preferredVideo(offered: readonly { mimeType?: string; parameters?: string | undefined }[]): number {
  const score = (c: (typeof offered)[number]) => {
    if (!/h264$/i.test(c.mimeType ?? 'video/H264')) return 0;
    const p = c.parameters ?? '';
    return 1 + (/packetization-mode=1/.test(p) ? 4 : 0) + (/profile-level-id=42e0/i.test(p) ? 2 : /profile-level-id=4200/i.test(p) ? 1 : 0);
  };
  let best = 0;
  for (let i = 1; i < offered.length; i++) if (score(offered[i]!) > score(offered[best]!)) best = i;
  return best;
}

const describe = (kind: MediaKind, c: RTCRtpCodecParameters): ReceivedCodec => ({
  kind,
  name: c.name,
  payloadType: c.payloadType,
  clockRate: c.clockRate,
  ...(c.channels !== undefined ? { channels: c.channels } : {}),
  ...(c.parameters ? { fmtp: c.parameters } : {}),
});

/** How long the arrivals of forwarded media are kept: the ingest dates media as it comes, within seconds. */
const ARRIVALS_HORIZON_MS = 30_000;

/** One publisher's peer connection, forwarding what it receives to local ports. */
class WeriftPublisher implements Publisher {
  readonly id = randomUUID();
  private readonly socket: Socket = createSocket('udp4');
  private forwarder: RtpForwarder | null = null;
  private readonly tracks = new Map<MediaKind, { track: MediaStreamTrack; transceiver: RTCRtpTransceiver }>();
  private bytes = 0;
  private lastMediaAt = 0;
  private connected = false;
  private ended: ((why: PublisherEnd) => void) | null = null;
  private closed = false;
  answer = '';
  codecs: ReceivedCodec[] = [];

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly logger: Logger,
    private readonly pulse?: ReadPulse,
  ) {
    // A send to a reader that is not listening yet is only an ICMP error; it must not throw.
    this.socket.on('error', () => undefined);
    pc.onTrack.subscribe((track) => this.attach(track));
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.connected = true;
      if (state === 'failed') this.end(this.connected ? 'disconnected' : 'ice-failed');
      if (state === 'closed') this.end('closed');
    });
  }

  private attach(track: MediaStreamTrack): void {
    const kind = track.kind as MediaKind;
    const transceiver = this.pc.getTransceivers().find((t) => t.receiver.tracks.includes(track));
    if (!transceiver || this.tracks.has(kind)) return;
    this.tracks.set(kind, { track, transceiver });
    let first = true;
    track.onReceiveRtp.subscribe((rtp) => {
      // A reader can only start on a keyframe: ask for one as soon as the sender is known, and
      // again shortly (the first request may cross the sender's own first keyframe).
      if (first && kind === 'video') {
        first = false;
        this.requestKeyframe();
        for (const ms of [400, 1_000]) setTimeout(() => !this.closed && this.requestKeyframe(), ms).unref();
      }
      this.pulse?.read();
      const packet = rtp.serialize();
      this.bytes += packet.length;
      this.lastMediaAt = Date.now();
      this.forwarder?.packet(kind, packet, this.lastMediaAt);
    });
    // The publisher's sender reports are not forwarded: with them, FFmpeg would re-time the
    // streams by the sender's clock, and its timestamps would no longer name when the media
    // reached us; the forwarder sends reports of its own (see RtpForwarder).
  }

  forward(ports: ForwardPorts): void {
    this.forwarder = new RtpForwarder({
      ports,
      clockRate: (kind) => this.codecs.find((c) => c.kind === kind)?.clockRate ?? (kind === 'video' ? 90_000 : 48_000),
      horizonMs: ARRIVALS_HORIZON_MS,
      send: (packet, port) => this.socket.send(packet, port, '127.0.0.1'),
    });
  }

  reachedBy(kind: MediaKind, ms: number, spanMs: number): number | null {
    return this.forwarder?.reachedBy(kind, ms, spanMs) ?? null;
  }

  requestKeyframe(): void {
    const video = this.tracks.get('video');
    if (video?.track.ssrc === undefined) return;
    video.transceiver.receiver.sendRtcpPLI(video.track.ssrc).catch((err: unknown) => this.logger.debug({ err }, 'PLI not sent'));
  }

  stats(): PublisherStats {
    return { connected: this.connected, bytes: this.bytes, lastMediaAt: this.lastMediaAt };
  }

  onEnded(listener: (why: PublisherEnd) => void): void {
    this.ended = listener;
  }

  private end(why: PublisherEnd): void {
    if (this.closed) return;
    const listener = this.ended;
    this.ended = null;
    listener?.(why);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ended = null;
    this.socket.close();
    await this.pc.close().catch((err: unknown) => this.logger.debug({ err }, 'peer connection close failed'));
  }
}

/** Local RTP fanned out to every subscriber's tracks. */
class WeriftFeed implements Feed {
  readonly tracks = new Set<Record<MediaKind, MediaStreamTrack>>();
  lastMediaAt = 0;
  private closed = false;

  constructor(
    private readonly sockets: Record<MediaKind, Socket>,
    private readonly onClose: (feed: WeriftFeed) => void,
  ) {
    for (const kind of ['video', 'audio'] as const) {
      sockets[kind].on('message', (packet) => {
        this.lastMediaAt = Date.now();
        // Each sender parses its own copy: werift rewrites the header it is given.
        for (const t of this.tracks) t[kind].writeRtp(packet);
      });
    }
  }

  get ports(): Record<MediaKind, number> {
    return { video: this.sockets.video.address().port, audio: this.sockets.audio.address().port };
  }

  get subscribers(): number {
    return this.tracks.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of Object.values(this.sockets)) s.close();
    this.onClose(this);
  }
}

/** One subscriber's peer connection, sending a feed's tracks. */
class WeriftSubscriber implements Subscriber {
  readonly id = randomUUID();
  answer = '';
  private ended: ((why: PublisherEnd) => void) | null = null;
  private closed = false;
  private connected = false;

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly detach: () => void,
    private readonly logger: Logger,
  ) {
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.connected = true;
      if (state === 'failed' || state === 'closed') {
        const listener = this.ended;
        this.ended = null;
        if (!this.closed) listener?.(state === 'closed' ? 'closed' : this.connected ? 'disconnected' : 'ice-failed');
      }
    });
  }

  onEnded(listener: (why: PublisherEnd) => void): void {
    this.ended = listener;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ended = null;
    this.detach();
    await this.pc.close().catch((err: unknown) => this.logger.debug({ err }, 'peer connection close failed'));
  }
}

/** The werift implementation of our WebRTC endpoint. */
export class WeriftEndpoint implements WebRtcEndpoint {
  private readonly open = new Set<{ close(): Promise<void> | void }>();
  /** Our own STUN server, unless one is configured (see LoopbackStun). */
  private stun: Promise<LoopbackStun> | null = null;

  constructor(private readonly o: WeriftOptions) {}

  private async peer(role: 'publisher' | 'viewer'): Promise<RTCPeerConnection> {
    const configured = this.o.iceServers.map((s) => ({ ...s }));
    if (!configured.some((s) => s.urls.startsWith('stun:'))) configured.unshift({ urls: (await (this.stun ??= LoopbackStun.start())).url });
    return new RTCPeerConnection({
      codecs: codecs(role),
      headerExtensions: { video: [useSdesMid()], audio: [useSdesMid()] },
      iceServers: configured,
      ...(this.o.portRange ? { icePortRange: [this.o.portRange[0], this.o.portRange[1]] as [number, number] } : {}),
      ...(this.o.hostAddresses.length > 0 ? { iceAdditionalHostAddresses: [...this.o.hostAddresses] } : {}),
      iceUseIpv6: false,
      bundlePolicy: 'max-bundle',
    });
  }

  /**
   * Answers an offer with one codec per kind (ours, of those offered) in `direction`, after
   * `prepare` has seen the transceivers; the answer carries every candidate we gathered.
   */
  private async answer(pc: RTCPeerConnection, offer: string, direction: 'recvonly' | 'sendonly', prepare: (t: RTCRtpTransceiver) => void | Promise<void>): Promise<string> {
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      for (const t of pc.getTransceivers()) {
        if (t.kind === 'video' && t.codecs.length > 1) t.codecs = [t.codecs[preferredVideo(t.codecs)]!];
        if (t.kind === 'audio' && t.codecs.length > 1) t.codecs = [t.codecs[0]!];
        t.setDirection(direction);
        await prepare(t);
      }
      await pc.setLocalDescription(await pc.createAnswer());
    } catch (err) {
      await pc.close().catch(() => undefined);
      throw new CourtcastError('VALIDATION_FAILED', 'the offer could not be answered (no codec in common, or an offer werift cannot parse)', undefined, { cause: err });
    }
    await gathered(pc, this.o.gatherTimeoutMs ?? 3_000);
    return announceAddresses(withoutLoopbackReflexive(pc.localDescription?.sdp ?? ''), this.o.announcedAddresses ?? []);
  }

  async publish(offer: string): Promise<Publisher> {
    const pc = await this.peer('publisher');
    const publisher = new WeriftPublisher(pc, this.o.logger, this.o.pulse);
    try {
      publisher.answer = await this.answer(pc, offer, 'recvonly', () => undefined);
    } catch (err) {
      await publisher.close();
      throw err;
    }
    publisher.codecs = pc.getTransceivers().flatMap((t) => (t.codecs[0] ? [describe(t.kind as MediaKind, t.codecs[0])] : []));
    return this.track(publisher);
  }

  async feed(): Promise<Feed> {
    const feed = new WeriftFeed({ video: await loopbackSocket(), audio: await loopbackSocket() }, (f) => this.open.delete(f));
    this.open.add(feed);
    return feed;
  }

  async subscribe(offer: string, feed: Feed): Promise<Subscriber> {
    if (!(feed instanceof WeriftFeed)) throw new Error('a feed of another endpoint');
    const pc = await this.peer('viewer');
    const tracks = { video: new MediaStreamTrack({ kind: 'video' }), audio: new MediaStreamTrack({ kind: 'audio' }) };
    const answer = await this.answer(pc, offer, 'sendonly', async (t) => {
      const track = tracks[t.kind as MediaKind];
      if (track) await t.sender.replaceTrack(track);
    });
    feed.tracks.add(tracks);
    const subscriber = new WeriftSubscriber(pc, () => feed.tracks.delete(tracks), this.o.logger);
    subscriber.answer = answer;
    return this.track(subscriber);
  }

  /** Keeps a connection until it is closed, so that closing the endpoint closes it. */
  private track<T extends { close(): Promise<void> }>(conn: T): T {
    this.open.add(conn);
    const close = conn.close.bind(conn);
    conn.close = async () => {
      this.open.delete(conn);
      await close();
    };
    return conn;
  }

  async close(): Promise<void> {
    await Promise.all([...this.open].map((c) => c.close()));
    (await this.stun)?.close();
  }
}
