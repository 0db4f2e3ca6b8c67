import type { AuditActor } from '../../audit/trail.ts';
import { sourceStreamId, type Courtroom, type Hearing } from '../../domain/courts.ts';
import { CourtcastError } from '../../domain/errors.ts';
import type { ProgramPhase } from '../../domain/program.ts';
import { programOnArrival, type LastEntry } from '../../domain/takeover.ts';
import type { Principal } from '../../domain/users.ts';
import type { CommandContext, LocalHandle } from './local-handle.ts';
import type { BroadcastServiceOptions } from './broadcasts.ts';
import { buildLiveHearing, firstRunOf } from './hearing-factory.ts';
import type { CommandGate } from './command-gate.ts';
import type { LiveHearing } from './live-hearing.ts';
import type { Sessions } from './sessions.ts';
import { restoreOf, tidyAfterCrash } from './restore.ts';

const SYSTEM: AuditActor = { kind: 'system' };

/** What arrivals and handovers need of the broadcast service. */
export interface SessionHost {
  readonly o: BroadcastServiceOptions;
  readonly now: () => number;
  /** The hearings live on this node. */
  readonly sessions: Sessions;
  /** The gate every command passes, and the audit record it keeps. */
  readonly gate: CommandGate;
  /** Subscribes a new session's observers (audit, metrics, the recorder). */
  observe(session: LiveHearing): void;
  withdraw(hearingId: string, reason: string, by: Principal | null): Promise<void>;
  changed(hearingId: string): void;
  /** The handle of a hearing live here. */
  handle(hearingId: string): Promise<LocalHandle>;
}

/**
 * Live hearings arriving on this node and leaving it: opened, brought back after a restart,
 * taken over from a node that died, or handed over to the node the encoder moved to. Each arrival
 * fails closed (domain/takeover.ts decides the program a hearing arrives with after a restart or
 * a takeover; an opened one shows the "starting" slate with its standing masks on).
 */
export class Arrivals {
  constructor(private readonly h: SessionHost) {}

  /**
   * Opens a hearing: recording begins as soon as the encoder is there, and the public playlist
   * shows the "starting" slate until a clerk starts the broadcast. Opening twice is harmless.
   */
  async open(hearingId: string, ctx: CommandContext): Promise<LiveHearing> {
    const existing = this.h.sessions.get(hearingId);
    if (existing) return existing;
    const hearing = await this.h.o.registry.hearing(hearingId);
    if (hearing.status === 'ended') throw new CourtcastError('INVALID_TRANSITION', 'the hearing has ended');
    if (this.h.sessions.ofCourtroom(hearing.courtroomId)) {
      throw new CourtcastError('CONFLICT', 'another hearing is live in this courtroom');
    }
    const room = await this.h.o.registry.courtroom(hearing.courtroomId);
    await this.h.gate.admit(hearingId, 'open', hearing);
    const court = await this.h.o.registry.court(hearing.courtId);
    // Before the lease: rendering a language's slates the first time takes seconds.
    const slates = await this.h.o.slates.of(court.language ?? 'en');
    const lease = await this.h.o.cluster.hold(hearingId).catch((err: unknown) => {
      throw new CourtcastError('STORE_UNAVAILABLE', 'which node runs the hearing cannot be settled now, so it was not opened', undefined, { cause: err });
    });
    if (!lease) throw new CourtcastError('CONFLICT', 'another node runs this hearing');
    if (this.h.sessions.has(hearingId)) return this.h.sessions.get(hearingId) as LiveHearing;
    const session = buildLiveHearing(this.h.o, hearing, room, court, slates, this.h.sessions.tenure(hearingId, lease.token));
    this.h.sessions.adopt(hearingId, session);
    await this.h.o.registry.setHearingStatus(hearingId, 'live');
    this.h.observe(session);
    await session.start();
    await this.h.gate.record(hearingId, { actor: ctx.actor, action: 'open', reason: ctx.reason ?? null, effectiveAt: this.h.now(), params: { delaySeconds: hearing.delaySeconds } });
    await this.applyStandingMasks(hearing, session);
    this.h.changed(hearingId);
    if (this.h.o.ingest.isPublishing(room.id)) session.encoderConnected();
    this.connectSources(session, room);
    return session;
  }

  /** Records the courtroom's further cameras that already publish (the others as they arrive). */
  private connectSources(session: LiveHearing, room: Courtroom): void {
    for (const x of room.sources ?? []) if (this.h.o.ingest.isPublishing(sourceStreamId(room.id, x.name))) session.sourceConnected(x.name);
  }

  /**
   * Puts the hearing's standing masks on from the moment it opens, before anything can air. One
   * drawn on a camera covers that camera's tile of the program wherever a switch moves it, and
   * waits, parked, while the layout does not show it; one naming a camera the program cannot show
   * has nothing to cover and is left off (and said so in the log).
   */
  private async applyStandingMasks(hearing: Hearing, session: LiveHearing): Promise<void> {
    for (const s of hearing.standingMasks ?? []) {
      const { name, source, ...shape } = s;
      const drawnOn = source !== undefined && shape.region ? { source, region: shape.region } : undefined;
      if (drawnOn) {
        try {
          session.regionOfCamera(drawnOn.source, drawnOn.region);
        } catch (err) {
          if (!(err instanceof CourtcastError) || err.code !== 'INVALID_TRANSITION') throw err;
          this.h.o.logger.info({ hearingId: hearing.id, mask: name, source }, 'standing mask left off: the program cannot show its camera');
          continue;
        }
      }
      await (await this.h.handle(hearing.id)).addMask(shape, { actor: SYSTEM, reason: `standing mask "${name}" required by the hearing's privacy grounds` }, name, drawnOn);
    }
  }

  /** Gives a hearing up to the node its encoder now publishes to. */
  async handover(hearingId: string, to: string): Promise<void> {
    const session = this.h.sessions.get(hearingId);
    if (!session) return;
    const status = session.status();
    if (status.encoder === 'connected') throw new CourtcastError('CONFLICT', 'the encoder still publishes to the node running the hearing');
    // The next node starts from the stored program: a change not stored yet must not be lost.
    if (!status.programSaved) throw new CourtcastError('STORE_UNAVAILABLE', 'the program is not saved yet, so the hearing stays where it is');
    this.h.sessions.forget(hearingId);
    await session.close();
    await this.h.gate.record(hearingId, { actor: SYSTEM, action: 'handed-over', params: { to }, effectiveAt: this.h.now() });
    await this.h.o.cluster.letGo(hearingId);
    this.h.changed(hearingId);
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
    for (const hearing of await this.h.o.registry.listHearings()) {
      if (hearing.status !== 'live' || this.h.sessions.has(hearing.id)) continue;
      try {
        if (await this.recoverOne(hearing, 'recovered-after-restart')) recovered.push(hearing.id);
      } catch (err) {
        this.h.o.logger.error({ hearingId: hearing.id, err }, 'could not recover a live hearing');
      }
    }
    return recovered;
  }

  /**
   * Resumes a live hearing on this node if it can take its lease (it ran here before a restart,
   * or its node died); false when another node runs it, after clearing what a crash left here.
   */
  async recoverOne(hearing: Hearing, action: 'recovered-after-restart' | 'taken-over'): Promise<boolean> {
    const lease = await this.h.o.cluster.hold(hearing.id);
    if (!lease) {
      await tidyAfterCrash(this.h.o, hearing.id);
      return false;
    }
    let session: LiveHearing;
    let restore: Awaited<ReturnType<typeof restoreOf>>;
    let found: ProgramPhase;
    let room: Courtroom;
    try {
      restore = await restoreOf({ ...this.h.o, now: this.h.now }, hearing);
      found = restore.program.phase;
      const last = action === 'taken-over' ? await this.lastEntry(hearing.id) : undefined;
      restore = { ...restore, program: programOnArrival(restore.program, action, last, this.h.o.cluster.nodeId, restore.delay?.releasedUntil).program };
      room = await this.h.o.registry.courtroom(hearing.courtroomId);
      const court = await this.h.o.registry.court(hearing.courtId);
      session = buildLiveHearing(this.h.o, hearing, room, court, await this.h.o.slates.of(court.language ?? 'en'), this.h.sessions.tenure(hearing.id, lease.token), restore);
    } catch (err) {
      await this.h.o.cluster.letGo(hearing.id);
      throw err;
    }
    this.h.sessions.adopt(hearing.id, session);
    this.h.observe(session);
    // Entered before the pipeline starts, so the trail reads taken-over, then the hold, and only
    // then what the new run airs (a slate released first would sit between them).
    await this.h.gate.record(hearing.id, { actor: SYSTEM, action, params: { phase: found, firstRun: firstRunOf(restore.firstRun, lease.token), node: this.h.o.cluster.nodeId }, effectiveAt: this.h.now() });
    if (restore.program.phase !== found) {
      await this.h.gate.record(hearing.id, { actor: SYSTEM, action: 'pause', reason: 'taken over from a node that stopped answering: what it had not stored is unknown, so the broadcast waits for a clerk to resume it', params: { phase: restore.program.phase }, effectiveAt: restore.program.lastActionAt });
    }
    await session.start();
    // An approval revoked while the server was down (or on another node) still takes it off air.
    const c = await this.h.o.governance.clearance(hearing, 'live').catch(() => ({ cleared: false, blockers: [] }));
    if (!c.cleared) await this.h.withdraw(hearing.id, 'no approval in force after the restart', null);
    if (this.h.o.ingest.isPublishing(hearing.courtroomId)) session.encoderConnected();
    this.connectSources(session, room);
    this.h.o.logger.warn({ hearingId: hearing.id, phase: restore.program.phase, action }, 'resumed a live hearing on this node');
    return true;
  }

  /** The newest entry on a hearing's trail; undefined when there is none or it cannot be read. */
  private async lastEntry(hearingId: string): Promise<LastEntry | undefined> {
    const [last] = await this.h.o.audit.tail(hearingId, 1).catch(() => []);
    return last;
  }
}
