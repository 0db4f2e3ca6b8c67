/**
 * Courtcast's own small WebRTC interface. The ingest and the HTTP routes depend on this, never on
 * a WebRTC library, so that werift (pure TypeScript, installable anywhere) can be replaced by an
 * SFU such as mediasoup where that can be built, with nothing else changing.
 */

export type MediaKind = 'video' | 'audio';

/** A codec a publisher sends, as negotiated: what an RTP reader needs to depacketize it. */
export interface ReceivedCodec {
  readonly kind: MediaKind;
  /** RTP encoding name: H264, VP8, opus. */
  readonly name: string;
  readonly payloadType: number;
  readonly clockRate: number;
  readonly channels?: number;
  /** The fmtp parameters (packetization mode, profile), as in SDP. */
  readonly fmtp?: string;
}

/** Why a publisher's connection ended (other than being closed by us). */
export type PublisherEnd = 'ice-failed' | 'disconnected' | 'closed';

/** Counters the ingest watches to bound a publisher. */
export interface PublisherStats {
  readonly connected: boolean;
  /** RTP and RTCP bytes received since the start. */
  readonly bytes: number;
  /** When the last media packet arrived (0: none yet). */
  readonly lastMediaAt: number;
}

/** One publisher's connection: it sends, we receive. */
export interface Publisher {
  readonly id: string;
  /** Our SDP answer, with every candidate we gathered (WHIP answers in one round trip). */
  readonly answer: string;
  readonly codecs: readonly ReceivedCodec[];
  /**
   * Sends the RTP of each kind to a local UDP port (with reports on the port after), from the next
   * packet on, once a reader listens there; what it sends from then on is remembered by when it
   * arrived (see `reachedBy`). Replaces any earlier forwarding.
   */
  forward(ports: Partial<Record<MediaKind, number>>): void;
  /**
   * When the media a reader of the forwarded RTP stamped `ms` (milliseconds on the timeline the
   * forwarding set, see RtpForwarder) had wholly reached us, its last `spanMs` included; null
   * when unknown.
   */
  reachedBy(kind: MediaKind, ms: number, spanMs: number): number | null;
  /** Asks the sender for a keyframe (RTCP PLI), so a reader can start or resume cleanly. */
  requestKeyframe(): void;
  stats(): PublisherStats;
  /** Called once, when the connection ended by itself (not after `close`). */
  onEnded(listener: (why: PublisherEnd) => void): void;
  close(): Promise<void>;
}

/**
 * Media to send to subscribers: plain RTP of each kind arrives on local ports (from an FFmpeg, say)
 * and goes to every subscriber attached to it, without re-encoding.
 */
export interface Feed {
  readonly ports: Readonly<Record<MediaKind, number>>;
  /** Subscribers attached now. */
  readonly subscribers: number;
  /** When the last packet arrived (0: none yet). */
  readonly lastMediaAt: number;
  close(): void;
}

/** One subscriber's connection: we send, it receives. */
export interface Subscriber {
  readonly id: string;
  readonly answer: string;
  /** Called once, when the connection ended by itself (not after `close`). */
  onEnded(listener: (why: PublisherEnd) => void): void;
  close(): Promise<void>;
}

/** A place publishers connect to and subscribers receive from. */
export interface WebRtcEndpoint {
  /**
   * Answers a publisher's offer. Throws CourtcastError VALIDATION_FAILED for an offer it cannot
   * take (no codec in common, unparseable).
   */
  publish(offer: string): Promise<Publisher>;
  /** A feed to send from (H.264 and Opus RTP). */
  feed(): Promise<Feed>;
  /**
   * Answers a subscriber's receive-only offer with the feed's media. Throws CourtcastError
   * VALIDATION_FAILED for an offer it cannot take.
   */
  subscribe(offer: string, feed: Feed): Promise<Subscriber>;
  close(): Promise<void>;
}
