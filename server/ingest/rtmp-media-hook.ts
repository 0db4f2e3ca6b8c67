import NodeRtmpSession from 'node-media-server/src/node_rtmp_session.js';

/** Told of every audio and video message a connection sends: its session id and media timestamp (ms). */
export type RtmpMediaObserver = (sessionId: string, timestampMs: number) => void;

const HOOKED = Symbol.for('courtcast.rtmpMediaHook');

interface MediaSession {
  id: string;
  parserPacket: { clock: number };
}

type Handler = (this: MediaSession) => void;

/**
 * Reports each media message of node-media-server 2.x the moment it is parsed, before NMS relays
 * it: the earliest this process can know a frame has arrived, and so the ingest clock's source.
 * Installing again replaces the observer. An observer that throws loses nothing but its report.
 */
export function observeRtmpMedia(observer: RtmpMediaObserver): void {
  const proto = NodeRtmpSession.prototype as unknown as Record<PropertyKey, unknown>;
  const original = (proto[HOOKED] as { audio: Handler; video: Handler } | undefined) ?? {
    audio: proto.rtmpAudioHandler as Handler,
    video: proto.rtmpVideoHandler as Handler,
  };
  proto[HOOKED] = original;
  const report = (s: MediaSession): void => {
    try {
      observer(s.id, s.parserPacket.clock);
    } catch {
      // the clock misses one observation; the media still flows
    }
  };
  proto.rtmpAudioHandler = function hookedAudio(this: MediaSession): void {
    report(this);
    original.audio.call(this);
  };
  proto.rtmpVideoHandler = function hookedVideo(this: MediaSession): void {
    report(this);
    original.video.call(this);
  };
}
