/** Who holds a live hearing: a node, and the fencing token it was given when it took the lease. */
export interface Lease {
  readonly nodeId: string;
  readonly token: number;
}

/** What a fenced write carries: the hearing whose lease guards it, and the writer's token. */
export interface Fence {
  readonly hearingId: string;
  readonly token: number;
}

/** A write refused because another node has since taken the hearing (a newer token exists). */
export class FencedOut extends Error {
  constructor(readonly fence: Fence) {
    super(`the lease on hearing ${fence.hearingId} has passed to a newer holder than token ${fence.token}`);
    this.name = 'FencedOut';
  }
}

/**
 * Leases on live hearings, one holder at a time. Each acquisition issues a token larger than
 * every one before it for that hearing, and stores that accept a `Fence` refuse writes carrying
 * an older one: a node that stalled past its lease cannot overwrite its successor's state.
 */
export interface Leases {
  /**
   * Takes the lease if nobody else holds it; the new token, or null when another node holds it.
   * A node that takes back its own lease (it restarted) gets a new token too, fencing its past.
   */
  acquire(hearingId: string, nodeId: string, ttlMs: number): Promise<number | null>;
  /** Extends a lease still held with this token; false once it expired or passed on. */
  renew(hearingId: string, lease: Lease, ttlMs: number): Promise<boolean>;
  /** Gives the lease up, if it is still this one. */
  release(hearingId: string, lease: Lease): Promise<void>;
  /** The holder now, if any. */
  holder(hearingId: string): Promise<Lease | null>;
}

/**
 * Leases for one process (the embedded and memory stores): there is no other node to hand a
 * hearing to, but the same rules hold, so the service has one path whatever the store.
 */
export class LocalLeases implements Leases {
  private readonly held = new Map<string, { lease: Lease; expiresAt: number }>();
  private readonly tokens = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(hearingId: string, nodeId: string, ttlMs: number): Promise<number | null> {
    const held = await this.holder(hearingId);
    if (held && held.nodeId !== nodeId) return null;
    const token = (this.tokens.get(hearingId) ?? 0) + 1;
    this.tokens.set(hearingId, token);
    this.held.set(hearingId, { lease: { nodeId, token }, expiresAt: this.now() + ttlMs });
    return token;
  }

  async renew(hearingId: string, lease: Lease, ttlMs: number): Promise<boolean> {
    const h = await this.holder(hearingId);
    if (!h || h.nodeId !== lease.nodeId || h.token !== lease.token) return false;
    this.held.set(hearingId, { lease, expiresAt: this.now() + ttlMs });
    return true;
  }

  async release(hearingId: string, lease: Lease): Promise<void> {
    const h = this.held.get(hearingId);
    if (h && h.lease.nodeId === lease.nodeId && h.lease.token === lease.token) this.held.delete(hearingId);
  }

  async holder(hearingId: string): Promise<Lease | null> {
    const h = this.held.get(hearingId);
    if (!h) return null;
    if (h.expiresAt <= this.now()) {
      this.held.delete(hearingId);
      return null;
    }
    return h.lease;
  }

  /** Whether a fence carries the newest token issued for its hearing. */
  current(fence: Fence): boolean {
    return (this.tokens.get(fence.hearingId) ?? 0) <= fence.token;
  }
}
