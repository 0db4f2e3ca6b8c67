// Minimal typings for the parts of node-media-server 2.x that Courtcast uses.
declare module 'node-media-server/src/node_rtmp_server.js' {
  import type { Server } from 'node:net';
  export default class NodeRtmpServer {
    constructor(config: { rtmp: { port: number; chunk_size: number; gop_cache: boolean; ping: number; ping_timeout: number } });
    tcpServer: Server;
    port: number;
    run(): void;
    stop(): void;
  }
}
declare module 'node-media-server/src/node_core_ctx.js' {
  import type { EventEmitter } from 'node:events';
  import type { Socket } from 'node:net';
  export interface NmsSession {
    id: string;
    ip: string;
    isLocal: boolean;
    publishStreamPath?: string;
    isPublishing?: boolean;
    isPlaying?: boolean;
    socket: Socket;
    videoFps?: number;
    videoWidth?: number;
    videoHeight?: number;
    /** A publisher's players, by session id. */
    players?: Set<string>;
    /** Whether NMS relays sound and picture to this player. */
    isReceiveAudio: boolean;
    isReceiveVideo: boolean;
    reject(): void;
    stop(): void;
  }
  const ctx: {
    sessions: Map<string, NmsSession>;
    publishers: Map<string, string>;
    nodeEvent: EventEmitter;
  };
  export default ctx;
}
declare module 'node-media-server/src/node_core_logger.js' {
  const Logger: { setLogType(type: number): void };
  export default Logger;
}
declare module 'node-media-server/src/node_rtmp_session.js' {
  /** Only the prototype is used, to guard every connection's parser. */
  const NodeRtmpSession: { prototype: object };
  export default NodeRtmpSession;
}
