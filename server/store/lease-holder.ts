import type { Lease, Leases } from './leases.ts';

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
 * lease is renewed four times a period, one renewal at a time, and counts as lost as soon as a
 * renewal is refused or fails, or one has not answered within half the period, since by then
 * another node may have taken it: the work is told through `signal` and `assertHeld`, and must
 * stop writing. The lease is given back when the work ends.
 */
export async function withLease<T>(leases: Leases, name: string, nodeId: string, ttlMs: number, work: (held: HeldLease) => Promise<T>): Promise<T | null> {
  const token = await leases.acquire(name, nodeId, ttlMs);
  if (token === null) return null;
  const lease: Lease = { nodeId, token };
  const control = new AbortController();
  const lose = () => control.abort(new LeaseLost(name));
  let confirmedAt = Date.now();
  let renewing = false;
  const timer = setInterval(() => {
    if (Date.now() - confirmedAt > ttlMs / 2) lose();
    if (renewing || control.signal.aborted) return;
    renewing = true;
    const sentAt = Date.now();
    leases
      .renew(name, lease, ttlMs)
      .then(
        (ok) => (ok ? (confirmedAt = sentAt) : lose()),
        () => lose(),
      )
      .finally(() => (renewing = false));
  }, ttlMs / 4);
  timer.unref();
  const held: HeldLease = {
    lease,
    signal: control.signal,
    assertHeld: () => {
      if (control.signal.aborted) throw new LeaseLost(name);
    },
  };
  try {
    return await work(held);
  } finally {
    clearInterval(timer);
    if (!control.signal.aborted) await leases.release(name, lease).catch(() => undefined);
  }
}
