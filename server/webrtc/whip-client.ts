import type { Socket } from 'node:dgram';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, useNACK, usePLI, useSdesMid, type RTCRtpTransceiver } from 'werift';
import type { MediaKind } from './endpoint.ts';
import { LoopbackStun } from './loopback-stun.ts';
import { gathered, loopbackSocket } from './werift-util.ts';

/** Where a WHIP client publishes, and how. */
export interface WhipClientOptions {
  /** The courtroom's WHIP URL: http(s)://host/whip/{courtroomId}. */
  readonly url: string;
  /** The courtroom's stream key, sent as the bearer token. */
  readonly key: string;
  /**
   * Percent of first transmissions of the picture's packets to drop on the way out, as a lossy
   * network would (for tests): the server's NACKs then bring each again, and the retransmission
   * goes through.
   */
  readonly lossPercent?: number;
  /** Told of every RTP packet handed to the connection, with its own timestamp and payload size, as it is sent (for tests). */
  readonly onSent?: (kind: MediaKind, rtpTimestamp: number, at: number, payloadBytes: number) => void;
  /** Addresses to offer candidates on besides the machine's interfaces (loopback, on one host). */
  readonly hostAddresses?: readonly string[];
  /** The picture codec offered: H.264 (the default, as OBS sends) or VP8 alone (a browser without H.264). */
  readonly video?: 'H264' | 'VP8';
  /** How long the server may take to answer. */
  readonly timeoutMs?: number;
}

/** The length of an RTP packet's header: fixed part, CSRCs and any extension. */
function rtpHeaderBytes(packet: Buffer): number {
  const csrcEnd = 12 + 4 * (packet[0]! & 0x0f);
  const extended = (packet[0]! & 0x10) !== 0 && packet.length >= csrcEnd + 4;
  return extended ? csrcEnd + 4 + 4 * packet.readUInt16BE(csrcEnd + 2) : csrcEnd;
}

/** Keyframe requests the client received: an encoder that can act on them would. */
export type KeyframeRequests = () => number;

/**
 * A WHIP publisher, as OBS's WHIP output or a hardware encoder with WebRTC would be: it takes
 * H.264 (or VP8) and Opus as plain RTP on two local ports (from an FFmpeg, say), offers them over WHIP
 * and sends them over the negotiated connection. For the demo's WebRTC courtroom and for tests;
 * werift does the WebRTC.
 */
export class WhipClient {
  /** Where to send the RTP of each kind (local UDP ports). */
  readonly ports: Record<MediaKind, number>;
  /** The session's URL the server answered with (for DELETE). */
  location = '';
  /** The SDP offer sent, and the server's answer. */
  sentOffer = '';
  answer = '';
  private keyframeRequests = 0;
  private nacks = 0;
  private dropped = 0;
  private closed = false;

  private constructor(
    private readonly o: WhipClientOptions,
    private readonly pc: RTCPeerConnection,
    private readonly sockets: Record<MediaKind, Socket>,
  ) {
    this.ports = { video: sockets.video.address().port, audio: sockets.audio.address().port };
  }

  /** Offers to the server and connects; rejects with the server's status and problem on refusal. */
  static async connect(o: WhipClientOptions): Promise<WhipClient> {
    const sockets = { video: await loopbackSocket(), audio: await loopbackSocket() };
    // Our own STUN server while gathering: werift would ask Google's otherwise (see LoopbackStun).
    const stun = await LoopbackStun.start();
    const pc = new RTCPeerConnection({
      codecs: {
        video: [
          o.video === 'VP8'
            ? new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90_000, rtcpFeedback: [useNACK(), usePLI()] })
            : new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90_000, rtcpFeedback: [useNACK(), usePLI()], parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1' }),
        ],
        audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 })],
      },
      headerExtensions: { video: [useSdesMid()], audio: [useSdesMid()] },
      iceServers: [{ urls: stun.url }],
      iceUseIpv6: false,
      bundlePolicy: 'max-bundle',
      ...(o.hostAddresses?.length ? { iceAdditionalHostAddresses: [...o.hostAddresses] } : {}),
    });
    const client = new WhipClient(o, pc, sockets);
    try {
      await client.offer();
    } catch (err) {
      await client.close();
      throw err;
    } finally {
      stun.close();
    }
    return client;
  }

  private async offer(): Promise<void> {
    for (const kind of ['video', 'audio'] as const) {
      const track = new MediaStreamTrack({ kind });
      const transceiver = this.pc.addTransceiver(track, { direction: 'sendonly' });
      this.sockets[kind].on('message', (packet) => {
        if (packet.length >= 12) this.o.onSent?.(kind, packet.readUInt32BE(4), Date.now(), packet.length - rtpHeaderBytes(packet));
        track.writeRtp(packet);
      });
      if (kind === 'video') {
        transceiver.sender.onRtcp.subscribe((rtcp) => void (rtcp.type === 206 && this.keyframeRequests++));
        transceiver.sender.onGenericNack.subscribe((nack) => void (this.nacks += nack.lost.length));
        if (this.o.lossPercent) this.lose(transceiver.sender, this.o.lossPercent);
      }
    }
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await gathered(this.pc, 3_000);
    this.sentOffer = this.pc.localDescription?.sdp ?? '';
    const res = await fetch(this.o.url, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', authorization: `Bearer ${this.o.key}` },
      body: this.pc.localDescription?.sdp ?? '',
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 15_000),
    });
    const body = await res.text();
    if (res.status !== 201) throw Object.assign(new Error(`WHIP offer refused: ${res.status} ${body}`), { status: res.status });
    this.location = new URL(res.headers.get('location') ?? '', this.o.url).toString();
    this.answer = body;
    await this.pc.setRemoteDescription({ type: 'answer', sdp: body });
  }

  /** Drops a share of a sender's first transmissions; what the receiver asks for again goes through. */
  private lose(sender: RTCRtpTransceiver['sender'], percent: number): void {
    const droppedOnce = new Set<number>();
    let wrapped = false;
    const wrap = () => {
      if (wrapped) return;
      wrapped = true;
      const transport = sender.dtlsTransport;
      const send = transport.sendRtp.bind(transport);
      transport.sendRtp = async (payload, header) => {
        // The picture's packets only (one transport carries the sound too, which is not repaired).
        if (header.ssrc === sender.ssrc && !droppedOnce.has(header.sequenceNumber) && Math.random() * 100 < percent) {
          droppedOnce.add(header.sequenceNumber);
          this.dropped++;
          return 0;
        }
        droppedOnce.delete(header.sequenceNumber);
        return send(payload, header);
      };
    };
    this.pc.connectionStateChange.subscribe((state) => void (state === 'connected' && wrap()));
  }

  /** Retransmissions the server asked for (NACK), and packets dropped on purpose (`lossPercent`). */
  get repairs(): { readonly nacked: number; readonly dropped: number } {
    return { nacked: this.nacks, dropped: this.dropped };
  }

  /** Resolves once media flows (ICE and DTLS done). */
  async connected(timeoutMs = 15_000): Promise<void> {
    if (this.pc.connectionState === 'connected') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('WHIP connection timed out')), timeoutMs);
      this.pc.connectionStateChange.subscribe((s) => {
        if (s === 'connected') {
          clearTimeout(timer);
          resolve();
        }
        if (s === 'failed' || s === 'closed') {
          clearTimeout(timer);
          reject(new Error(`WHIP connection ${s}`));
        }
      });
    });
  }

  /** The connection's state now. */
  get state(): string {
    return this.pc.connectionState;
  }

  /** How many keyframe requests (PLI, FIR) the server sent. */
  get keyframesAsked(): number {
    return this.keyframeRequests;
  }

  /** Ends the session (DELETE, as RFC 9725 asks) and the connection; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.location) await fetch(this.location, { method: 'DELETE', headers: { authorization: `Bearer ${this.o.key}` }, signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    this.location = '';
    for (const s of Object.values(this.sockets)) s.close();
    await this.pc.close().catch(() => undefined);
  }
}
