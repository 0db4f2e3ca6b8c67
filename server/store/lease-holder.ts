import type { Lease, Leases } from './leases.ts';

/** What one renewal found: the lease confirmed, refused (it lapsed or passed on), no answer, or one already under way. */
export type Renewal = 'confirmed' | 'refused' | 'failed' | 'busy';

/**
 * One lease this node holds, with when it was last confirmed, renewed one renewal at a time:
 * renewals a stalled store held back and then answered all at once would otherwise each take the
 * lease again. What a refusal or a failure means is the holder's to decide (see withLease and
 * service/cluster/cluster.ts), since a finalizer and a live hearing must answer them differently.
 */
export class RenewedLease {
  private renewing = false;
  private current: Lease;
  private confirmed: number;

  constructor(
    private readonly leases: Leases,
    readonly name: string,
    lease: Lease,
    private readonly ttlMs: number,
    /** When the acquisition was sent: the lease runs from then, not from the answer. */
    sentAt: number,
    private readonly now: () => number = Date.now,
  ) {
    this.current = lease;
    this.confirmed = sentAt;
  }

  /** Takes the lease `name`; null when another holder has it. */
  static async acquire(leases: Leases, name: string, nodeId: string, ttlMs: number, now: () => number = Date.now): Promise<RenewedLease | null> {
    const sentAt = now();
    const token = await leases.acquire(name, nodeId, ttlMs);
    return token === null ? null : new RenewedLease(leases, name, { nodeId, token }, ttlMs, sentAt, now);
  }

  get lease(): Lease {
    return this.current;
  }

  /** How long since the store last confirmed the lease (ms). */
  age(): number {
    return this.now() - this.confirmed;
  }

  /** Extends the lease; a renewal counts from when it was sent. */
  async renew(): Promise<Renewal> {
    if (this.renewing) return 'busy';
    this.renewing = true;
    const sentAt = this.now();
    try {
      if (!(await this.leases.renew(this.name, this.current, this.ttlMs))) return 'refused';
      this.confirmed = sentAt;
      return 'confirmed';
    } catch {
      return 'failed';
    } finally {
      this.renewing = false;
    }
  }

  /**
   * Takes the lease again after it lapsed, if nobody else took it: with a new token, so whatever
   * was written under the old one is fenced off. False when another holder has it.
   */
  async retake(): Promise<boolean> {
    const sentAt = this.now();
    const token = await this.leases.acquire(this.name, this.current.nodeId, this.ttlMs);
    if (token === null) return false;
    this.current = { nodeId: this.current.nodeId, token };
    this.confirmed = sentAt;
    return true;
  }

  /** Gives the lease up, if it is still this one. */
  release(): Promise<void> {
    return this.leases.release(this.name, this.current);
  }
}

/** A lease being held for a piece of work. */
export interface HeldLease {
  readonly lease: Lease;
  /** Aborted the moment the lease is lost: a renewal refused, failed, or not answered in time. */
  readonly signal: AbortSignal;
  /** Throws once the lease is lost; work calls it before every write only the holder may make. */
  assertHeld(): void;
}

/** Thrown by `assertHeld` after the lease was lost. */
export class LeaseLost extends Error {
  constructor(readonly lease: string) {
    super(`the lease ${lease} was lost; the work stops here and is left to whoever holds it now`);
    this.name = 'LeaseLost';
  }
}

/**
 * Runs `work` while holding the lease `name`: null (work not run) when another holder has it. The
 * lease is renewed four times a period and counts as lost as soon as a renewal is refused or
 * fails, or none has been confirmed within half the period, since by then another node may have
 * taken it: the work is told through `signal` and `assertHeld`, and must stop writing. Unlike a
 * live hearing, such work can simply be retried later, so it never keeps going on a doubtful
 * lease. The lease is given back when the work ends.
 */
export async function withLease<T>(leases: Leases, name: string, nodeId: string, ttlMs: number, work: (held: HeldLease) => Promise<T>): Promise<T | null> {
  const renewed = await RenewedLease.acquire(leases, name, nodeId, ttlMs);
  if (renewed === null) return null;
  const control = new AbortController();
  const lose = () => control.abort(new LeaseLost(name));
  const timer = setInterval(() => {
    if (renewed.age() > ttlMs / 2) lose();
    if (control.signal.aborted) return;
    void renewed.renew().then((r) => (r === 'refused' || r === 'failed') && lose());
  }, ttlMs / 4);
  timer.unref();
  const held: HeldLease = {
    lease: renewed.lease,
    signal: control.signal,
    assertHeld: () => {
      if (control.signal.aborted) throw new LeaseLost(name);
    },
  };
  try {
    return await work(held);
  } finally {
    clearInterval(timer);
    if (!control.signal.aborted) await renewed.release().catch(() => undefined);
  }
}
