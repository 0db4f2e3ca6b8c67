import NodeRtmpSession from 'node-media-server/src/node_rtmp_session.js';

/** One media message as it was parsed: its kind, its timestamp (ms) and, for video, whether it starts a GOP. */
export interface RtmpMediaMessage {
  readonly kind: 'audio' | 'video';
  readonly timestampMs: number;
  /** A video frame a decoder can start from (not a sequence header). */
  readonly keyframe: boolean;
  /** A codec's configuration (AAC AudioSpecificConfig, AVC/HEVC decoder configuration), not media. */
  readonly sequenceHeader: boolean;
  /** The FLV tag body. Valid only during the call: the parser reuses its buffer. */
  readonly payload: Buffer;
}

/** Told of every audio and video message a connection sends, before NMS relays it to its players. */
export type RtmpMediaObserver = (sessionId: string, message: RtmpMediaMessage) => void;

const HOOKED = Symbol.for('courtcast.rtmpMediaHook');

interface MediaSession {
  id: string;
  parserPacket: { clock: number; payload: Buffer; header: { length: number } };
}

type Handler = (this: MediaSession) => void;

/** FLV video tag: frame type 1 is a keyframe; AVC/HEVC packet type 0 (or an enhanced header's 0) is a sequence header. */
export function isKeyframeTag(payload: Buffer): boolean {
  if (payload.length < 2) return false;
  const exHeader = (payload[0]! & 0x80) !== 0;
  const frameType = (payload[0]! >> 4) & 0x07;
  if (frameType !== 1) return false;
  // Enhanced RTMP: the low nibble is the packet type (0 sequence start, 4 metadata, 5 MPEG-2 TS sequence start).
  if (exHeader) return ![0, 4, 5].includes(payload[0]! & 0x0f);
  return payload[1] !== 0;
}

/** Whether an FLV audio or video tag body is its codec's sequence header rather than media. */
export function isSequenceHeaderTag(kind: 'audio' | 'video', payload: Buffer): boolean {
  if (payload.length < 2) return false;
  if (kind === 'audio') return [10, 13].includes(payload[0]! >> 4) && payload[1] === 0;
  if ((payload[0]! & 0x80) !== 0) return [0, 5].includes(payload[0]! & 0x0f);
  return ((payload[0]! >> 4) & 0x07) === 1 && [7, 12, 13].includes(payload[0]! & 0x0f) && payload[1] === 0;
}

/**
 * Reports each media message of node-media-server 2.x the moment it is parsed, before NMS relays
 * it: the earliest this process can know a frame has arrived (the ingest clock's source), and the
 * last moment to decide which players it reaches. Installing again replaces the observer. An
 * observer that throws loses nothing but its report.
 */
export function observeRtmpMedia(observer: RtmpMediaObserver): void {
  const proto = NodeRtmpSession.prototype as unknown as Record<PropertyKey, unknown>;
  const original = (proto[HOOKED] as { audio: Handler; video: Handler } | undefined) ?? {
    audio: proto.rtmpAudioHandler as Handler,
    video: proto.rtmpVideoHandler as Handler,
  };
  proto[HOOKED] = original;
  const report = (s: MediaSession, kind: 'audio' | 'video'): void => {
    try {
      const payload = s.parserPacket.payload.subarray(0, s.parserPacket.header.length);
      observer(s.id, { kind, timestampMs: s.parserPacket.clock, keyframe: kind === 'video' && isKeyframeTag(payload), sequenceHeader: isSequenceHeaderTag(kind, payload), payload });
    } catch {
      // the clock misses one observation; the media still flows
    }
  };
  proto.rtmpAudioHandler = function hookedAudio(this: MediaSession): void {
    report(this, 'audio');
    original.audio.call(this);
  };
  proto.rtmpVideoHandler = function hookedVideo(this: MediaSession): void {
    report(this, 'video');
    original.video.call(this);
  };
}

/** What writing media to a player needs of its node-media-server session. */
interface PlayerSession {
  readonly playStreamId: number;
  readonly socket: { write(chunk: Buffer): boolean };
  rtmpChunksCreate(packet: { header: Record<string, number>; payload: Buffer }): Buffer;
}

const CHANNEL = { audio: 4, video: 5 } as const;
const TYPE = { audio: 8, video: 9 } as const;

/**
 * Sends media messages to a player, chunked as NMS relays its publisher's (full type-0 headers,
 * the player's stream id), ahead of whatever NMS relays next on the same socket.
 */
export function writeToPlayer(player: unknown, messages: readonly { kind: 'audio' | 'video'; timestampMs: number; payload: Buffer }[]): void {
  const p = player as PlayerSession;
  for (const m of messages) {
    const header = { fmt: 0, cid: CHANNEL[m.kind], type: TYPE[m.kind], timestamp: m.timestampMs, length: m.payload.length, stream_id: p.playStreamId };
    p.socket.write(p.rtmpChunksCreate({ header, payload: m.payload }));
  }
}
