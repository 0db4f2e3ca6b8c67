import { TypedEmitter } from '../server/domain/events.ts';
import type { Logger } from '../server/domain/logger.ts';
import type { ObjectStore } from '../server/store/object-store.ts';
import type { Spool, Spooled } from './spool.ts';

/** How far the archive trails what has been recorded. */
export interface ArchiveBacklog {
  /** Objects spooled and not yet confirmed by the store. */
  readonly pending: number;
  readonly pendingBytes: number;
  /** Age of the oldest unconfirmed object, ms; 0 when none waits. */
  readonly behindMs: number;
  /** Why the store last refused, while it still does. */
  readonly fault: string | null;
  readonly faultSince: number | null;
}

export interface UploaderEvents {
  /** The store confirmed `item`; `lagMs` runs from when it entered the spool. */
  durable: (item: Spooled, lagMs: number) => void;
}

export interface UploaderOptions {
  readonly store: ObjectStore;
  readonly spool: Spool;
  readonly logger: Logger;
  readonly concurrency?: number;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly now?: () => number;
}

/**
 * Moves the spool into the archive store in the background, oldest first. While the store
 * refuses, everything waits behind one probe retried with growing backoff (no hammering, and the
 * order holds); the spool file goes only after the store confirmed the object.
 */
export class Uploader extends TypedEmitter<UploaderEvents> {
  private readonly queue = new Map<string, Spooled>();
  private readonly active = new Set<string>();
  private backoffMs = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private faultMessage: string | null = null;
  private faultSince: number | null = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly o: UploaderOptions) {
    super((err, event) => o.logger.error({ err, event }, 'uploader listener failed'));
    this.now = o.now ?? Date.now;
  }

  /** Queues everything the spool holds: what a previous process left is uploaded first. */
  async start(): Promise<number> {
    const left = await this.o.spool.all();
    for (const item of left) this.queue.set(item.key, item);
    this.pump();
    return left.length;
  }

  /** Queues one spooled object (a newer version of a queued key replaces it). */
  add(item: Spooled): void {
    this.queue.delete(item.key);
    this.queue.set(item.key, item);
    this.pump();
  }

  backlog(): ArchiveBacklog {
    let bytes = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const i of this.queue.values()) {
      bytes += i.size;
      oldest = Math.min(oldest, i.spooledAt);
    }
    return {
      pending: this.queue.size,
      pendingBytes: bytes,
      behindMs: this.queue.size > 0 ? Math.max(0, this.now() - oldest) : 0,
      fault: this.faultMessage,
      faultSince: this.faultSince,
    };
  }

  /** Resolves once nothing is queued (or rejects after `timeoutMs`). */
  idle(timeoutMs = 60_000): Promise<void> {
    if (this.queue.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`archive uploads still pending after ${timeoutMs} ms: ${JSON.stringify(this.backlog())}`)), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private pump(): void {
    if (this.closed || this.retryTimer) return;
    const limit = this.faultMessage ? 1 : (this.o.concurrency ?? 2);
    for (const item of this.queue.values()) {
      if (this.active.size >= limit) break;
      if (this.active.has(item.key)) continue;
      this.active.add(item.key);
      void this.upload(item);
    }
    if (this.queue.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async upload(item: Spooled): Promise<void> {
    try {
      await this.o.store.putFile(item.key, item.file);
      await this.o.spool.remove(item);
      if (this.queue.get(item.key)?.version === item.version) this.queue.delete(item.key);
      if (this.faultMessage) this.o.logger.info({ store: this.o.store.description, downFor: this.now() - (this.faultSince ?? this.now()) }, 'the archive store takes uploads again');
      this.faultMessage = null;
      this.faultSince = null;
      this.backoffMs = 0;
      this.emit('durable', item, Math.max(0, this.now() - item.spooledAt));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && this.queue.get(item.key)?.version === item.version) {
        // The spooled file itself is gone (removed by hand): nothing left to send.
        this.queue.delete(item.key);
      } else {
        this.fail(err, item);
      }
    } finally {
      this.active.delete(item.key);
      this.pump();
    }
  }

  private fail(err: unknown, item: Spooled): void {
    const message = err instanceof Error ? err.message || err.name : String(err);
    if (this.faultMessage === null) {
      this.faultSince = this.now();
      this.o.logger.error({ err, key: item.key, store: this.o.store.description }, 'the archive store refuses uploads; they wait in the spool');
    }
    this.faultMessage = message;
    this.backoffMs = Math.min(this.o.maxBackoffMs ?? 10_000, Math.max(this.o.minBackoffMs ?? 250, this.backoffMs * 2));
    if (!this.retryTimer && !this.closed) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.pump();
      }, this.backoffMs * (0.75 + Math.random() * 0.5));
    }
  }

  /** Stops starting uploads; those under way finish (their spool files stay if they do not). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const deadline = this.now() + 5_000;
    while (this.active.size > 0 && this.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
}
