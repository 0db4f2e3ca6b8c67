import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AuditActor, AuditTrail } from '../audit/trail.ts';
import { policyOf, reasonRequired, type BroadcastCommand, type CommandName } from '../domain/commands.ts';
import type { Hearing } from '../domain/courts.ts';
import { CourtcastError } from '../domain/errors.ts';
import { TypedEmitter } from '../domain/events.ts';
import type { MaskRequest } from '../domain/mask-request.ts';
import { mintMask, type Mask, type NewMask } from '../domain/masks.ts';
import type { ProgramPhase, Span } from '../domain/program.ts';
import { programOnArrival, type LastEntry } from '../domain/takeover.ts';
import { buildLiveHearing, firstRunOf, type HearingFactoryOptions } from './hearing-factory.ts';
import type { LiveHearing, LiveStatus } from './live-hearing.ts';
import { restoreOf } from './restore.ts';
import { auditLiveHearing } from './hearing-audit.ts';
import { MasterRateMeter } from './master-rate.ts';
import type { Governance } from './governance.ts';
import { CommandGate } from './command-gate.ts';
import { mayControl, type Principal } from '../domain/users.ts';
import { userActor } from '../audit/trail.ts';
import type { Cluster, RemoteCall } from './cluster.ts';
import type { Tenure } from './hearing-factory.ts';
import { tidyAfterCrash } from './restore.ts';
import { Placement } from './placement.ts';
import { readPreview, type PreviewPiece } from './preview.ts';
import { dispatch, type PreviewTarget, type RemoteHandlers } from './remote-calls.ts';


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

/** The answer to a mask request: the mask, the part that was already public, the status after. */
export interface MaskAnswer {
  readonly mask: Mask;
  readonly alreadyPublic: { start: string; end: string } | null;
  readonly status: CommandResult;
}

/** Who gives a command and why; recorded in the audit trail. */
export interface CommandContext {
  readonly actor: AuditActor;
  readonly reason?: string | null;
}

const SYSTEM: AuditActor = { kind: 'system' };

/** What the broadcast service needs, assembled by the composition root. */
export interface BroadcastServiceOptions extends HearingFactoryOptions {
  readonly audit: AuditTrail;
  /** Approvals: nothing opens, starts or resumes without one in force. */
  readonly governance: Governance;
  /** Which node runs each live hearing; commands for a hearing run elsewhere are carried there. */
  readonly cluster: Cluster;
}

/** What a console shows of a live hearing, wherever it runs. */
export interface LiveView {
  /** The node's own copy of the hearing, so a console never waits on the store for it. */
  readonly hearing: Hearing;
  readonly status: LiveStatus;
  readonly masks: readonly Mask[];
  readonly encoderHealth: EncoderHealth | null;
}


/** Events of the broadcast service: what consoles need to refresh. */
export interface BroadcastServiceEvents {
  /** Something a console shows about the hearing changed. */
  changed: (hearingId: string) => void;
  /** A live hearing was opened (or recovered) on this node: the recorder follows it. */
  opened: (session: LiveHearing) => void;
}

/**
 * The service layer both HTTP and the console channel call: it opens a hearing's live hearing,
 * routes encoder events to it, and applies clerks' commands.
 */
export class BroadcastService extends TypedEmitter<BroadcastServiceEvents> {
  private readonly sessions = new Map<string, LiveHearing>();
  private readonly masterRate = new MasterRateMeter();
  private readonly now: () => number;
  private readonly placement: Placement;
  private readonly gate: CommandGate;

  constructor(private readonly o: BroadcastServiceOptions) {
    super((err, event) => o.logger.error({ err, event }, 'broadcast service listener failed'));
    this.now = o.now ?? Date.now;
    this.gate = new CommandGate(o);
    this.placement = new Placement({ ...o, now: this.now }, { runsHere: (id) => this.sessions.has(id), takeOver: (h) => this.recoverOne(h, 'taken-over') });
    o.ingest.on('publish', ({ courtroomId }) => {
      const here = this.liveOfCourtroom(courtroomId);
      here?.encoderConnected();
      this.placement.encoderArrived(courtroomId, here !== undefined);
    });
    o.ingest.on('unpublish', ({ courtroomId }) => {
      this.placement.encoderLeft(courtroomId);
      void this.liveOfCourtroom(courtroomId)?.encoderLost();
    });
    o.governance.on('withdraw', (hearingId, reason, by) => {
      this.withdraw(hearingId, reason, by).catch((err: unknown) => o.logger.error({ err, hearingId }, 'could not withdraw a broadcast'));
    });
    o.cluster.on('lost', (hearingId) => void this.abandon(hearingId));
  }

  /**
   * Starts this node's part in the cluster: answering calls for the hearings it runs, and saying
   * where its encoders are.
   */
  async joinCluster(): Promise<void> {
    await this.o.cluster.start((call) => this.serve(call));
    this.placement.start();
  }

  /** Starts taking over hearings whose node died; after `recover`, so the two never race. */
  watchForTakeovers(): void {
    this.placement.watch();
  }

  /** Gives a hearing up to the node its encoder now publishes to. */
  private async handoverHere(hearingId: string, to: string): Promise<void> {
    const session = this.sessions.get(hearingId);
    if (!session) return;
    const status = session.status();
    if (status.encoder === 'connected') throw new CourtcastError('CONFLICT', 'the encoder still publishes to the node running the hearing');
    // The next node starts from the stored program: a change not stored yet must not be lost.
    if (!status.programSaved) throw new CourtcastError('STORE_UNAVAILABLE', 'the program is not saved yet, so the hearing stays where it is');
    this.sessions.delete(hearingId);
    await session.close();
    await this.record(hearingId, { actor: SYSTEM, action: 'handed-over', params: { to }, effectiveAt: this.now() });
    await this.o.cluster.letGo(hearingId);
    this.emit('changed', hearingId);
  }

  /** What this node does for calls other nodes forward for the hearings it runs. */
  private readonly handlers: RemoteHandlers = {
    command: (id, a) => this.commandHere(id, a.cmd, a.ctx),
    mask: (id, a) => this.requestMaskHere(id, a.req, a.actor),
    lift: (id, a) => this.liftMaskHere(id, a.maskId, a.ctx),
    withdraw: (id, a) => this.withdrawHere(id, a.reason, a.by as Principal | null),
    view: (id) => this.viewHere(id),
    handover: (id, a) => this.handoverHere(id, a.to),
    preview: (id, a) => this.previewHere(id, a.target),
  };

  /** Carries out a call another node forwarded for a hearing this node runs, its arguments checked first. */
  async serve(call: RemoteCall): Promise<unknown> {
    return dispatch(this.handlers, call);
  }

  /**
   * Runs `here` if this node runs the hearing, or nobody does; otherwise has the node that does
   * carry it out, and answers as it did. A hearing about to open goes where its encoder is.
   */
  private async routed<T>(hearingId: string, op: string, args: unknown, here: () => Promise<T>, opens = false): Promise<T> {
    if (this.sessions.has(hearingId) || !this.o.cluster.shared) return here();
    let node = (await this.o.cluster.owner(hearingId).catch(() => null))?.nodeId ?? null;
    if (!node && opens) node = await this.placement.openingNode(hearingId);
    if (!node || node === this.o.cluster.nodeId) return here();
    return (await this.o.cluster.call(node, { op, hearingId, args })) as T;
  }

  /** This node's hold on a hearing, as the hearing's writers and delay line use it. */
  private tenure(hearingId: string, token: number): Tenure {
    return {
      token,
      fence: () => this.o.cluster.fence(hearingId) ?? { hearingId, token },
      mayRelease: () => this.o.cluster.fresh(hearingId),
    };
  }

  /** Keeps a session this node runs; when it finishes, the hearing ends and its lease is given up. */
  private adopt(hearingId: string, session: LiveHearing): void {
    this.sessions.set(hearingId, session);
    session.on('finished', () => {
      void this.o.registry.setHearingStatus(hearingId, 'ended').then(
        () => {
          if (this.sessions.get(hearingId) === session) this.sessions.delete(hearingId);
          return this.o.cluster.letGo(hearingId);
        },
        (err: unknown) => {
          // Still live in the store: the lease stays here, so no node takes an ended hearing over.
          this.sessions.delete(hearingId);
          this.o.logger.error({ err, hearingId }, 'could not mark the hearing ended');
        },
      );
    });
  }

  /** Another node took the hearing over: this one stops at once, publishing nothing more. */
  private async abandon(hearingId: string): Promise<void> {
    const session = this.sessions.get(hearingId);
    if (!session) return;
    this.sessions.delete(hearingId);
    await session.close();
    this.emit('changed', hearingId);
  }

  /**
   * Takes a hearing that lost its clearance off the air: everything not yet released is dumped
   * and the public gets the no-broadcast card. It acts on the live hearing before any store.
   */
  async withdraw(hearingId: string, reason: string, by: Principal | null): Promise<void> {
    await this.routed(hearingId, 'withdraw', { reason, by }, () => this.withdrawHere(hearingId, reason, by));
  }

  private async withdrawHere(hearingId: string, reason: string, by: Principal | null): Promise<void> {
    const session = this.sessions.get(hearingId);
    if (!session) return;
    await this.admit(hearingId, 'withdraw');
    const { phase, endedAt } = session.program;
    if (phase === 'ended' && endedAt !== null && session.releasedUntil < endedAt) {
      // Ended, but the window is still airing: the card covers what is left of it.
      await this.addMask(hearingId, { kind: 'card', start: session.releasedUntil, end: endedAt }, { actor: by ? userActor(by) : SYSTEM, reason });
      return;
    }
    if (!['on-air', 'paused', 'cut'].includes(phase)) return;
    const { program, effectiveAt } = await session.command('cut', { withdrawn: true });
    await this.record(hearingId, { actor: by ? userActor(by) : SYSTEM, action: 'withdrawn', reason, effectiveAt, params: { phase: program.phase } });
    this.emit('changed', hearingId);
  }

  private liveOfCourtroom(courtroomId: string): LiveHearing | undefined {
    return [...this.sessions.values()].find((s) => s.hearing.courtroomId === courtroomId);
  }

  /** Ids of the hearings live on this node. */
  liveHearingIds(): string[] {
    return [...this.sessions.keys()];
  }

  /** Every live hearing on this node. */
  liveHearings(): LiveHearing[] {
    return [...this.sessions.values()];
  }

  /** The live hearing, if it is open on this node (for this node's own wiring and tests; edges use `view`). */
  live(hearingId: string): LiveHearing | undefined {
    return this.sessions.get(hearingId);
  }

  /**
   * Opens a hearing: recording begins as soon as the encoder is there, and the public playlist
   * shows the "starting" slate until a clerk starts the broadcast. Opening twice is harmless.
   */
  async open(hearingId: string, ctx: CommandContext = { actor: SYSTEM }): Promise<LiveHearing> {
    const existing = this.sessions.get(hearingId);
    if (existing) return existing;
    const hearing = await this.o.registry.hearing(hearingId);
    if (hearing.status === 'ended') throw new CourtcastError('INVALID_TRANSITION', 'the hearing has ended');
    if (this.liveOfCourtroom(hearing.courtroomId)) {
      throw new CourtcastError('CONFLICT', 'another hearing is live in this courtroom');
    }
    const room = await this.o.registry.courtroom(hearing.courtroomId);
    await this.admit(hearingId, 'open', hearing);
    const court = await this.o.registry.court(hearing.courtId);
    const lease = await this.o.cluster.hold(hearingId).catch((err: unknown) => {
      throw new CourtcastError('STORE_UNAVAILABLE', 'which node runs the hearing cannot be settled now, so it was not opened', undefined, { cause: err });
    });
    if (!lease) throw new CourtcastError('CONFLICT', 'another node runs this hearing');
    if (this.sessions.has(hearingId)) return this.sessions.get(hearingId) as LiveHearing;
    const session = buildLiveHearing(this.o, hearing, room, court, this.tenure(hearingId, lease.token));
    this.adopt(hearingId, session);
    await this.o.registry.setHearingStatus(hearingId, 'live');
    this.observe(session);
    await session.start();
    await this.record(hearingId, { actor: ctx.actor, action: 'open', reason: ctx.reason ?? null, effectiveAt: this.now(), params: { delaySeconds: hearing.delaySeconds } });
    await this.applyStandingMasks(hearing);
    this.emit('changed', hearingId);
    if (this.o.ingest.isPublishing(room.id)) session.encoderConnected();
    return session;
  }

  /** Puts the hearing's standing masks on from the moment it opens, before anything can air. */
  private async applyStandingMasks(hearing: Hearing): Promise<void> {
    for (const s of hearing.standingMasks ?? []) {
      const { name, ...shape } = s;
      await this.addMask(hearing.id, shape, { actor: SYSTEM, reason: `standing mask "${name}" required by the hearing's privacy grounds` }, name);
    }
  }

  /** Subscribes the observers of a live hearing: its audit record and the master's bit rate. */
  private observe(session: LiveHearing): void {
    const id = session.hearing.id;
    auditLiveHearing(session, (h, input) => this.record(h, input), () => this.emit('changed', id), this.now);
    this.masterRate.observe(session);
    this.emit('opened', session);
  }

  /** Puts an action on the record; false only when not even the local spool took it. */
  private record(hearingId: string, input: Parameters<AuditTrail['append']>[1]): Promise<boolean> {
    return this.gate.record(hearingId, input);
  }

  /** The gate a command passes before it acts, as its policy declares (service/command-gate.ts). */
  private admit(hearingId: string, cmd: CommandName, hearing?: Hearing): Promise<void> {
    return this.gate.admit(hearingId, cmd, hearing);
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
        if (await this.recoverOne(hearing, 'recovered-after-restart')) recovered.push(hearing.id);
      } catch (err) {
        this.o.logger.error({ hearingId: hearing.id, err }, 'could not recover a live hearing');
      }
    }
    return recovered;
  }

  /**
   * Resumes a live hearing on this node if it can take its lease (it ran here before a restart,
   * or its node died); false when another node runs it, after clearing what a crash left here.
   */
  private async recoverOne(hearing: Hearing, action: 'recovered-after-restart' | 'taken-over'): Promise<boolean> {
    const lease = await this.o.cluster.hold(hearing.id);
    if (!lease) {
      await tidyAfterCrash(this.o, hearing.id);
      return false;
    }
    let session: LiveHearing;
    let restore: Awaited<ReturnType<typeof restoreOf>>;
    let found: ProgramPhase;
    try {
      restore = await restoreOf({ ...this.o, now: this.now }, hearing);
      found = restore.program.phase;
      const last = action === 'taken-over' ? await this.lastEntry(hearing.id) : undefined;
      restore = { ...restore, program: programOnArrival(restore.program, action, last, this.o.cluster.nodeId, this.now()).program };
      const room = await this.o.registry.courtroom(hearing.courtroomId);
      session = buildLiveHearing(this.o, hearing, room, await this.o.registry.court(hearing.courtId), this.tenure(hearing.id, lease.token), restore);
    } catch (err) {
      await this.o.cluster.letGo(hearing.id);
      throw err;
    }
    this.adopt(hearing.id, session);
    this.observe(session);
    // Entered before the pipeline starts, so the trail reads taken-over, then the hold, and only
    // then what the new run airs (a slate released first would sit between them).
    await this.record(hearing.id, { actor: SYSTEM, action, params: { phase: found, firstRun: firstRunOf(restore.firstRun, lease.token), node: this.o.cluster.nodeId }, effectiveAt: this.now() });
    if (restore.program.phase !== found) {
      await this.record(hearing.id, { actor: SYSTEM, action: 'pause', reason: 'taken over from a node that stopped answering: what it had not stored is unknown, so the broadcast waits for a clerk to resume it', params: { phase: restore.program.phase }, effectiveAt: restore.program.lastActionAt });
    }
    await session.start();
    // An approval revoked while the server was down (or on another node) still takes it off air.
    const c = await this.o.governance.clearance(hearing, 'live').catch(() => ({ cleared: false, blockers: [] }));
    if (!c.cleared) await this.withdraw(hearing.id, 'no approval in force after the restart', null);
    if (this.o.ingest.isPublishing(hearing.courtroomId)) session.encoderConnected();
    this.o.logger.warn({ hearingId: hearing.id, phase: restore.program.phase, action }, 'resumed a live hearing on this node');
    return true;
  }

  /** The newest entry on a hearing's trail; undefined when there is none or it cannot be read. */
  private async lastEntry(hearingId: string): Promise<LastEntry | undefined> {
    const [last] = await this.o.audit.tail(hearingId, 1).catch(() => []);
    return last;
  }

  /**
   * Applies a clerk's command and records it; `start` opens the hearing first if needed. The
   * audit entry is written (at least to the local spool) before the answer, so an acknowledged
   * command is on the record; `start` and `resume` are refused when it could not be.
   */
  async command(hearingId: string, cmd: BroadcastCommand | 'open', ctx: CommandContext = { actor: SYSTEM }): Promise<CommandResult> {
    if (reasonRequired(cmd) && !ctx.reason?.trim()) throw new CourtcastError('VALIDATION_FAILED', `a reason is required to ${cmd}`);
    return this.routed(hearingId, 'command', { cmd, ctx }, () => this.commandHere(hearingId, cmd, ctx), policyOf(cmd).opens);
  }

  private async commandHere(hearingId: string, cmd: BroadcastCommand | 'open', ctx: CommandContext): Promise<CommandResult> {
    if (cmd === 'open') return { ...(await this.open(hearingId, ctx)).status(), persisted: true, recorded: true };
    const session = cmd === 'start' ? await this.open(hearingId, ctx) : this.sessions.get(hearingId);
    if (!session) {
      await this.o.registry.hearing(hearingId); // 404 for an unknown hearing
      throw new CourtcastError('INVALID_TRANSITION', `cannot ${cmd}: the hearing is not live`);
    }
    await this.admit(hearingId, cmd);
    const { program, effectiveAt, persisted } = await session.command(cmd);
    const recorded = await this.record(hearingId, { actor: ctx.actor, action: cmd, reason: ctx.reason ?? null, effectiveAt, params: { phase: program.phase } });
    this.emit('changed', hearingId);
    return { ...session.status(), persisted, recorded };
  }

  /**
   * Adds a mask to a live hearing. `start` defaults to now; a start in the past makes it
   * retroactive. The answer says which part, if any, was already public and so could not be
   * masked: everything not yet released is.
   */
  async addMask(hearingId: string, input: NewMask, ctx: CommandContext, standing?: string): Promise<{ mask: Mask; alreadyPublic: Span | null; status: CommandResult }> {
    const session = this.sessions.get(hearingId);
    if (!session) {
      await this.o.registry.hearing(hearingId);
      throw new CourtcastError('INVALID_TRANSITION', 'masks apply to a live hearing');
    }
    await this.admit(hearingId, 'mask');
    const now = this.now();
    const minted = mintMask(input, now, `mk_${randomUUID().replaceAll('-', '').slice(0, 16)}`);
    if (!minted.ok) throw new CourtcastError('VALIDATION_FAILED', minted.problem === 'starts-in-future' ? 'a mask cannot start in the future' : `the mask is not valid: ${minted.problem}`);
    const mask = standing ? { ...minted.mask, standing } : minted.mask;
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
  async requestMask(hearingId: string, req: MaskRequest, actor: AuditActor): Promise<MaskAnswer> {
    return this.routed(hearingId, 'mask', { req, actor }, () => this.requestMaskHere(hearingId, req, actor));
  }

  private async requestMaskHere(hearingId: string, req: MaskRequest, actor: AuditActor): Promise<MaskAnswer> {
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
    return this.routed(hearingId, 'lift', { maskId, ctx }, () => this.liftMaskHere(hearingId, maskId, ctx));
  }

  private async liftMaskHere(hearingId: string, maskId: string, ctx: CommandContext): Promise<CommandResult> {
    const session = this.sessions.get(hearingId);
    if (!session) throw new CourtcastError('INVALID_TRANSITION', 'masks apply to a live hearing');
    const existing = (session.program.masks ?? []).find((m) => m.id === maskId);
    if (!existing) throw new CourtcastError('NOT_FOUND', `no mask ${maskId}`);
    if (existing.end !== null) throw new CourtcastError('INVALID_TRANSITION', 'that mask has already ended');
    if (existing.standing) throw new CourtcastError('INVALID_TRANSITION', `"${existing.standing}" is a standing mask the hearing requires; it cannot be lifted`);
    await this.admit(hearingId, 'lift');
    const { effectiveAt, persisted } = await session.maskAction({ type: 'lift', at: this.now(), maskId });
    const recorded = await this.record(hearingId, { actor: ctx.actor, action: 'lift-mask', reason: ctx.reason ?? null, effectiveAt, params: { maskId } });
    this.emit('changed', hearingId);
    return { ...session.status(), persisted, recorded };
  }

  /**
   * What consoles and public pages show of a live hearing, from whichever node runs it (this one
   * without asking any store); null when none does or it cannot be asked. Edges use this, never
   * the local session, so they answer the same on every node.
   */
  async view(hearingId: string): Promise<LiveView | null> {
    return this.routed(hearingId, 'view', {}, async () => this.viewHere(hearingId)).catch((err: unknown) => {
      this.o.logger.warn({ err, hearingId }, 'could not ask the node running a hearing for its state');
      return null;
    });
  }

  private viewHere(hearingId: string): LiveView | null {
    const session = this.sessions.get(hearingId);
    if (!session) return null;
    return { hearing: session.hearing, status: session.status(), masks: session.program.masks ?? [], encoderHealth: this.encoderHealth(hearingId) };
  }

  /** What is known about a live hearing's encoder. */
  encoderHealth(hearingId: string): EncoderHealth | null {
    const session = this.sessions.get(hearingId);
    if (!session) return null;
    const stats = this.o.ingest.stats(session.hearing.courtroomId);
    return {
      connected: session.status().encoder === 'connected',
      kbps: this.masterRate.of(hearingId),
      fps: stats?.fps ?? null,
      width: stats?.width ?? null,
      height: stats?.height ?? null,
    };
  }

  /**
   * The hearing if the principal may control its courtroom (FORBIDDEN otherwise). A live
   * hearing's own copy is used, so a safety command never waits on the store to check scope.
   */
  async controllable(hearingId: string, p: Principal): Promise<Hearing> {
    const hearing = this.sessions.get(hearingId)?.hearing ?? (await this.o.registry.hearing(hearingId));
    if (!mayControl(p, hearing.courtroomId)) throw new CourtcastError('FORBIDDEN', 'you do not serve this courtroom');
    return hearing;
  }

  /**
   * The clerk's undelayed preview of a live hearing (the master as ingested), read on the node
   * running it; null when it is not live or has nothing yet.
   */
  async preview(hearingId: string, target: PreviewTarget): Promise<PreviewPiece | null> {
    return this.routed(hearingId, 'preview', { target }, () => this.previewHere(hearingId, target));
  }

  private async previewHere(hearingId: string, target: PreviewTarget): Promise<PreviewPiece | null> {
    return this.sessions.has(hearingId) ? readPreview(path.join(this.o.masterRoot, hearingId), target) : null;
  }

  /** Disconnects a courtroom's encoder, after its key was rotated. */
  kickEncoder(courtroomId: string): void {
    this.o.ingest.kick(courtroomId);
  }

  /** Stops every live hearing (shutdown). */
  async close(): Promise<void> {
    this.placement.close();
    const ids = [...this.sessions.keys()];
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
    this.sessions.clear();
    // Handed back at once, so another node need not wait for the leases to lapse.
    await Promise.all(ids.map((id) => this.o.cluster.letGo(id)));
    await this.o.cluster.close();
  }
}
