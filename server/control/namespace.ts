import { LRUCache } from 'lru-cache';
import type { Namespace, Server, Socket } from 'socket.io';
import { z } from 'zod';
import { userActor, type AuditActor, type AuditTrail } from '../audit/trail.ts';
import type { Hearing } from '../domain/courts.ts';
import { settleWithin } from '../domain/deadline.ts';
import { isCourtcastError } from '../domain/errors.ts';
import type { Logger } from '../domain/logger.ts';
import type { Accounts } from '../service/identity/accounts.ts';
import type { BroadcastService } from '../service/broadcast/broadcasts.ts';
import { BROADCAST_COMMANDS, commandsAllowed, removesExposure, type BroadcastCommand, type CommandName } from '../domain/commands.ts';
import type { Registry } from '../service/court/registry.ts';
import type { Tokens } from '../service/identity/tokens.ts';
import type { ViewerCounter } from '../service/publicity/viewers.ts';
import type { HealthMonitor } from '../service/operations/health.ts';
import { Records } from '../store/records.ts';
import type { StateStore } from '../store/state-store.ts';
import { commandSchema, cueSchema, joinSchema, liftSchema, maskSchema, switchSchema } from './contract.ts';
import { cueView } from '../service/broadcast/caption-track.ts';
import { ConnectionRights } from './rights.ts';
import type { AckOk, ClientToServerEvents, CommandAck, ConsoleState, CueAck, ServerToClientEvents, SocketData } from './types.ts';

type ControlSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type ControlNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** What the control channel needs. */
export interface ControlDeps {
  readonly registry: Registry;
  readonly broadcasts: BroadcastService;
  readonly accounts: Accounts;
  readonly tokens: Tokens;
  readonly audit: AuditTrail;
  readonly state: StateStore;
  readonly viewers: ViewerCounter;
  readonly health: HealthMonitor;
  readonly logger: Logger;
  readonly now?: () => number;
  /** First answers held in memory at most (the oldest go first). */
  readonly maxIdempotencyKeys?: number;
  /** Whether other nodes share the consoles' rooms (the Socket.IO Redis adapter). */
  readonly clustered?: boolean;
}

/** How long a console's state waits for what only the store knows before it does without. */
const STORE_READ_MS = 1_000;
/**
 * The longest a command's answer waits on stores, all told: saving the program and the trail
 * (in parallel) and then the console state share it, so a cut is acknowledged within it while
 * the state store is frozen.
 */
const ACK_WAIT_MS = 1_000;
/** How long a retry with the same idempotency key returns the first answer. */
const IDEMPOTENCY_TTL_MS = 10 * 60_000;
/** Idempotency answers kept in memory; the oldest go first, so a flood of keys costs bounded memory. */
const IDEMPOTENCY_MAX_KEYS = 10_000;
/** How long a command that adds exposure may wait for the store's copy of an earlier answer. */
const STORED_ANSWER_WAIT_MS = 300;

type IdempotencyRecord = { done: false } | { done: true; ack: CommandAck };

/**
 * A stored answer is replayed to the console that retries, as it was given: it is checked to be
 * an answer (the console reads `ok` first), not re-validated field by field.
 */
const idempotencyCodec: z.ZodType<IdempotencyRecord> = z.discriminatedUnion('done', [
  z.object({ done: z.literal(false) }),
  z.object({ done: z.literal(true), ack: z.custom<CommandAck>((a) => typeof a === 'object' && a !== null && typeof (a as { ok?: unknown }).ok === 'boolean') }),
]);

const room = (id: string): string => `hearing:${id}`;

/** An ack for any failure: known errors keep their code, anything else says nothing internal. */
function errorAck(err: unknown, logger: Logger): CommandAck {
  if (isCourtcastError(err)) return { ok: false, error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } };
  if (err instanceof z.ZodError) {
    const message = err.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
    return { ok: false, error: { code: 'VALIDATION_FAILED', message } };
  }
  logger.error({ err }, 'control command failed');
  return { ok: false, error: { code: 'INTERNAL', message: 'the server could not carry out the command' } };
}

/** Calls a client's ack if it sent one; a client that did not is simply not answered. */
function answer(ack: unknown, value: CommandAck | CueAck | { ok: true }): void {
  if (typeof ack === 'function') (ack as (v: unknown) => void)(value);
}

/**
 * The clerks' control channel: namespace `/control`. Tokens are checked in middleware, each
 * hearing has a room, every command is validated, idempotent and answered by an ack, and every
 * state change fans out to the consoles in the hearing's room and to no one else.
 */
export class ControlChannel {
  private readonly nsp: ControlNamespace;
  private readonly now: () => number;
  private readonly offChanged: () => void;
  private readonly ticker: NodeJS.Timeout;
  /** Commands being carried out per hearing; their own fan-out follows their ack. */
  private readonly inFlight = new Map<string, number>();
  private readonly rights: ConnectionRights;
  /** First answers by idempotency key, held here first so a down store cannot block a retry's answer. */
  private readonly answers: LRUCache<string, IdempotencyRecord>;
  /** Answers kept in the state store, for retries that span a restart or another node. */
  private readonly storedAnswers: Records<IdempotencyRecord>;

  constructor(
    io: Server,
    private readonly d: ControlDeps,
  ) {
    this.now = d.now ?? Date.now;
    this.answers = new LRUCache({ max: d.maxIdempotencyKeys ?? IDEMPOTENCY_MAX_KEYS, ttl: IDEMPOTENCY_TTL_MS });
    this.storedAnswers = new Records(d.state, 'idempotency', idempotencyCodec);
    this.nsp = io.of('/control') as ControlNamespace;
    this.rights = new ConnectionRights(this.nsp, d.accounts, d.tokens, d.logger, this.now);
    this.nsp.on('connection', (socket) => this.onConnection(socket));
    this.offChanged = d.broadcasts.on('changed', (id) => void this.fanOut(id));
    // Viewer counts and encoder health drift without events; refresh the rooms that have consoles.
    // Across nodes a room's consoles may all be on another node, which this one cannot see: the
    // node running a hearing then refreshes its room regardless, through the Redis adapter.
    this.ticker = setInterval(() => {
      for (const id of d.broadcasts.liveHearingIds()) if (d.clustered || (this.nsp.adapter.rooms.get(room(id))?.size ?? 0) > 0) void this.fanOut(id);
    }, 2000);
  }

  private onConnection(socket: ControlSocket): void {
    this.rights.attach(socket);
    socket.on('join', (payload, ack) => void this.join(socket, payload, ack));
    socket.on('leave', (payload, ack) => {
      const parsed = joinSchema.safeParse(payload);
      if (parsed.success) {
        void socket.leave(room(parsed.data.hearingId));
        this.rights.left(socket, parsed.data.hearingId);
      }
      answer(ack, parsed.success ? { ok: true } : errorAck(parsed.error, this.d.logger));
    });
    for (const cmd of BROADCAST_COMMANDS) socket.on(cmd, (payload, ack) => void this.command(socket, cmd, payload, ack));
    socket.on('mask', (payload, ack) => void this.maskCommand(socket, payload, ack));
    socket.on('lift', (payload, ack) => void this.liftCommand(socket, payload, ack));
    socket.on('switch', (payload, ack) => void this.switchCommand(socket, payload, ack));
    socket.on('cue', (payload, ack) => void this.cue(socket, payload, ack));
  }

  private async join(socket: ControlSocket, payload: unknown, ack: unknown): Promise<void> {
    try {
      const { hearingId: id } = joinSchema.parse(payload);
      const hearing = await this.controllable(socket, id);
      await socket.join(room(id));
      this.rights.joined(socket, id, hearing.courtroomId);
      answer(ack, { ok: true, state: await this.consoleState(id) });
    } catch (err) {
      answer(ack, errorAck(err, this.d.logger));
    }
  }

  private async command(socket: ControlSocket, cmd: BroadcastCommand, payload: unknown, ack: unknown): Promise<void> {
    await this.run(cmd, socket, ack, () => commandSchema.parse(payload), async (body, actor) => {
      const r = await this.d.broadcasts.command(body.hearingId, cmd, { actor, reason: body.reason ?? null });
      return { persisted: r.persisted, recorded: r.recorded };
    });
  }

  private async maskCommand(socket: ControlSocket, payload: unknown, ack: unknown): Promise<void> {
    await this.run('mask', socket, ack, () => maskSchema.parse(payload), async (body, actor) => {
      const { hearingId: id, idempotencyKey: _key, ...request } = body;
      const r = await this.d.broadcasts.requestMask(id, request, actor);
      return { mask: r.mask, alreadyPublic: r.alreadyPublic, persisted: r.status.persisted, recorded: r.status.recorded };
    });
  }

  private async liftCommand(socket: ControlSocket, payload: unknown, ack: unknown): Promise<void> {
    await this.run('lift', socket, ack, () => liftSchema.parse(payload), async (body, actor) => {
      const r = await this.d.broadcasts.liftMask(body.hearingId, body.maskId, { actor });
      return { persisted: r.persisted, recorded: r.recorded };
    });
  }

  private async switchCommand(socket: ControlSocket, payload: unknown, ack: unknown): Promise<void> {
    await this.run('switch', socket, ack, () => switchSchema.parse(payload), async (body, actor) => {
      const r = await this.d.broadcasts.switchArrangement(body.hearingId, { layout: body.layout, cameras: body.cameras }, { actor, reason: body.reason ?? null });
      return { persisted: r.persisted, recorded: r.recorded };
    });
  }

  /**
   * A caption feed's cue: its right (to caption the courtroom) is read afresh, as every command's
   * is; a correction names its cue by id, so a retry is a correction with the same words.
   */
  private async cue(socket: ControlSocket, payload: unknown, ack: unknown): Promise<void> {
    try {
      const p = this.rights.current(socket);
      const { hearingId, ...req } = cueSchema.parse(payload);
      await this.d.broadcasts.captionable(hearingId, p);
      const r = await this.d.broadcasts.sendCue(hearingId, req);
      answer(ack, { ok: true, cue: cueView(r.cue), inWindow: r.inWindow, recorded: r.recorded });
    } catch (err) {
      answer(ack, errorAck(err, this.d.logger));
    }
  }

  /**
   * The hearing, if the socket's principal may control it now. A live hearing is read from its
   * session, so scope is checked without the store.
   */
  private async controllable(socket: ControlSocket, hearingId: string): Promise<Hearing> {
    return this.d.broadcasts.controllable(hearingId, this.rights.current(socket));
  }

  /** The store's copy of an earlier answer, for retries that span a restart; never waited on long. */
  private async storedAnswer(key: string): Promise<IdempotencyRecord | null> {
    return settleWithin(this.storedAnswers.get(key), STORED_ANSWER_WAIT_MS, null);
  }

  /**
   * The pattern every command follows: check rights and scope, validate, claim the idempotency
   * key (a retry gets the first answer), act, answer the acting console first, then fan out.
   * Nothing before the act waits on the store for a command that takes something off the air.
   */
  private async run<B extends { hearingId: string; idempotencyKey: string }>(
    kind: CommandName,
    socket: ControlSocket,
    ack: unknown,
    parse: () => B,
    act: (body: B, actor: AuditActor) => Promise<Partial<AckOk>>,
  ): Promise<void> {
    try {
      const p = this.rights.current(socket);
      const body = parse();
      await this.controllable(socket, body.hearingId);
      // The key is scoped to the user and hearing, so one clerk's key can never replay another's.
      const key = `${p.userId}:${body.hearingId}:${body.idempotencyKey}`;
      const claimed = this.answers.get(key) ?? null;
      if (!claimed) this.answers.set(key, { done: false });
      const stored = claimed ?? (removesExposure(kind) ? null : await this.storedAnswer(key));
      if (stored) {
        if (stored.done) this.answers.set(key, stored);
        answer(ack, stored.done ? stored.ack : { ok: false, error: { code: 'IDEMPOTENCY_IN_FLIGHT', message: 'this command is already being carried out' } });
        return;
      }
      let result: CommandAck;
      const started = this.now();
      this.inFlight.set(body.hearingId, (this.inFlight.get(body.hearingId) ?? 0) + 1);
      try {
        const actor = userActor(p);
        const extra = await act(body, actor);
        result = { ...extra, ok: true, state: await this.consoleState(body.hearingId, Math.max(0, ACK_WAIT_MS - (this.now() - started))) };
      } catch (err) {
        result = errorAck(err, this.d.logger);
      } finally {
        this.inFlight.set(body.hearingId, (this.inFlight.get(body.hearingId) ?? 1) - 1);
      }
      this.answers.set(key, { done: true, ack: result });
      // The store's copy serves retries after a restart; it is written after the fact.
      this.storedAnswers.put(key, { done: true, ack: result }, IDEMPOTENCY_TTL_MS).catch((err: unknown) => this.d.logger.warn({ err }, 'could not store an idempotency answer'));
      // The clerk who acted hears first; then the same state goes to every console in the room.
      answer(ack, result);
      if (result.ok) this.nsp.to(room(body.hearingId)).emit('state', result.state);
    } catch (err) {
      answer(ack, errorAck(err, this.d.logger));
    }
  }

  /**
   * The full state of a hearing, as every console in its room sees it. What only the store knows
   * is waited for at most `storeWaitMs`, then taken from what this node last read.
   */
  async consoleState(id: string, storeWaitMs = STORE_READ_MS): Promise<ConsoleState> {
    // From whichever node runs it (this one without asking a store): a live hearing's console
    // must keep working while the store is down, so what only the store knows (the audit tail,
    // presets) degrades to what this node holds.
    const view = await this.d.broadcasts.view(id);
    const hearing = view?.hearing ?? (await this.d.registry.hearing(id));
    const live = view?.status ?? null;
    // Bounded: a stalled store must not hold back the ack of a cut the live session already took.
    const recent = this.d.audit.recent(id, 10);
    const [audit, presets] = await Promise.all([
      settleWithin(this.d.audit.tail(id, 10), storeWaitMs, recent),
      settleWithin(
        this.d.registry.courtroom(hearing.courtroomId).then((r) => r.presets ?? []),
        storeWaitMs,
        this.d.registry.knownPresetsOf(hearing.courtroomId) ?? [],
      ),
    ]);
    return {
      hearing,
      live,
      allowed: commandsAllowed(live),
      viewers: this.d.viewers.count(id),
      encoderHealth: view?.encoderHealth ?? null,
      audit,
      masks: view?.masks ?? [],
      arrangement: view?.arrangement ?? null,
      presets,
      previewUrl: live ? `/api/hearings/${id}/preview/index.m3u8` : null,
      serverTime: new Date(this.now()).toISOString(),
      health: { stateStore: this.d.health.stateStoreOk ? 'ok' : 'down', publicStore: this.d.health.publicStoreOk ? 'ok' : 'down', archive: this.d.health.archive, dataDisk: this.d.health.dataDisk },
    };
  }

  private async fanOut(id: string): Promise<void> {
    // A command in flight sends its own state right after its ack.
    if ((this.inFlight.get(id) ?? 0) > 0) return;
    try {
      this.nsp.to(room(id)).emit('state', await this.consoleState(id));
    } catch (err) {
      this.d.logger.warn({ err, hearingId: id }, 'could not send console state');
    }
  }

  /** Idempotency answers held in memory now. */
  get idempotencyKeysHeld(): number {
    return this.answers.size;
  }

  /** Stops listening to the service. The Socket.IO server is closed by its owner. */
  close(): void {
    this.offChanged();
    this.rights.close();
    clearInterval(this.ticker);
  }
}
