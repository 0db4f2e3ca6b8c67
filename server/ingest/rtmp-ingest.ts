import type { AddressInfo, Socket } from 'node:net';
import NodeRtmpServer from 'node-media-server/src/node_rtmp_server.js';
import nmsContext from 'node-media-server/src/node_core_ctx.js';
import NmsLogger from 'node-media-server/src/node_core_logger.js';
import { TypedEmitter } from '../domain/events.ts';
import type { Logger } from '../domain/logger.ts';
import type { ReadPulse } from '../media/read-pulse.ts';
import { IngestClock } from './ingest-clock.ts';
import { PullTokens } from './pull-tokens.ts';
import type { Ingest, IngestEvents, IngestStats } from './ingest.ts';
import { guardRtmpSessions } from './rtmp-guard.ts';
import { KeyframeStart, type PlayerSwitches } from './keyframe-start.ts';
import { observeRtmpMedia, writeToPlayer, type RtmpMediaMessage } from './rtmp-media-hook.ts';
import { PreRoll, type PreRollLimits } from './pre-roll.ts';
import { GopInProgress } from './gop-in-progress.ts';

/** The courtroom a stream key belongs to, or null when the key is unknown or rotated away. */
export type KeyResolver = (streamKey: string) => { courtroomId: string } | null;

/** Events of the RTMP ingest server. */
export interface RtmpIngestEvents extends IngestEvents {
  /** A publish or play attempt was refused. */
  refused: (e: { reason: 'unknown-key' | 'bad-app' | 'pull-denied' | 'already-publishing' | 'malformed' | 'idle'; ip: string }) => void;
}

/** Options of the RTMP ingest server. */
export interface RtmpIngestOptions {
  readonly port: number;
  /** Interface to listen on; loopback keeps encoders on this machine. */
  readonly host: string;
  readonly resolveKey: KeyResolver;
  readonly logger: Logger;
  /** How long each courtroom's ingest clock keeps its observations (the longest delay plus a margin). */
  readonly clockHorizonMs?: number;
  /**
   * When the media of a message reached us, where a relay in front of the ingest knows better than
   * the message's own arrival (WHIP: when werift received it); null where it does not.
   */
  readonly arrivalOf?: (courtroomId: string, kind: 'audio' | 'video', timestampMs: number) => number | null;
  /** Told of every media message read, for commands that wait until what reached us was read. */
  readonly pulse?: ReadPulse;
  /** What each publish keeps for the master's reader until it joins (see PreRoll). */
  readonly preRoll?: PreRollLimits;
  readonly now?: () => number;
}

const APP = 'live';
/** A connection that neither publishes nor plays within this time is dropped. */
const IDLE_CONNECTION_MS = 10_000;
/** Connections held at once, encoders and half-open strangers together. */
const MAX_CONNECTIONS = 256;
/** Enough for the pipeline to spawn its readers on a loaded machine, and a few GOPs after a late open. */
const PRE_ROLL: PreRollLimits = { maxMs: 15_000, maxBytes: 32 * 1024 * 1024 };
/** The internal stream path of a courtroom: what the pipeline pulls, so no key is on its command line. */
const internalStream = (courtroomId: string): string => `courtroom-${courtroomId}`;
// NMS emits untyped positional arguments; each handler below declares what it reads.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NmsHandler = (...args: any[]) => void;
// node-media-server keeps its sessions in module state, so a process can hold one server only.
let instances = 0;

/**
 * One RTMP port for every courtroom: encoders publish to rtmp://host/live/STREAM_KEY. A publish
 * with an unknown key is refused before any media is accepted. Playing is reserved for our own
 * pipeline on loopback with a per-process token, so the undelayed feed cannot be pulled by anyone
 * who reaches the port.
 */
export class RtmpIngest extends TypedEmitter<RtmpIngestEvents> implements Ingest {
  private port = 0;
  private readonly server: NodeRtmpServer;
  /** Single-use pull tokens, when they lapse and how their reader starts: a token seen on a command line is already spent. */
  private readonly pullTokens = new PullTokens();
  /** Readers that start at the publisher's next keyframe, sound and picture together. */
  private readonly keyframes = new KeyframeStart();
  private readonly publishers = new Map<string, { sessionId: string; courtroomId: string; clock: IngestClock; preRoll: PreRoll; gop: GopInProgress }>();
  /** Players reading for the master: they get their publish's pre-roll on joining. */
  private readonly masterReaders = new Set<string>();
  /** The ingest clock of each courtroom's latest publish session; kept after it ends, for late dating. */
  private readonly clocks = new Map<string, IngestClock>();
  private readonly handlers: [string, NmsHandler][] = [];

  constructor(private readonly o: RtmpIngestOptions) {
    super((err, event) => o.logger.error({ err, event }, 'rtmp ingest listener failed'));
    if (instances > 0) throw new Error('only one RtmpIngest per process (node-media-server keeps global state)');
    instances++;
    // NMS logs stream paths, which contain stream keys: keep it silent. No GOP cache: NMS would
    // hand it to every reader, the transcoder's too; the master's reader gets the publish's first
    // frames from our own pre-roll instead.
    NmsLogger.setLogType(0);
    guardRtmpSessions({ maxCommandBytes: 64 * 1024, maxMediaBytes: 8 * 1024 * 1024 }, (session, err) => {
      o.logger.warn({ ip: session.ip, err: err instanceof Error ? err.message : String(err) }, 'rtmp connection dropped: malformed input');
      this.emit('refused', { reason: 'malformed', ip: session.ip });
    });
    this.server = new NodeRtmpServer({ rtmp: { port: o.port, chunk_size: 60_000, gop_cache: false, ping: 30, ping_timeout: 60 } });
    // NMS replaces a falsy port with 1935; put 0 back so "any free port" works.
    this.server.port = o.port;
    const now = o.now ?? Date.now;
    observeRtmpMedia((sessionId, message) => this.onMedia(sessionId, message, now()));
    this.listen('prePublish', (id: string, streamPath: string) => this.onPrePublish(id, streamPath));
    this.listen('postPublish', (id: string) => this.onPostPublish(id));
    this.listen('donePublish', (id: string) => this.onDonePublish(id));
    this.listen('prePlay', (id: string, _path: string, args: Record<string, string>) => this.onPrePlay(id, args));
    this.listen('postPlay', (id: string, streamPath: string) => this.onPostPlay(id, streamPath));
    // A refused or broken publish never reaches donePublish, so forget publishers by connection.
    this.listen('doneConnect', (id: string) => {
      this.keyframes.forget(id);
      this.masterReaders.delete(id);
      this.onDonePublish(id);
    });
    this.server.tcpServer.maxConnections = MAX_CONNECTIONS;
    this.server.tcpServer.on('connection', (socket) => this.dropIfIdle(socket));
  }

  /** Half-open connections cost a session each; one that never publishes or plays is dropped. */
  private dropIfIdle(socket: Socket): void {
    const timer = setTimeout(() => {
      for (const s of nmsContext.sessions.values()) {
        if (s.socket !== socket || s.isPublishing || s.isPlaying) continue;
        this.o.logger.warn({ ip: s.ip }, 'rtmp connection dropped: it neither published nor played');
        this.emit('refused', { reason: 'idle', ip: s.ip });
        s.stop();
      }
    }, IDLE_CONNECTION_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  private listen(event: string, handler: NmsHandler): void {
    const safe: NmsHandler = (...args) => {
      try {
        handler(...args);
      } catch (err) {
        this.o.logger.error({ err, event }, 'rtmp ingest handler failed');
      }
    };
    nmsContext.nodeEvent.on(event, safe);
    this.handlers.push([event, safe]);
  }

  private session(id: string) {
    return nmsContext.sessions.get(id);
  }

  private onPrePublish(id: string, streamPath: string): void {
    const s = this.session(id);
    const [, app, key] = /^\/([^/]*)\/(.*)$/.exec(streamPath) ?? [];
    const ip = s?.ip ?? 'unknown';
    if (app !== APP || !key) {
      this.o.logger.warn({ ip }, 'rtmp publish refused: wrong application path');
      this.emit('refused', { reason: 'bad-app', ip });
      s?.reject();
      return;
    }
    const room = this.o.resolveKey(key);
    if (!room) {
      this.o.logger.warn({ ip, keyPrefix: key.slice(0, 4) }, 'rtmp publish refused: unknown or rotated stream key');
      this.emit('refused', { reason: 'unknown-key', ip });
      s?.reject();
      return;
    }
    if (this.isPublishing(room.courtroomId)) {
      this.o.logger.warn({ ip, courtroomId: room.courtroomId }, 'rtmp publish refused: the courtroom already has an encoder');
      this.emit('refused', { reason: 'already-publishing', ip });
      s?.reject();
      return;
    }
    // NMS reads the path back after this event: publishing under the courtroom's internal name
    // keeps the stream key out of the pipeline's command line and out of NMS's tables.
    if (s) s.publishStreamPath = `/${APP}/${internalStream(room.courtroomId)}`;
    // A new connection starts its timestamps afresh, so it gets a clock of its own; it becomes
    // the courtroom's clock once NMS accepts the publish, before any media is parsed.
    this.publishers.set(id, { sessionId: id, courtroomId: room.courtroomId, clock: new IngestClock(this.o.clockHorizonMs ?? 35 * 60_000), preRoll: new PreRoll(this.o.preRoll ?? PRE_ROLL), gop: new GopInProgress() });
  }

  private onPostPublish(id: string): void {
    const p = this.publishers.get(id);
    if (!p) return;
    // NMS announces postPublish only for a publish it accepted.
    this.clocks.set(p.courtroomId, p.clock);
    const ip = this.session(id)?.ip ?? 'unknown';
    this.o.logger.info({ courtroomId: p.courtroomId, ip }, 'encoder publishing');
    this.emit('publish', { courtroomId: p.courtroomId, ip });
  }

  private onDonePublish(id: string): void {
    const p = this.publishers.get(id);
    if (!p) return;
    this.publishers.delete(id);
    this.o.logger.info({ courtroomId: p.courtroomId }, 'encoder stopped publishing');
    this.emit('unpublish', { courtroomId: p.courtroomId });
  }

  /** Dates a publisher's message on its clock, then lets held readers decide whether it reaches them. */
  private onMedia(sessionId: string, message: RtmpMediaMessage, at: number): void {
    this.o.pulse?.read();
    const p = this.publishers.get(sessionId);
    if (!p) return;
    // A codec's configuration is not media, and need not be stamped like it (a WHIP relay's come
    // at zero, before its first media): dated by its arrival, it would hold every frame after it
    // to that instant (IngestClock dates by the latest observation at or before a timestamp).
    if (!message.sequenceHeader) {
      // A relay's arrival is later than its media's, never earlier: the earlier one dates the media.
      const reached = this.o.arrivalOf?.(p.courtroomId, message.kind, message.timestampMs) ?? null;
      p.clock.observe(message.timestampMs, reached !== null && reached <= at ? reached : at);
    }
    p.preRoll.add(message);
    p.gop.add(message, at);
    if (!this.keyframes.active) return;
    const players = this.session(sessionId)?.players ?? new Set<string>();
    const sessions = [...players].flatMap((id): [string, PlayerSwitches][] => {
      const s = this.session(id);
      return s ? [[id, s]] : [];
    });
    this.keyframes.beforeRelay(message, sessions);
  }

  private onPrePlay(id: string, args: Record<string, string>): void {
    const s = this.session(id);
    const pull = s && s.isLocal && typeof args.token === 'string' ? this.pullTokens.spend(args.token) : null;
    if (s && pull) {
      if (pull.fromKeyframe) this.keyframes.hold(id, s);
      else this.masterReaders.add(id);
      return;
    }
    this.o.logger.warn({ ip: s?.ip }, 'rtmp play refused: only the pipeline may pull');
    this.emit('refused', { reason: 'pull-denied', ip: s?.ip ?? 'unknown' });
    s?.reject();
  }

  /**
   * A reader joined its publisher (NMS has just sent it the codec headers, synchronously, so
   * nothing has been relayed to it yet). A master reader gets the publish's media from the first
   * message before anything live; a keyframe reader gets the GOP in progress, when it is recent.
   */
  private onPostPlay(id: string, streamPath: string): void {
    const publisherId = nmsContext.publishers.get(streamPath);
    const publisher = publisherId ? this.publishers.get(publisherId) : undefined;
    const player = this.session(id);
    if (!publisher || !player) return;
    if (this.keyframes.waiting(id)) {
      const gop = publisher.gop.take((this.o.now ?? Date.now)());
      if (!gop) return;
      writeToPlayer(player, gop.messages);
      this.keyframes.startedAt(id, player, gop.fromMs);
      return;
    }
    if (!this.masterReaders.has(id)) return;
    const held = publisher.preRoll.take();
    if (held.length === 0) return;
    writeToPlayer(player, held);
    this.o.logger.debug({ messages: held.length, fromMs: held[0]?.timestampMs }, 'master reader given the publish from its first message');
  }

  /** Starts listening on the configured host; resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    // NMS's own run() listens on every interface; listen here instead so the host is honoured.
    const tcp = this.server.tcpServer;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.o.port, this.o.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    tcp.on('error', (err) => this.o.logger.error({ err }, 'rtmp listener error'));
    this.port = (tcp.address() as AddressInfo).port;
    return this.port;
  }

  /** The ingest clock of a courtroom's latest publish session, if it has published. */
  clockOf(courtroomId: string): IngestClock | null {
    return this.clocks.get(courtroomId) ?? null;
  }

  /** Whether the RTMP port is open. */
  get listening(): boolean {
    return this.server.tcpServer.listening;
  }

  /** Pull tokens not yet spent, so logs can redact them. */
  get secrets(): string[] {
    return this.pullTokens.outstanding();
  }

  /**
   * A URL our pipeline pulls a courtroom's feed from. Each call mints a single-use token that
   * lapses after a minute, and the path names the courtroom, not its key: the command line of
   * the FFmpeg that uses it, readable by every local user, holds nothing that still opens a door.
   * With `fromKeyframe`, the reader starts at the keyframe in progress (see GopInProgress) or the
   * next one, and gets no sound stamped before it (the transcoder); without, it gets every message from now on (the master),
   * and the first such reader of a publish gets what was held before it joined (see PreRoll).
   */
  pullUrl(courtroomId: string, o: { fromKeyframe?: boolean } = {}): string {
    const token = this.pullTokens.issue({ fromKeyframe: o.fromKeyframe === true });
    return `rtmp://127.0.0.1:${this.port}/${APP}/${internalStream(courtroomId)}?token=${token}`;
  }

  /** Where a local relay (SRT) publishes a courtroom's stream, under its key, like an encoder. */
  publishUrl(streamKey: string): string {
    return `rtmp://127.0.0.1:${this.port}/${APP}/${encodeURIComponent(streamKey)}`;
  }

  /** Whether a courtroom's encoder is publishing now. */
  isPublishing(courtroomId: string): boolean {
    return [...this.publishers.values()].some((p) => p.courtroomId === courtroomId);
  }

  /** Frame rate and size the encoder announced, while it publishes. */
  stats(courtroomId: string): IngestStats | null {
    for (const p of this.publishers.values()) {
      if (p.courtroomId !== courtroomId) continue;
      const s = this.session(p.sessionId);
      if (s) return { fps: s.videoFps ?? 0, width: s.videoWidth ?? 0, height: s.videoHeight ?? 0 };
    }
    return null;
  }

  /** Disconnects a courtroom's encoder (after its key was rotated). */
  kick(courtroomId: string): void {
    for (const p of this.publishers.values()) if (p.courtroomId === courtroomId) this.session(p.sessionId)?.reject();
  }

  /** Stops the server and drops every connection. Safe to call twice. */
  close(): void {
    if (this.handlers.length === 0) return;
    for (const [event, h] of this.handlers.splice(0)) nmsContext.nodeEvent.off(event, h);
    try {
      this.server.stop();
    } catch (err) {
      this.o.logger.warn({ err }, 'rtmp server stop failed');
    }
    instances--;
  }
}
