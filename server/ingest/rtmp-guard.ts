import nmsContext from 'node-media-server/src/node_core_ctx.js';
import NodeRtmpSession from 'node-media-server/src/node_rtmp_session.js';

/** Limits the guard applies to every RTMP connection. */
export interface RtmpGuardLimits {
  /** Largest message a connection may declare before it publishes (commands are small). */
  readonly maxCommandBytes: number;
  /** Largest message a publishing encoder may send (a keyframe). */
  readonly maxMediaBytes: number;
}

/** What the guard reports when it drops a connection. */
export type RtmpFaultHandler = (session: { id: string; ip: string }, err: unknown) => void;

const GUARDED = Symbol.for('courtcast.rtmpGuard');

/** Raised when a peer declares a message larger than its state allows. */
export class RtmpMessageTooLarge extends Error {
  constructor(readonly bytes: number, readonly limit: number) {
    super(`RTMP message of ${bytes} bytes exceeds the limit of ${limit}`);
    this.name = 'RtmpMessageTooLarge';
  }
}

interface GuardedSession {
  id: string;
  ip: string;
  isPublishing: boolean;
  parserPacket: { header: { length: number } };
  socket: { destroy(): void };
  stop(): void;
}

interface Originals {
  onSocketData(this: GuardedSession, data: Buffer): void;
  rtmpPacketAlloc(this: GuardedSession): void;
  stop(this: GuardedSession): void;
}

/**
 * Makes node-media-server 2.x fail per connection instead of per process. Its parser runs inside
 * the socket's `data` handler with no guard, so one malformed command (a `connect` without `app`)
 * throws out of an event handler and ends Node. The guard runs each chunk of input inside a
 * try/catch and drops just that connection; and since the parser allocates whatever length a
 * message header declares (up to 16 MiB), it caps that length, far lower before the peer is an
 * authenticated publisher. Installing twice replaces the limits and the fault handler.
 */
export function guardRtmpSessions(limits: RtmpGuardLimits, onFault: RtmpFaultHandler): void {
  // NMS binds `onSocketData` per socket when a session runs, so a prototype change applies to
  // every later connection; the originals are kept once, whatever the number of installs.
  const proto = NodeRtmpSession.prototype as unknown as Record<PropertyKey, unknown>;
  const original = (proto[GUARDED] as Originals | undefined) ?? {
    onSocketData: proto.onSocketData as Originals['onSocketData'],
    rtmpPacketAlloc: proto.rtmpPacketAlloc as Originals['rtmpPacketAlloc'],
    stop: proto.stop as Originals['stop'],
  };
  proto[GUARDED] = original;
  proto.onSocketData = function guardedData(this: GuardedSession, data: Buffer): void {
    try {
      original.onSocketData.call(this, data);
    } catch (err) {
      try {
        onFault({ id: this.id, ip: this.ip }, err);
      } finally {
        this.stop();
      }
    }
  };
  proto.rtmpPacketAlloc = function guardedAlloc(this: GuardedSession): void {
    const length = this.parserPacket.header.length;
    const limit = this.isPublishing ? limits.maxMediaBytes : limits.maxCommandBytes;
    if (length > limit) throw new RtmpMessageTooLarge(length, limit);
    original.rtmpPacketAlloc.call(this);
  };
  // Teardown walks player lists that a malformed peer can leave inconsistent, and it runs from
  // socket close, error and timeout handlers that nothing else guards.
  proto.stop = function guardedStop(this: GuardedSession): void {
    try {
      original.stop.call(this);
    } catch (err) {
      onFault({ id: this.id, ip: this.ip }, err);
      nmsContext.sessions.delete(this.id);
      this.socket.destroy();
    }
  };
}
