import { LRUCache } from 'lru-cache';
import { settleWithin } from '../../domain/deadline.ts';
import { isCourtcastError } from '../../domain/errors.ts';
import type { Hearing } from '../../domain/courts.ts';

/** What the gate reads: the hearing, and whether the public may read about it as it stands. */
export interface PublicationSource {
  hearing(id: string): Promise<Hearing>;
  isPublishable(h: Hearing): Promise<boolean>;
}

export interface PublicationGateOptions {
  /** How long an answer is used before it is asked again (a change made on another node shows within this). */
  readonly freshMs?: number;
  /** How long a request waits for the store before it is answered from what was known. */
  readonly readMs?: number;
  /** Hearings remembered (requests for made-up ids must not grow memory). */
  readonly max?: number;
  readonly now?: () => number;
}

interface Known {
  readonly allowed: boolean;
  readonly at: number;
}

/**
 * Whether the origin may serve a hearing's media: the same rule as every public page (heard in
 * public, reviewed as it stands), asked per request. Answers are held in memory for about a second,
 * so a viewer's poll costs a map lookup, and dropped at once when this node changes the hearing's
 * governance. When the store cannot answer, the last answer stands: whether a hearing may be
 * published changes only by a write to that same store. A hearing never answered for is refused.
 */
export class PublicationGate {
  private readonly known: LRUCache<string, Known>;
  private readonly asking = new Map<string, Promise<boolean>>();
  private readonly now: () => number;
  /** Bumped by every `forget`, so an answer read before a change is not kept after it. */
  private generation = 0;

  constructor(
    private readonly source: PublicationSource,
    private readonly o: PublicationGateOptions = {},
  ) {
    this.now = o.now ?? Date.now;
    this.known = new LRUCache({ max: o.max ?? 10_000 });
  }

  /** The answer from memory while it is fresh; null when it has to be asked (see `allows`). */
  cached(hearingId: string): boolean | null {
    const k = this.known.get(hearingId);
    return k && this.now() - k.at <= (this.o.freshMs ?? 1_000) ? k.allowed : null;
  }

  /** Whether the hearing's media may be served now. */
  async allows(hearingId: string): Promise<boolean> {
    const fresh = this.cached(hearingId);
    if (fresh !== null) return fresh;
    let pending = this.asking.get(hearingId);
    if (!pending) {
      pending = this.ask(hearingId).finally(() => this.asking.delete(hearingId));
      this.asking.set(hearingId, pending);
    }
    const stale = this.known.get(hearingId)?.allowed ?? false;
    return settleWithin(pending, this.o.readMs ?? 500, stale);
  }

  /** Drops what is known about a hearing: its governance or details changed here. */
  forget(hearingId: string): void {
    this.generation++;
    this.known.delete(hearingId);
    this.asking.delete(hearingId);
  }

  private async ask(hearingId: string): Promise<boolean> {
    const at = this.now();
    const generation = this.generation;
    const keep = (allowed: boolean): boolean => {
      if (generation === this.generation) this.known.set(hearingId, { allowed, at });
      return allowed;
    };
    try {
      const h = await this.source.hearing(hearingId);
      return keep(await this.source.isPublishable(h));
    } catch (err) {
      if (isCourtcastError(err) && err.code === 'NOT_FOUND') return keep(false);
      return this.known.get(hearingId)?.allowed ?? false;
    }
  }
}
