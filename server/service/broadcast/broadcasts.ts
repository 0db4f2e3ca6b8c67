import type { AuditActor, AuditTrail } from '../../audit/trail.ts';
import { policyOf, reasonRequired, type BroadcastCommand } from '../../domain/commands.ts';
import { isProgramStream, sourceOfStream, type Hearing } from '../../domain/courts.ts';
import { CourtcastError } from '../../domain/errors.ts';
import { TypedEmitter } from '../../domain/events.ts';
import type { CueRequest } from '../../domain/cue-request.ts';
import type { MaskRequest } from '../../domain/mask-request.ts';
import type { SwitchRequest } from '../../domain/switch-request.ts';
import type { EncoderSource } from '../../ingest/ingest.ts';
import type { HearingFactoryOptions } from './hearing-factory.ts';
import type { LiveHearing } from './live-hearing.ts';
import { auditLiveHearing } from './hearing-audit.ts';
import { MasterRateMeter } from './master-rate.ts';
import type { Governance } from '../court/governance.ts';
import { CommandGate } from './command-gate.ts';
import { mayCaption, mayControl, type Principal } from '../../domain/users.ts';
import type { Cluster, RemoteCall } from '../cluster/cluster.ts';
import { Placement } from '../cluster/placement.ts';
import { Arrivals } from './arrivals.ts';
import { Sessions } from './sessions.ts';
import { LocalHandle, type CommandContext, type CommandResult, type EncoderHealth, type LiveView, type MaskAnswer } from './local-handle.ts';
import type { CueAnswer } from './caption-track.ts';
import type { PreviewPiece } from './preview.ts';
import { dispatch, parseReply, type PreviewTarget, type RemoteArgs, type RemoteHandlers, type RemoteOp, type RemoteResult } from '../cluster/remote-calls.ts';

export type { CommandContext, CommandResult, EncoderHealth, LiveView, MaskAnswer } from './local-handle.ts';

const SYSTEM: AuditActor = { kind: 'system' };

/** What the broadcast service needs, assembled by the composition root. */
export interface BroadcastServiceOptions extends HearingFactoryOptions {
  readonly audit: AuditTrail;
  /** Approvals: nothing opens, starts or resumes without one in force. */
  readonly governance: Governance;
  /** Which node runs each live hearing; commands for a hearing run elsewhere are carried there. */
  readonly cluster: Cluster;
  /** Resolves once the media that reached our sockets has been read: edges that add exposure wait for it. */
  readonly mediaRead?: () => Promise<unknown>;
  /**
   * How a courtroom's encoder reaches the master when it is not kept as sent (a WHIP publisher's
   * sound, a VP8 picture), put on the record as its encoder connects; null when kept as sent.
   */
  readonly encoderSource?: (courtroomId: string) => EncoderSource | null;
}

/** Events of the broadcast service: what consoles need to refresh. */
export interface BroadcastServiceEvents {
  /** Something a console shows about the hearing changed. */
  changed: (hearingId: string) => void;
  /** A live hearing was opened (or recovered) on this node: the recorder follows it. */
  opened: (session: LiveHearing) => void;
  /** A courtroom's encoder was told to leave (its key was rotated): WHIP sessions end too. */
  encoderKicked: (courtroomId: string) => void;
}

/**
 * The service layer both HTTP and the console channel call: it opens a hearing's live hearing,
 * routes encoder events to it, and applies clerks' commands.
 */
export class BroadcastService extends TypedEmitter<BroadcastServiceEvents> {
  private readonly sessions: Sessions;
  private readonly masterRate = new MasterRateMeter();
  private readonly now: () => number;
  private readonly placement: Placement;
  private readonly gate: CommandGate;
  private readonly arrivals: Arrivals;

  constructor(private readonly o: BroadcastServiceOptions) {
    super((err, event) => o.logger.error({ err, event }, 'broadcast service listener failed'));
    this.now = o.now ?? Date.now;
    this.gate = new CommandGate(o);
    this.sessions = new Sessions({ ...o, changed: (id) => this.emit('changed', id) });
    this.arrivals = new Arrivals({
      o,
      now: this.now,
      sessions: this.sessions,
      gate: this.gate,
      observe: (session) => this.observe(session),
      withdraw: (id, reason, by) => this.withdraw(id, reason, by),
      changed: (id) => this.emit('changed', id),
      handle: (id) => this.maskable(id),
    });
    this.placement = new Placement({ ...o, now: this.now }, { runsHere: (id) => this.sessions.has(id), takeOver: (h) => this.arrivals.recoverOne(h, 'taken-over') });
    // A courtroom's further cameras publish streams of their own, which are never its feed.
    o.ingest.on('publish', ({ courtroomId }) => {
      // The program a hearing composes for itself is its own business, not an encoder arriving.
      if (isProgramStream(courtroomId)) return;
      const source = sourceOfStream(courtroomId);
      if (source) return void this.sessions.ofCourtroom(source.courtroomId)?.sourceConnected(source.source);
      const here = this.sessions.ofCourtroom(courtroomId);
      here?.encoderConnected();
      this.placement.encoderArrived(courtroomId, here !== undefined);
    });
    o.ingest.on('unpublish', ({ courtroomId }) => {
      if (isProgramStream(courtroomId)) return;
      const source = sourceOfStream(courtroomId);
      if (source) return void this.sessions.ofCourtroom(source.courtroomId)?.sourceLost(source.source);
      this.placement.encoderLeft(courtroomId);
      void this.sessions.ofCourtroom(courtroomId)?.encoderLost();
    });
    o.governance.on('withdraw', (hearingId, reason, by) => {
      this.withdraw(hearingId, reason, by).catch((err: unknown) => o.logger.error({ err, hearingId }, 'could not withdraw a broadcast'));
    });
    o.cluster.on('lost', (hearingId) => void this.sessions.abandon(hearingId));
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

  /** What this node does for calls other nodes forward for the hearings it runs. */
  private readonly handlers: RemoteHandlers = {
    command: (id, a) => this.commandHere(id, a.cmd, a.ctx),
    mask: async (id, a) => (await this.maskable(id)).requestMask(a.req, a.actor),
    lift: async (id, a) => (await this.maskable(id)).lift(a.maskId, a.ctx),
    switch: async (id, a) => (await this.mustBeHere(id, 'cannot switch: the hearing is not live')).switchArrangement(a.req, a.ctx),
    withdraw: (id, a) => this.here(id)?.withdraw(a.reason, a.by),
    view: (id) => this.here(id)?.view() ?? null,
    handover: (id, a) => this.arrivals.handover(id, a.to),
    preview: (id, a) => this.here(id)?.preview(a.target) ?? null,
    cue: async (id, a) => (await this.mustBeHere(id, 'cannot caption: the hearing is not live')).cue(a.req),
  };

  /** The handle of a hearing live on this node: its operations behind the command policy. */
  private here(hearingId: string): LocalHandle | undefined {
    const session = this.sessions.get(hearingId);
    if (!session) return undefined;
    return new LocalHandle(session, {
      gate: this.gate,
      registry: this.o.registry,
      masterRoot: this.o.masterRoot,
      now: this.now,
      encoderHealth: () => this.encoderHealth(hearingId),
      changed: () => this.emit('changed', hearingId),
    });
  }

  /** The handle of a hearing live here, for a mask or a lift: masks apply to a live hearing only. */
  private maskable(hearingId: string): Promise<LocalHandle> {
    return this.mustBeHere(hearingId, 'masks apply to a live hearing');
  }

  /** The handle of a hearing live here; NOT_FOUND for an unknown hearing, INVALID_TRANSITION for one not live. */
  private async mustBeHere(hearingId: string, why: string): Promise<LocalHandle> {
    const handle = this.here(hearingId);
    if (handle) return handle;
    await this.o.registry.hearing(hearingId);
    throw new CourtcastError('INVALID_TRANSITION', why);
  }

  /** Carries out a call another node forwarded for a hearing this node runs, its arguments checked first. */
  async serve(call: RemoteCall): Promise<unknown> {
    return dispatch(this.handlers, call);
  }

  /**
   * Runs `here` if this node runs the hearing, or nobody does; otherwise has the node that does
   * carry it out, and answers as it did. A hearing about to open goes where its encoder is.
   */
  private async routed<Op extends RemoteOp>(hearingId: string, op: Op, args: RemoteArgs<Op>, here: () => Promise<RemoteResult<Op>>, opens = false): Promise<RemoteResult<Op>> {
    if (this.sessions.has(hearingId) || !this.o.cluster.shared) return here();
    let node = (await this.o.cluster.owner(hearingId).catch(() => null))?.nodeId ?? null;
    if (!node && opens) node = await this.placement.openingNode(hearingId);
    if (!node || node === this.o.cluster.nodeId) return here();
    // The reply is checked against what the operation promises, never cast.
    return parseReply(op, await this.o.cluster.call(node, { op, hearingId, args }));
  }

  /**
   * Takes a hearing that lost its clearance off the air: everything not yet released is dumped
   * and the public gets the no-broadcast card. It acts on the live hearing before any store.
   */
  async withdraw(hearingId: string, reason: string, by: Principal | null): Promise<void> {
    await this.routed(hearingId, 'withdraw', { reason, by }, async () => this.here(hearingId)?.withdraw(reason, by));
  }

  /** Ids of the hearings live on this node. */
  liveHearingIds(): string[] {
    return this.sessions.ids();
  }

  /** Every live hearing on this node. */
  liveHearings(): LiveHearing[] {
    return this.sessions.all();
  }

  /** The live hearing, if it is open on this node (for this node's own wiring and tests; edges use `view`). */
  live(hearingId: string): LiveHearing | undefined {
    return this.sessions.get(hearingId);
  }

  /**
   * Opens a hearing on this node (service/broadcast/arrivals.ts): recording begins, and the public sees the
   * "starting" slate until a clerk starts the broadcast. Opening twice is harmless.
   */
  open(hearingId: string, ctx: CommandContext = { actor: SYSTEM }): Promise<LiveHearing> {
    return this.arrivals.open(hearingId, ctx);
  }

  /** Subscribes the observers of a live hearing: its audit record and the master's bit rate. */
  private observe(session: LiveHearing): void {
    const id = session.hearing.id;
    const source = () => this.o.encoderSource?.(session.hearing.courtroomId) ?? null;
    auditLiveHearing(session, (h, input) => this.gate.record(h, input), () => this.emit('changed', id), this.now, source);
    this.masterRate.observe(session);
    this.emit('opened', session);
  }

  /**
   * Brings back every hearing that was live on this node when the server stopped, failing closed
   * (service/broadcast/arrivals.ts).
   */
  recover(): Promise<string[]> {
    return this.arrivals.recover();
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
    if (cmd === 'start') await this.open(hearingId, ctx);
    return (await this.mustBeHere(hearingId, `cannot ${cmd}: the hearing is not live`)).command(cmd, ctx);
  }

  /**
   * A clerk's mask request as both entry points receive it: resolves a preset, reads the times,
   * and answers with the already-public part as ISO times.
   */
  async requestMask(hearingId: string, req: MaskRequest, actor: AuditActor): Promise<MaskAnswer> {
    return this.routed(hearingId, 'mask', { req, actor }, async () => (await this.maskable(hearingId)).requestMask(req, actor));
  }

  /** A caption feed's cue for a live hearing, taken where the hearing runs. */
  async sendCue(hearingId: string, req: CueRequest): Promise<CueAnswer> {
    return this.routed(hearingId, 'cue', { req }, async () => (await this.mustBeHere(hearingId, 'cannot caption: the hearing is not live')).cue(req));
  }

  /**
   * The hearing if the principal may send its captions (FORBIDDEN otherwise): its courtroom's
   * clerks and captioners, supervisors and admins.
   */
  async captionable(hearingId: string, p: Principal): Promise<Hearing> {
    const hearing = this.sessions.get(hearingId)?.hearing ?? (await this.o.registry.hearing(hearingId));
    if (!mayCaption(p, hearing.courtroomId)) throw new CourtcastError('FORBIDDEN', 'you do not caption this courtroom');
    return hearing;
  }

  /** Lifts an open mask from now on. */
  async liftMask(hearingId: string, maskId: string, ctx: CommandContext): Promise<CommandResult> {
    return this.routed(hearingId, 'lift', { maskId, ctx }, async () => (await this.maskable(hearingId)).lift(maskId, ctx));
  }

  /** Switches a composed program to another layout or other cameras from now. */
  async switchArrangement(hearingId: string, req: SwitchRequest, ctx: CommandContext): Promise<CommandResult> {
    return this.routed(hearingId, 'switch', { req, ctx }, async () => (await this.mustBeHere(hearingId, 'cannot switch: the hearing is not live')).switchArrangement(req, ctx));
  }

  /**
   * What consoles and public pages show of a live hearing, from whichever node runs it (this one
   * without asking any store); null when none does or it cannot be asked. Edges use this, never
   * the local session, so they answer the same on every node.
   */
  async view(hearingId: string): Promise<LiveView | null> {
    return this.routed(hearingId, 'view', {}, async () => this.here(hearingId)?.view() ?? null).catch((err: unknown) => {
      this.o.logger.warn({ err, hearingId }, 'could not ask the node running a hearing for its state');
      return null;
    });
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
    return this.routed(hearingId, 'preview', { target }, async () => (await this.here(hearingId)?.preview(target)) ?? null);
  }

  /** Disconnects a courtroom's encoder, after its key was rotated. */
  kickEncoder(courtroomId: string): void {
    this.o.ingest.kick(courtroomId);
    this.emit('encoderKicked', courtroomId);
  }

  /** Stops every live hearing (shutdown). */
  async close(): Promise<void> {
    this.placement.close();
    await this.sessions.closeAll();
    await this.o.cluster.close();
  }
}
