import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CourtcastError, ERROR_CODES, isCourtcastError, type ErrorCode } from '../../domain/errors.ts';
import { TypedEmitter } from '../../domain/events.ts';
import type { Logger } from '../../domain/logger.ts';
import type { Fence, Lease, Leases } from '../../store/leases.ts';
import { RenewedLease } from '../../store/lease-holder.ts';
import type { NodeTransport } from '../../store/node-transport.ts';

/** A request another node carries out for a hearing it owns. */
export interface RemoteCall {
  readonly op: string;
  readonly hearingId: string;
  readonly args: unknown;
}

type Wire =
  | { readonly kind: 'announce'; readonly from: string; readonly topic: string; readonly payload: unknown }
  | { readonly kind: 'call'; readonly id: string; readonly from: string; readonly call: RemoteCall }
  | { readonly kind: 'answer'; readonly id: string; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'answer'; readonly id: string; readonly ok: false; readonly error: { code: ErrorCode; message: string; details?: unknown } };

// Anything on a node's channel is checked before it is acted on: a malformed message is dropped
// (and logged), and can neither crash the node nor settle another call.
const name = z.string().min(1).max(200);
const wireSchema = z.union([
  z.object({ kind: z.literal('announce'), from: name, topic: z.string().min(1).max(100), payload: z.unknown() }),
  z.object({ kind: z.literal('call'), id: name, from: name, call: z.object({ op: z.string().min(1).max(40), hearingId: z.string().min(1).max(100), args: z.unknown() }) }),
  z.object({ kind: z.literal('answer'), id: name, ok: z.literal(true), value: z.unknown() }),
  z.object({
    kind: z.literal('answer'),
    id: name,
    ok: z.literal(false),
    error: z.object({ code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]), message: z.string().max(2_000), details: z.unknown().optional() }),
  }),
]);

/** Options of the cluster membership of one node. */
export interface ClusterOptions {
  readonly nodeId: string;
  readonly leases: Leases;
  /** How long a lease lasts unless renewed; it is renewed four times per period. */
  readonly leaseMs: number;
  /** Null on a single node: every hearing is local, and nothing is ever forwarded. */
  readonly transport: NodeTransport | null;
  /** How long a call to another node may take before it counts as unanswered. */
  readonly callTimeoutMs?: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Events of the cluster. */
export interface ClusterEvents {
  /** This node no longer holds the hearing's lease: it must stop acting for it at once. */
  lost: (hearingId: string) => void;
  /** Another node announced something every node should know. */
  heard: (topic: string, payload: unknown) => void;
}

/**
 * This node's part in a cluster: the leases it holds on live hearings (renewed in the background;
 * a lease not confirmed for half its period stops this node's releases, so a stalled or
 * partitioned node goes quiet before anyone else may take over), and calls to the owner of a
 * hearing on another node, answered there.
 */
export class Cluster extends TypedEmitter<ClusterEvents> {
  private readonly held = new Map<string, RenewedLease>();
  private readonly waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }>();
  private handler: ((call: RemoteCall) => Promise<unknown>) | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly o: ClusterOptions) {
    super((err, event) => o.logger.error({ err, event }, 'cluster listener failed'));
    this.now = o.now ?? Date.now;
  }

  get nodeId(): string {
    return this.o.nodeId;
  }

  /** How long a lease lasts without renewal. */
  get leaseMs(): number {
    return this.o.leaseMs;
  }

  /** Whether other nodes can be reached at all. */
  get shared(): boolean {
    return this.o.transport !== null;
  }

  /** Starts renewing leases and answering calls; `handler` carries out calls for owned hearings. */
  async start(handler: (call: RemoteCall) => Promise<unknown>): Promise<void> {
    this.handler = handler;
    await this.o.transport?.listen(this.o.nodeId, (m) => this.receive(m));
    this.renewTimer = setInterval(() => void this.renewAll(), Math.max(50, this.o.leaseMs / 4));
    this.renewTimer.unref();
  }

  /** Takes a hearing's lease for this node; null when another node holds it. */
  async hold(hearingId: string): Promise<Lease | null> {
    const held = await RenewedLease.acquire(this.o.leases, hearingId, this.o.nodeId, this.o.leaseMs, this.now);
    if (held === null) return null;
    this.held.set(hearingId, held);
    return held.lease;
  }

  /** The fence this node's writes for a hearing carry, while it holds the lease. */
  fence(hearingId: string): Fence | null {
    const h = this.held.get(hearingId);
    return h ? { hearingId, token: h.lease.token } : null;
  }

  /**
   * Whether this node may still release a hearing's media: its lease was confirmed within half
   * the lease period. Beyond that another node may soon take over, so this one holds back.
   */
  fresh(hearingId: string): boolean {
    const h = this.held.get(hearingId);
    // Alone, nobody can take over: only a lost lease stops releases.
    if (!this.shared) return h !== undefined;
    return h !== undefined && h.age() < this.o.leaseMs / 2;
  }

  /** Gives a hearing up (it ended here, or was handed on). */
  async letGo(hearingId: string): Promise<void> {
    const h = this.held.get(hearingId);
    this.held.delete(hearingId);
    if (h) await h.release().catch((err: unknown) => this.o.logger.warn({ err, hearingId }, 'could not release a lease; it expires by itself'));
  }

  /** Who holds a hearing now; null when nobody does (not live, or its owner died). */
  owner(hearingId: string): Promise<Lease | null> {
    return this.o.leases.holder(hearingId);
  }

  private async renewAll(): Promise<void> {
    await Promise.all([...this.held.keys()].map((id) => this.renew(id)));
  }

  /**
   * Renews one hearing's lease. Unlike finalizing (store/lease-holder.ts), a live hearing does not
   * give up on a renewal the store failed to answer: it keeps the lease, `fresh` holds its releases
   * back once the lease is too old, and it goes on airing when the store answers. A lease that
   * lapsed meanwhile is taken again if nobody else took it; only another holder ends it here.
   */
  private async renew(hearingId: string): Promise<void> {
    const h = this.held.get(hearingId);
    if (!h) return;
    const renewal = await h.renew();
    if (renewal === 'confirmed' || renewal === 'busy') return;
    if (renewal === 'failed') {
      if (!this.fresh(hearingId)) this.o.logger.warn({ hearingId }, 'the lease cannot be renewed: releases wait until it is');
      return;
    }
    const retaken = await h.retake().catch(() => null);
    if (this.held.get(hearingId) !== h || retaken === null) return;
    if (retaken) return void this.o.logger.warn({ hearingId, token: h.lease.token }, 'retook a lease that lapsed while the store was away');
    this.held.delete(hearingId);
    this.o.logger.error({ hearingId, token: h.lease.token }, 'another node took over this hearing: this node stops acting for it');
    this.emit('lost', hearingId);
  }

  /** Has the owner of a hearing carry out a call, and answers as it did (errors keep their code). */
  call(nodeId: string, call: RemoteCall): Promise<unknown> {
    const transport = this.o.transport;
    if (!transport) return Promise.reject(new CourtcastError('INTERNAL', 'no other node can be reached'));
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new CourtcastError('STORE_UNAVAILABLE', 'the node running this hearing did not answer; if it is gone, another takes the hearing over shortly'));
      }, this.o.callTimeoutMs ?? 5_000);
      this.waiting.set(id, { resolve, reject, timer });
      const wire: Wire = { kind: 'call', id, from: this.o.nodeId, call };
      transport.send(nodeId, JSON.stringify(wire)).catch((err: unknown) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        reject(new CourtcastError('STORE_UNAVAILABLE', 'the node running this hearing cannot be reached now', undefined, { cause: err }));
      });
    });
  }

  private receive(message: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(message);
    } catch {
      raw = undefined;
    }
    const parsed = wireSchema.safeParse(raw);
    if (!parsed.success) {
      this.o.logger.warn({ bytes: message.length }, 'dropped a malformed message from the node channel');
      return;
    }
    const wire = parsed.data as Wire;
    if (wire.kind === 'answer') {
      const w = this.waiting.get(wire.id);
      if (!w) return;
      clearTimeout(w.timer);
      this.waiting.delete(wire.id);
      if (wire.ok) w.resolve(wire.value);
      else w.reject(new CourtcastError(wire.error.code, wire.error.message, wire.error.details));
      return;
    }
    if (wire.kind === 'call') void this.answer(wire);
    if (wire.kind === 'announce' && wire.from !== this.o.nodeId) this.emit('heard', wire.topic, wire.payload);
  }

  /** Tells every other node something (nothing happens alone); lost if Redis is away. */
  announce(topic: string, payload: unknown): void {
    const wire: Wire = { kind: 'announce', from: this.o.nodeId, topic, payload };
    this.o.transport?.announce(JSON.stringify(wire)).catch((err: unknown) => this.o.logger.warn({ err, topic }, 'could not tell the other nodes'));
  }

  private async answer(wire: Extract<Wire, { kind: 'call' }>): Promise<void> {
    let reply: Wire;
    try {
      if (!this.handler) throw new CourtcastError('BUSY', 'this node is starting');
      reply = { kind: 'answer', id: wire.id, ok: true, value: (await this.handler(wire.call)) ?? null };
    } catch (err) {
      if (!isCourtcastError(err)) this.o.logger.error({ err, op: wire.call.op }, 'a call from another node failed');
      const error = isCourtcastError(err) ? { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } : { code: 'INTERNAL' as const, message: 'the node running this hearing could not carry out the command' };
      reply = { kind: 'answer', id: wire.id, ok: false, error };
    }
    await this.o.transport?.send(wire.from, JSON.stringify(reply)).catch((err: unknown) => this.o.logger.warn({ err }, 'could not answer another node'));
  }

  /** Stops renewing (leases lapse by themselves) and answering. */
  async close(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new CourtcastError('BUSY', 'this node is shutting down'));
    }
    this.waiting.clear();
    await this.o.transport?.close();
  }
}
