import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CourtcastError } from '../domain/errors.ts';
import type { Logger } from '../domain/logger.ts';
import { FfmpegProcess } from '../media/ffmpeg-process.ts';
import { freeUdpPortPairs, untilUdpPortTaken } from '../media/ports.ts';
import { rtpSdp, whipGatewaySpec } from '../media/rtp-gateway.ts';
import type { Publisher, PublisherEnd, WebRtcEndpoint } from '../webrtc/endpoint.ts';
import { checkOffer } from '../webrtc/offer.ts';
import type { EncoderSource, Ingest } from './ingest.ts';
import { ReceivedKeeper, type ReceivedSegment } from './received-keeper.ts';

/** Why a WHIP session ended. */
export type WhipEnd = PublisherEnd | 'deleted' | 'kicked' | 'rights-lost' | 'ice-timeout' | 'media-stopped' | 'over-bitrate' | 'relay-failed' | 'shutdown';

export interface WhipIngestOptions {
  readonly endpoint: WebRtcEndpoint;
  readonly ingest: Pick<Ingest, 'publishUrl' | 'isPublishing'>;
  /** A courtroom's stream key now (null: no such courtroom). */
  readonly keyOf: (courtroomId: string) => string | null;
  readonly ffmpegPath: string;
  /** Where each session's SDP file for its relay is written. */
  readonly workDir: string;
  readonly logger: Logger;
  readonly maxSessions: number;
  readonly maxKbps: number;
  readonly idleTimeoutMs: number;
  /** How often the publisher is asked for a keyframe: the master's segments cut on them. */
  readonly keyframeIntervalMs: number;
  /**
   * Keeps a finished segment of a courtroom's media as received beside its live hearing's master;
   * false when none is live. Absent: the relay keeps nothing beside what it publishes.
   */
  readonly keepReceived?: (courtroomId: string, segment: ReceivedSegment) => Promise<boolean>;
  readonly now?: () => number;
}

/** One publisher's session: its connection, its relay into the ingest, its bounds. */
interface WhipSession {
  readonly id: string;
  readonly courtroomId: string;
  readonly key: string;
  readonly remote: string;
  readonly startedAt: number;
  readonly publisher: Publisher;
  /** Whoever opened the session still may (a clerk's account in force, serving the courtroom). */
  readonly allowed: () => boolean;
  relay: FfmpegProcess | null;
  relayStarts: number[];
  timers: NodeJS.Timeout[];
  lastBytes: number;
  overBitrateSeconds: number;
  ending: boolean;
  /** Relay runs started so far; the current one is `runs`. */
  runs: number;
  keeper: ReceivedKeeper | null;
}

/**
 * The span of Opus media an AAC frame of the relay holds, from its timestamp: the encoder's frame
 * (1024 samples at 48 kHz) overlaps the next one and is stamped a frame early (its priming), and
 * the relay moves the sound on by a frame so that nothing is stamped before zero (see
 * whipGatewaySpec), so the samples in the frame stamped T reach T + 1024 samples of the publisher's
 * timeline. Sound dated before all of it arrived would be early, which an end of exposure must
 * never be; dated later than that, sound from before a start would air.
 */
const AAC_SPAN_MS = 22;

/** The picture codec a publisher sends: H.264 is relayed as sent, VP8 transcoded. */
function pictureOf(p: Publisher): 'H264' | 'VP8' {
  return p.codecs.some((c) => c.kind === 'video' && c.name.toUpperCase() === 'VP8') ? 'VP8' : 'H264';
}

/** What the HTTP layer hands back to a publisher. */
export interface WhipAnswer {
  readonly sessionId: string;
  readonly answer: string;
}

/**
 * WHIP ingest: a publisher's WebRTC session per courtroom, relayed into the RTMP ingest under the
 * courtroom's key (see whipGatewaySpec), so the ingest clock, the master and the ladder treat it
 * exactly as an RTMP encoder. One session per courtroom and none while an RTMP or SRT encoder
 * publishes; a session that does not connect, goes quiet, sends above the bound or whose key was
 * rotated is ended, and only that session.
 */
export class WhipIngest {
  private readonly sessions = new Map<string, WhipSession>();
  /** Courtrooms whose offer is being answered: a second offer meanwhile is a conflict too. */
  private readonly answering = new Set<string>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly o: WhipIngestOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Takes a publisher's offer for a courtroom, its key already checked by the caller. */
  async publish(courtroomId: string, offer: string, remote: string, allowed: () => boolean = () => true): Promise<WhipAnswer> {
    if (this.closed) throw new CourtcastError('BUSY', 'the server is shutting down');
    const summary = checkOffer(offer);
    const key = this.o.keyOf(courtroomId);
    if (key === null) throw new CourtcastError('NOT_FOUND', 'no such courtroom');
    if (this.sessionOf(courtroomId) || this.answering.has(courtroomId) || this.o.ingest.isPublishing(courtroomId)) {
      throw new CourtcastError('CONFLICT', 'this courtroom already has a publisher');
    }
    // A session on its way out (its relay stopping) no longer counts.
    const live = [...this.sessions.values()].filter((x) => !x.ending).length;
    if (live + this.answering.size >= this.o.maxSessions) throw new CourtcastError('BUSY', 'this server takes no more WebRTC publishers now');
    this.answering.add(courtroomId);
    let publisher: Publisher;
    try {
      publisher = await this.o.endpoint.publish(offer);
    } finally {
      this.answering.delete(courtroomId);
    }
    const session: WhipSession = { id: randomUUID(), courtroomId, key, remote, startedAt: this.now(), publisher, allowed, relay: null, relayStarts: [], timers: [], lastBytes: 0, overBitrateSeconds: 0, ending: false, runs: 0, keeper: null };
    const keep = this.o.keepReceived;
    if (keep) {
      session.keeper = new ReceivedKeeper({
        sessionDir: this.dirOf(session),
        folder: session.id.slice(0, 8),
        keep: (segment) => keep(courtroomId, segment),
        // A segment may begin with sound from before the first picture (both kinds share the
        // relay's timeline): whichever kind the instant belongs to dates it.
        reachedBy: (run, ms) => (run === session.runs ? (publisher.reachedBy('video', ms, 0) ?? publisher.reachedBy('audio', ms, 0)) : null),
        logger: this.o.logger,
      });
    }
    if (this.closed || this.o.keyOf(courtroomId) !== key) {
      await publisher.close();
      throw new CourtcastError('CONFLICT', 'the courtroom changed while the offer was answered');
    }
    this.sessions.set(session.id, session);
    publisher.onEnded((why) => void this.end(session.id, why));
    try {
      await this.startRelay(session);
    } catch (err) {
      await this.end(session.id, 'relay-failed');
      throw err;
    }
    session.timers.push(setInterval(() => publisher.requestKeyframe(), this.o.keyframeIntervalMs));
    session.timers.push(setInterval(() => this.watch(session), 1_000));
    this.o.logger.info({ courtroomId, sessionId: session.id, remote, video: pictureOf(publisher), offered: summary.video, candidates: summary.candidates }, 'WHIP publisher connected');
    return { sessionId: session.id, answer: publisher.answer };
  }

  /** The live session of a courtroom, if any. */
  sessionOf(courtroomId: string): { readonly id: string; readonly startedAt: number } | null {
    return this.liveOf(courtroomId);
  }

  private liveOf(courtroomId: string): WhipSession | null {
    for (const s of this.sessions.values()) if (s.courtroomId === courtroomId && !s.ending) return s;
    return null;
  }

  /**
   * What of a courtroom's WHIP publisher does not reach the master as sent: its Opus sound always
   * (FLV carries no Opus), a VP8 picture too. Null without a session.
   */
  sourceOf(courtroomId: string): EncoderSource | null {
    const s = this.liveOf(courtroomId);
    if (!s) return null;
    const transcoded: EncoderSource['transcoded'][number][] = [];
    if (pictureOf(s.publisher) === 'VP8') transcoded.push({ kind: 'picture', from: 'VP8', to: 'H.264' });
    if (s.publisher.codecs.some((c) => c.kind === 'audio')) transcoded.push({ kind: 'sound', from: 'Opus', to: 'AAC' });
    return { via: 'whip', transcoded, keptAsReceived: s.keeper !== null };
  }

  /** The process id of a courtroom's relay, while it runs (for benchmarks). */
  relayPid(courtroomId: string): number | undefined {
    return this.liveOf(courtroomId)?.relay?.pid;
  }

  /** Whether a session id belongs to a courtroom (so a DELETE names its own session only). */
  belongsTo(sessionId: string, courtroomId: string): boolean {
    return this.sessions.get(sessionId)?.courtroomId === courtroomId;
  }

  /** Ends a courtroom's session (its key was rotated). */
  kick(courtroomId: string): void {
    for (const s of this.sessions.values()) if (s.courtroomId === courtroomId) void this.end(s.id, 'kicked');
  }

  /** Ends a session; safe to call twice. */
  async end(sessionId: string, why: WhipEnd): Promise<void> {
    const s = this.sessions.get(sessionId);
    if (!s || s.ending) return;
    s.ending = true;
    s.timers.forEach((t) => clearInterval(t));
    this.o.logger.info({ courtroomId: s.courtroomId, sessionId, why, seconds: Math.round((this.now() - s.startedAt) / 1000) }, 'WHIP session ended');
    await s.publisher.close();
    await s.relay?.close();
    // What the relay wrote to the end is kept before its directory goes.
    await s.keeper?.collect(s.runs, true);
    this.sessions.delete(sessionId);
    await rm(this.dirOf(s), { recursive: true, force: true }).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id, 'shutdown')));
  }

  private dirOf(s: WhipSession): string {
    return path.join(this.o.workDir, s.id);
  }

  /** Starts (or restarts) the FFmpeg relay reading the forwarded RTP into the RTMP ingest. */
  private async startRelay(s: WhipSession): Promise<void> {
    const kinds = s.publisher.codecs.map((c) => c.kind);
    const pairs = await freeUdpPortPairs(kinds.length);
    const ports = Object.fromEntries(kinds.map((k, i) => [k, pairs[i]!]));
    const dir = this.dirOf(s);
    const sdpFile = path.join(dir, 'in.sdp');
    const run = ++s.runs;
    const receivedDir = s.keeper?.dirOf(run) ?? null;
    try {
      await mkdir(receivedDir ?? dir, { recursive: true });
      await writeFile(sdpFile, rtpSdp(s.publisher.codecs, ports));
    } catch (err) {
      // A full, failed or read-only disk: the server cannot take a publisher now, and says so
      // (503, to try again) rather than failing as if the request were at fault.
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
      this.o.logger.error({ courtroomId: s.courtroomId, code }, 'could not write the WHIP relay\'s files');
      throw new CourtcastError('STORE_UNAVAILABLE', `the server could not write the relay's files (${code}); try again shortly`, undefined, { cause: err });
    }
    if (s.ending) return;
    const relay = new FfmpegProcess(whipGatewaySpec({ sdpFile, publishUrl: this.o.ingest.publishUrl(s.key), audio: kinds.includes('audio'), video: pictureOf(s.publisher), received: receivedDir === null ? null : { dir: receivedDir, segmentSeconds: this.o.keyframeIntervalMs / 1000 } }), {
      ffmpegPath: this.o.ffmpegPath,
      logger: this.o.logger,
      tags: { courtroomId: s.courtroomId, role: 'whip-relay' },
      secrets: [s.key],
    });
    s.relay = relay;
    s.relayStarts = [...s.relayStarts.filter((t) => this.now() - t < 60_000), this.now()];
    relay.on('exit', (exit) => {
      if (s.ending || s.relay !== relay) return;
      void s.keeper?.collect(run, true);
      // A relay refused by the ingest (the key rotated, another encoder took the room) or failing
      // over and over ends the session: the publisher reconnects, and is asked again.
      if (this.o.keyOf(s.courtroomId) !== s.key) return void this.end(s.id, 'kicked');
      if (s.relayStarts.length >= 5) {
        this.o.logger.error({ courtroomId: s.courtroomId, exit: exit.message }, 'the WHIP relay keeps failing');
        return void this.end(s.id, 'relay-failed');
      }
      this.o.logger.warn({ courtroomId: s.courtroomId, exit: exit.message }, 'the WHIP relay stopped; starting it again');
      setTimeout(() => {
        if (!s.ending) this.startRelay(s).catch(() => void this.end(s.id, 'relay-failed'));
      }, 500);
    });
    relay.start();
    // Forwarding starts once the relay listens, so the first packet it reads is the first we send:
    // its timestamps count from there (see RtpForwarder).
    // Both of each kind's ports: the reports go to the RTCP one, and one lost would leave its kind
    // stamped from its own first packet.
    await Promise.all(Object.values(ports).flatMap((port) => [untilUdpPortTaken(port, 5_000), untilUdpPortTaken(port + 1, 5_000)]));
    if (s.ending || s.relay !== relay) return;
    s.publisher.forward(ports);
    // A reader that starts mid-GOP waits for a keyframe; ask for one at once.
    s.publisher.requestKeyframe();
    setTimeout(() => s.publisher.requestKeyframe(), 300).unref();
  }

  /**
   * When the media a courtroom's relay stamped `timestampMs` reached us, for the ingest clock:
   * a picture by its frame's last packet, sound by the last Opus packet of the AAC frame it went
   * into (see AAC_SPAN_MS). Null for a courtroom without a WHIP session.
   */
  arrivalOf(courtroomId: string, kind: 'audio' | 'video', timestampMs: number): number | null {
    return this.liveOf(courtroomId)?.publisher.reachedBy(kind, timestampMs, kind === 'audio' ? AAC_SPAN_MS : 0) ?? null;
  }

  /** Once a second: the session's bounds. */
  private watch(s: WhipSession): void {
    if (!s.allowed()) return void this.end(s.id, 'rights-lost');
    const st = s.publisher.stats();
    const age = this.now() - s.startedAt;
    if (!st.connected && age > this.o.idleTimeoutMs) return void this.end(s.id, 'ice-timeout');
    if (st.connected && st.lastMediaAt > 0 && this.now() - st.lastMediaAt > this.o.idleTimeoutMs) return void this.end(s.id, 'media-stopped');
    if (st.connected && st.lastMediaAt === 0 && age > this.o.idleTimeoutMs) return void this.end(s.id, 'media-stopped');
    const kbps = ((st.bytes - s.lastBytes) * 8) / 1000;
    s.lastBytes = st.bytes;
    s.overBitrateSeconds = kbps > this.o.maxKbps ? s.overBitrateSeconds + 1 : 0;
    // Three seconds over: a keyframe burst is one second at most.
    if (s.overBitrateSeconds >= 3) return void this.end(s.id, 'over-bitrate');
    void s.keeper?.collect(s.runs);
  }
}
