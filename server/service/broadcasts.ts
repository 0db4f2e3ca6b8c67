import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Courtroom, Hearing } from '../domain/courts.ts';
import { TypedEmitter } from '../domain/events.ts';
import { CourtcastError } from '../domain/errors.ts';
import { emptyProgram, type BroadcastProgram, type Span } from '../domain/program.ts';
import { maskProblem, type Mask, type MaskKind, type Region } from '../domain/masks.ts';
import type { MaskRequest } from '../domain/mask-request.ts';
import { FfmpegMaskRenderer } from '../delay/mask-renderer.ts';
import { DelayLine, type DelayLineState } from '../delay/delay-line.ts';
import { nextRunNumber, reapOrphans, sealUnsealed } from '../pipeline/recovery.ts';
import type { VariantInfo } from '../delay/playlist.ts';
import type { SlateLibrary } from '../delay/slates.ts';
import type { Ingest } from '../ingest/ingest.ts';
import { rtmpPullInput, srtGatewaySpec, srtListenInput, type RungOptions } from '../media/args.ts';
import type { Logger } from '../domain/logger.ts';
import { backoffPolicy } from '../media/restart-policy.ts';
import { PipelineSession } from '../pipeline/session.ts';
import { readJsonFile, writeFileDurably } from '../store/durable-file.ts';
import type { ObjectStore } from '../store/object-store.ts';
import type { StateStore } from '../store/state-store.ts';
import { reasonRequired, type BroadcastCommand } from '../domain/commands.ts';
import { LiveSession, type LiveStatus } from './live-session.ts';
import type { Registry } from './registry.ts';
import type { AuditActor, AuditTrail } from '../audit/trail.ts';
import type { ReleaseRecord } from '../delay/delay-line.ts';

/** A mask as a clerk asks for it. */
export interface NewMask {
  readonly kind: MaskKind;
  readonly region?: Region;
  readonly pitch?: number;
  /** Capture time; defaults to now. Earlier means retroactive. */
  readonly start?: number;
  readonly end?: number | null;
}

/** What a recovered hearing resumes from. */
interface Restore {
  readonly program: BroadcastProgram;
  readonly delay?: DelayLineState;
  readonly firstRun: number;
}

/** What the ingest side knows about a courtroom's encoder. */
export interface EncoderHealth {
  readonly connected: boolean;
  readonly kbps: number | null;
  readonly fps: number | null;
  readonly width: number | null;
  readonly height: number | null;
}

/** A live hearing's status after a command, and whether the state store has the change yet. */
export type CommandResult = LiveStatus & {
  readonly persisted: boolean;
  /** On the audit record (at least in the local spool). Only a failing local disk makes it false. */
  readonly recorded: boolean;
};

/** Who gives a command and why; recorded in the audit trail. */
export interface CommandContext {
  readonly actor: AuditActor;
  readonly reason?: string | null;
}

const SYSTEM: AuditActor = { kind: 'system' };

/** What the broadcast service needs, assembled by the composition root. */
export interface BroadcastServiceOptions {
  readonly registry: Registry;
  readonly state: StateStore;
  readonly audit: AuditTrail;
  readonly publicStore: ObjectStore;
  readonly slates: SlateLibrary;
  readonly ingest: Ingest;
  readonly ladder: readonly RungOptions[];
  readonly segmentSeconds: number;
  readonly fps: number;
  readonly ffmpegPath: string;
  /** Private directories; never under the public store's root. */
  readonly pendingRoot: string;
  readonly masterRoot: string;
  /** Local, fsynced copies of each live hearing's program, for recovery when the store missed a change. */
  readonly journalRoot: string;
  readonly publicWindow: number;
  /** Interface the per-courtroom SRT listeners bind. */
  readonly srtBindHost: string;
  /** How long an encoder may be gone before it is reported as an outage. */
  readonly encoderGraceMs: number;
  /** Live black-box mask slots per transcoder (zmq); 0 re-renders every masked segment. */
  readonly liveMaskSlots?: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Events of the broadcast service: what consoles need to refresh. */
export interface BroadcastServiceEvents {
  /** Something a console shows about the hearing changed. */
  changed: (hearingId: string) => void;
}

/**
 * The later of the store's program and the local journal's: a cut given while the store was down
 * reached only the journal, and recovery must not forget it.
 */
export function newerProgram(a: BroadcastProgram | null, b: BroadcastProgram | null): BroadcastProgram | null {
  if (!a || !b) return a ?? b;
  return b.lastActionAt >= a.lastActionAt ? b : a;
}

/** The public-store prefix of a hearing. */
export const publicPrefix = (hearingId: string): string => `hearings/${hearingId}`;

/** Estimated bandwidth and codec strings of each rung, for the master playlist. */
export function variantsOf(ladder: readonly RungOptions[]): VariantInfo[] {
  return ladder.map((r) => {
    const kbps = (r.videoKbps ?? 0) + r.audioKbps;
    const bandwidth = Math.round(kbps * 1000 * 1.1);
    if (r.height === undefined) return { rung: r.name, bandwidth, codecs: 'mp4a.40.2' };
    const width = Math.round((r.height * 16) / 9 / 2) * 2;
    return { rung: r.name, bandwidth, width, height: r.height, codecs: 'avc1.4d401f,mp4a.40.2' };
  });
}

/**
 * The service layer both HTTP and the console channel call: it opens a hearing's live session,
 * routes encoder events to it, and applies clerks' commands.
 */
export class BroadcastService extends TypedEmitter<BroadcastServiceEvents> {
  private readonly sessions = new Map<string, LiveSession>();
  private readonly masterRate = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: BroadcastServiceOptions) {
    super((err, event) => o.logger.error({ err, event }, 'broadcast service listener failed'));
    this.now = o.now ?? Date.now;
    o.ingest.on('publish', ({ courtroomId }) => this.sessionOfCourtroom(courtroomId)?.encoderConnected());
    o.ingest.on('unpublish', ({ courtroomId }) => void this.sessionOfCourtroom(courtroomId)?.encoderLost());
  }

  private sessionOfCourtroom(courtroomId: string): LiveSession | undefined {
    return [...this.sessions.values()].find((s) => s.hearing.courtroomId === courtroomId);
  }

  /** Ids of the hearings live on this node. */
  liveHearingIds(): string[] {
    return [...this.sessions.keys()];
  }

  /** Every live session on this node. */
  liveSessions(): LiveSession[] {
    return [...this.sessions.values()];
  }

  /** The live session of a hearing, if it is open. */
  session(hearingId: string): LiveSession | undefined {
    return this.sessions.get(hearingId);
  }

  /**
   * Opens a hearing: recording begins as soon as the encoder is there, and the public playlist
   * shows the "starting" slate until a clerk starts the broadcast. Opening twice is harmless.
   */
  async open(hearingId: string, ctx: CommandContext = { actor: SYSTEM }): Promise<LiveSession> {
    const existing = this.sessions.get(hearingId);
    if (existing) return existing;
    const hearing = await this.o.registry.hearing(hearingId);
    if (hearing.status === 'ended') throw new CourtcastError('INVALID_TRANSITION', 'the hearing has ended');
    if (this.sessionOfCourtroom(hearing.courtroomId)) {
      throw new CourtcastError('CONFLICT', 'another hearing is live in this courtroom');
    }
    const room = await this.o.registry.courtroom(hearing.courtroomId);
    await this.mustRecord(hearingId, 'opened');
    const session = this.build(hearing, room);
    this.sessions.set(hearingId, session);
    session.on('finished', () => {
      this.sessions.delete(hearingId);
      void this.o.registry.setHearingStatus(hearingId, 'ended');
    });
    await this.o.registry.setHearingStatus(hearingId, 'live');
    this.observe(session);
    await session.start();
    await this.record(hearingId, { actor: ctx.actor, action: 'open', reason: ctx.reason ?? null, effectiveAt: this.now(), params: { delaySeconds: hearing.delaySeconds } });
    this.emit('changed', hearingId);
    if (this.o.ingest.isPublishing(room.id)) session.encoderConnected();
    return session;
  }

  private build(hearing: Hearing, room: Courtroom, restore?: Restore): LiveSession {
    const log = this.o.logger;
    const pipeline = new PipelineSession({
      hearingId: hearing.id,
      ffmpegPath: this.o.ffmpegPath,
      logger: log,
      ladder: this.o.ladder,
      segmentSeconds: this.o.segmentSeconds,
      fps: this.o.fps,
      // Every run pulls the courtroom from the RTMP ingest, whose clock dates its frames; an SRT
      // courtroom's encoder reaches it through a stream-copy relay. The key is read at each run,
      // so a rotated key applies to the next connection.
      input: () => rtmpPullInput(this.o.ingest.pullUrl(room.id), 5000),
      clock: () => this.o.ingest.clockOf(room.id),
      ...(room.ingest === 'srt'
        ? {
            gateway: (progressFile: string) => {
              const key = this.o.registry.currentKey(room.id) ?? room.streamKey;
              const listen = srtListenInput({ host: this.o.srtBindHost, port: room.srtPort ?? 0, passphrase: key });
              return srtGatewaySpec({ listen, publishUrl: this.o.ingest.publishUrl(key), progressFile });
            },
          }
        : {}),
      // Stream keys and pull tokens never reach the logs.
      secrets: () => [this.o.registry.currentKey(room.id) ?? room.streamKey, room.streamKey, ...this.o.ingest.secrets],
      pendingDir: path.join(this.o.pendingRoot, hearing.id),
      masterDir: path.join(this.o.masterRoot, hearing.id),
      policy: backoffPolicy({ baseMs: 250, maxMs: 5000, healthyMs: 10_000 }),
      firstRun: restore?.firstRun ?? 1,
      liveMaskSlots: this.o.liveMaskSlots ?? 0,
      now: this.now,
    });
    let program: BroadcastProgram = restore?.program ?? emptyProgram(this.now());
    const delay: DelayLine = new DelayLine({
      hearingId: hearing.id,
      delayMs: hearing.delaySeconds * 1000,
      segmentSeconds: this.o.segmentSeconds,
      fps: this.o.fps,
      rungs: this.o.ladder.map((r) => r.name),
      variants: variantsOf(this.o.ladder),
      window: this.o.publicWindow,
      publicStore: this.o.publicStore,
      publicPrefix: publicPrefix(hearing.id),
      slates: this.o.slates,
      program: () => program,
      // A hearing that is not public never airs: its public playlist only ever carries slates.
      broadcast: hearing.isPublic,
      persist: (s) => this.o.state.put('releases', hearing.id, s),
      logger: log,
      now: this.now,
      liveProof: (seg, masks): boolean => session.liveProof(seg, masks),
      transcoderBacklogMs: () => session.transcoderBacklogMs,
      renderer: new FfmpegMaskRenderer({
        ffmpegPath: this.o.ffmpegPath,
        ladder: this.o.ladder,
        fps: this.o.fps,
        segmentSeconds: this.o.segmentSeconds,
        workDir: path.join(this.o.pendingRoot, hearing.id, 'masked'),
        logger: log,
      }),
      ...(restore?.delay ? { initial: restore.delay } : {}),
    });
    const session: LiveSession = new LiveSession(hearing, pipeline, delay, program, {
      persistProgram: (p) => this.o.state.put('programs', hearing.id, p),
      journalProgram: (p) => writeFileDurably(this.programJournal(hearing.id), JSON.stringify(p)),
      logger: log,
      now: this.now,
      segmentSeconds: this.o.segmentSeconds,
      graceMs: this.o.encoderGraceMs,
    });
    session.on('program', (p) => (program = p));
    return session;
  }

  /** Records automatic events of a live session in the audit trail. */
  private observe(session: LiveSession): void {
    const id = session.hearing.id;
    let lastOutcome: ReleaseRecord['outcome'] | null = null;
    session.on('encoder', (state) => {
      void this.record(id, { actor: SYSTEM, action: `encoder-${state}`, effectiveAt: this.now() });
      this.emit('changed', id);
    });
    session.on('master', (m) => {
      if (m.durationSec > 0) this.masterRate.set(id, Math.round((m.size * 8) / m.durationSec / 1000));
    });
    session.on('ffmpeg', (e) => {
      const action = e.restarting ? 'ffmpeg-restarting' : 'ffmpeg-stopped';
      void this.record(id, { actor: SYSTEM, action, params: { run: e.run, code: e.code, signal: e.signal }, effectiveAt: this.now() });
    });
    // Slates are recorded when what airs changes, not for every segment.
    session.on('released', (r) => {
      if (r.outcome === lastOutcome) return;
      lastOutcome = r.outcome;
      this.emit('changed', id);
      const action = r.outcome === 'aired' ? 'picture-aired' : 'slate-aired';
      void this.record(id, { actor: SYSTEM, action, params: { slate: r.outcome === 'aired' ? null : r.outcome, why: r.reason, seq: r.seq }, effectiveAt: r.captureStart });
    });
    session.on('finished', () => {
      void this.record(id, { actor: SYSTEM, action: 'playlist-ended', effectiveAt: this.now() });
      this.emit('changed', id);
    });
  }

  /** Puts an action on the record; false only when not even the local spool took it. */
  private async record(hearingId: string, input: Parameters<AuditTrail['append']>[1]): Promise<boolean> {
    try {
      await this.o.audit.append(hearingId, input);
      return true;
    } catch (err) {
      this.o.logger.error({ hearingId, err, action: input.action }, 'could not write the audit trail');
      return false;
    }
  }

  /**
   * Commands that put more on air are refused unless the audit trail can record them; commands
   * that take something off the air act first and are recorded after, whatever happens.
   */
  private async mustRecord(hearingId: string, what: string): Promise<void> {
    if (await this.o.audit.ready(hearingId)) return;
    throw new CourtcastError('STORE_UNAVAILABLE', `the audit trail cannot record it now, so the hearing was not ${what}`);
  }

  private programJournal(hearingId: string): string {
    return path.join(this.o.journalRoot, 'programs', `${hearingId}.json`);
  }

  /**
   * Brings back every hearing that was live when the server stopped, from the state store: the
   * program and the public timeline continue where they were. It fails closed: segments that
   * were still pending when the server died are discarded (the public gets the standby slate for
   * them), because a command given just before the crash may not have been persisted, and an
   * unpersisted cut must not let its window air. The master on disk is kept and sealed.
   */
  async recover(): Promise<string[]> {
    const recovered: string[] = [];
    for (const hearing of await this.o.registry.listHearings()) {
      if (hearing.status !== 'live' || this.sessions.has(hearing.id)) continue;
      try {
        await this.recoverOne(hearing);
        recovered.push(hearing.id);
      } catch (err) {
        this.o.logger.error({ hearingId: hearing.id, err }, 'could not recover a live hearing');
      }
    }
    return recovered;
  }

  private async recoverOne(hearing: Hearing): Promise<void> {
    const pendingDir = path.join(this.o.pendingRoot, hearing.id);
    const masterDir = path.join(this.o.masterRoot, hearing.id);
    await reapOrphans([pendingDir, masterDir], this.o.logger);
    await sealUnsealed(masterDir, this.o.logger);
    const firstRun = await nextRunNumber(pendingDir, masterDir);
    await rm(pendingDir, { recursive: true, force: true });
    const room = await this.o.registry.courtroom(hearing.courtroomId);
    const program = newerProgram(await this.o.state.get<BroadcastProgram>('programs', hearing.id).catch(() => null), await readJsonFile<BroadcastProgram>(this.programJournal(hearing.id))) ?? emptyProgram(this.now());
    const delay = (await this.o.state.get<DelayLineState>('releases', hearing.id)) ?? undefined;
    const session = this.build(hearing, room, { program, firstRun, ...(delay ? { delay } : {}) });
    this.sessions.set(hearing.id, session);
    session.on('finished', () => {
      this.sessions.delete(hearing.id);
      void this.o.registry.setHearingStatus(hearing.id, 'ended');
    });
    this.observe(session);
    await session.start();
    await this.record(hearing.id, { actor: SYSTEM, action: 'recovered-after-restart', params: { phase: program.phase, firstRun }, effectiveAt: this.now() });
    if (this.o.ingest.isPublishing(room.id)) session.encoderConnected();
    this.o.logger.warn({ hearingId: hearing.id, phase: program.phase }, 'recovered a live hearing after a restart');
  }

  /**
   * Applies a clerk's command and records it; `start` opens the hearing first if needed. The
   * audit entry is written (at least to the local spool) before the answer, so an acknowledged
   * command is on the record; `start` and `resume` are refused when it could not be.
   */
  async command(hearingId: string, cmd: BroadcastCommand | 'open', ctx: CommandContext = { actor: SYSTEM }): Promise<CommandResult> {
    if (reasonRequired(cmd) && !ctx.reason?.trim()) throw new CourtcastError('VALIDATION_FAILED', `a reason is required to ${cmd}`);
    if (cmd === 'open') return { ...(await this.open(hearingId, ctx)).status(), persisted: true, recorded: true };
    const session = cmd === 'start' ? await this.open(hearingId, ctx) : this.sessions.get(hearingId);
    if (!session) {
      await this.o.registry.hearing(hearingId); // 404 for an unknown hearing
      throw new CourtcastError('INVALID_TRANSITION', `cannot ${cmd}: the hearing is not live`);
    }
    if (cmd === 'start' || cmd === 'resume') await this.mustRecord(hearingId, cmd === 'start' ? 'started' : 'resumed');
    const releasedUntil = session.releasedUntil;
    const { program, persisted } = await session.command(cmd);
    // A cut takes effect from the last released instant; everything else from the command's time.
    const effectiveAt = cmd === 'cut' ? Math.min(releasedUntil, program.lastActionAt) : program.lastActionAt;
    const recorded = await this.record(hearingId, { actor: ctx.actor, action: cmd, reason: ctx.reason ?? null, effectiveAt, params: { phase: program.phase } });
    this.emit('changed', hearingId);
    return { ...session.status(), persisted, recorded };
  }

  /**
   * Adds a mask to a live hearing. `start` defaults to now; a start in the past makes it
   * retroactive. The answer says which part, if any, was already public and so could not be
   * masked: everything not yet released is.
   */
  async addMask(hearingId: string, input: NewMask, ctx: CommandContext): Promise<{ mask: Mask; alreadyPublic: Span | null; status: CommandResult }> {
    const session = this.sessions.get(hearingId);
    if (!session) {
      await this.o.registry.hearing(hearingId);
      throw new CourtcastError('INVALID_TRANSITION', 'masks apply to a live hearing');
    }
    const now = this.now();
    const mask: Mask = {
      id: `mk_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
      kind: input.kind,
      ...(input.region ? { region: input.region } : {}),
      ...(input.pitch !== undefined ? { pitch: input.pitch } : {}),
      start: input.start ?? now,
      end: input.end ?? null,
      ...(input.end != null ? { exactEnd: true } : {}),
    };
    const problem = maskProblem(mask);
    if (problem) throw new CourtcastError('VALIDATION_FAILED', `the mask is not valid: ${problem}`);
    if (mask.start > now) throw new CourtcastError('VALIDATION_FAILED', 'a mask cannot start in the future');
    const released = session.releasedUntil;
    const alreadyPublic = mask.start < released ? { start: mask.start, end: Math.min(released, mask.end ?? released) } : null;
    const { persisted } = await session.maskAction({ type: 'mask', at: now, mask });
    const recorded = await this.record(hearingId, {
      actor: ctx.actor,
      action: 'mask',
      reason: ctx.reason ?? null,
      effectiveAt: mask.start,
      params: { mask: { ...mask }, alreadyPublic },
    });
    this.emit('changed', hearingId);
    return { mask, alreadyPublic, status: { ...session.status(), persisted, recorded } };
  }

  /**
   * A clerk's mask request as both entry points receive it: resolves a preset, reads the times,
   * and answers with the already-public part as ISO times.
   */
  async requestMask(
    hearingId: string,
    req: MaskRequest,
    actor: AuditActor,
  ): Promise<{ mask: Mask; alreadyPublic: { start: string; end: string } | null; status: CommandResult }> {
    const region = req.preset ? await this.o.registry.preset(hearingId, req.preset) : req.region;
    const r = await this.addMask(
      hearingId,
      {
        kind: req.kind,
        ...(region ? { region } : {}),
        ...(req.pitch !== undefined ? { pitch: req.pitch } : {}),
        ...(req.start ? { start: Date.parse(req.start) } : {}),
        ...(req.end !== undefined ? { end: req.end === null ? null : Date.parse(req.end) } : {}),
      },
      { actor, reason: req.reason ?? null },
    );
    const iso = (t: number) => new Date(t).toISOString();
    return { ...r, alreadyPublic: r.alreadyPublic ? { start: iso(r.alreadyPublic.start), end: iso(r.alreadyPublic.end) } : null };
  }

  /** Lifts an open mask from now on. */
  async liftMask(hearingId: string, maskId: string, ctx: CommandContext): Promise<CommandResult> {
    const session = this.sessions.get(hearingId);
    if (!session) throw new CourtcastError('INVALID_TRANSITION', 'masks apply to a live hearing');
    const existing = (session.program.masks ?? []).find((m) => m.id === maskId);
    if (!existing) throw new CourtcastError('NOT_FOUND', `no mask ${maskId}`);
    if (existing.end !== null) throw new CourtcastError('INVALID_TRANSITION', 'that mask has already ended');
    await this.mustRecord(hearingId, 'unmasked');
    const now = this.now();
    const { persisted } = await session.maskAction({ type: 'lift', at: now, maskId });
    const recorded = await this.record(hearingId, { actor: ctx.actor, action: 'lift-mask', reason: ctx.reason ?? null, effectiveAt: now, params: { maskId } });
    this.emit('changed', hearingId);
    return { ...session.status(), persisted, recorded };
  }

  /** What is known about a live hearing's encoder. */
  encoderHealth(hearingId: string): EncoderHealth | null {
    const session = this.sessions.get(hearingId);
    if (!session) return null;
    const stats = this.o.ingest.stats(session.hearing.courtroomId);
    return {
      connected: session.status().encoder === 'connected',
      kbps: this.masterRate.get(hearingId) ?? null,
      fps: stats?.fps ?? null,
      width: stats?.width ?? null,
      height: stats?.height ?? null,
    };
  }

  /** The newest master playlist of a live hearing (the clerk's undelayed preview), if any. */
  previewDir(hearingId: string): string | null {
    return this.sessions.has(hearingId) ? path.join(this.o.masterRoot, hearingId) : null;
  }

  /** Disconnects a courtroom's encoder, after its key was rotated. */
  kickEncoder(courtroomId: string): void {
    this.o.ingest.kick(courtroomId);
  }

  /** Stops every live session (shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
    this.sessions.clear();
  }
}
