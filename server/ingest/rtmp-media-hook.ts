import NodeRtmpSession from 'node-media-server/src/node_rtmp_session.js';

/** One media message as it was parsed: its kind, its timestamp (ms) and, for video, whether it starts a GOP. */
export interface RtmpMediaMessage {
  readonly kind: 'audio' | 'video';
  readonly timestampMs: number;
  /** A video frame a decoder can start from (not a sequence header). */
  readonly keyframe: boolean;
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
      observer(s.id, { kind, timestampMs: s.parserPacket.clock, keyframe: kind === 'video' && isKeyframeTag(payload) });
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
