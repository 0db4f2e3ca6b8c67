import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Distinct clients tracked per hearing; beyond this the count is a floor, not exact. */
const DEFAULT_MAX_CLIENTS = 50_000;

/**
 * A fixed-size fingerprint of a client (address and user agent): however long a User-Agent an
 * anonymous client sends, the counter keeps 16 characters for it.
 */
export function clientKey(client: string): string {
  return createHash('sha256').update(client).digest('base64url').slice(0, 16);
}

/**
 * Counts public viewers per hearing: distinct clients that fetched a playlist in the last
 * `windowMs`. Players refresh a live playlist every segment, so a short window is accurate. Memory
 * is bounded whatever anonymous clients send: keys are fixed-size hashes, each hearing keeps at
 * most `maxClients` of them (least recently seen go first), and entries expire with the window.
 */
export class ViewerCounter {
  private readonly seen = new Map<string, LRUCache<string, true>>();

  constructor(
    private readonly windowMs = 15_000,
    private readonly maxClients = DEFAULT_MAX_CLIENTS,
  ) {}

  /** A client fetched one of the hearing's playlists. */
  saw(hearingId: string, client: string): void {
    let m = this.seen.get(hearingId);
    if (!m) this.seen.set(hearingId, (m = new LRUCache<string, true>({ max: this.maxClients, ttl: this.windowMs, ttlAutopurge: false })));
    m.set(clientKey(client), true);
  }

  /** Viewers of a hearing right now (at most `maxClients`). */
  count(hearingId: string): number {
    const m = this.seen.get(hearingId);
    if (!m) return 0;
    m.purgeStale();
    if (m.size === 0) this.seen.delete(hearingId);
    return m.size;
  }

  /** Clients held across all hearings: what the counter costs in memory. */
  tracked(): number {
    let n = 0;
    for (const m of this.seen.values()) n += m.size;
    return n;
  }
}
