/**
 * Counts public viewers per hearing: distinct clients that fetched a playlist in the last
 * `windowMs`. Players refresh a live playlist every segment, so a short window is accurate.
 */
export class ViewerCounter {
  private readonly seen = new Map<string, Map<string, number>>();

  constructor(
    private readonly windowMs = 15_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A client fetched one of the hearing's playlists. */
  saw(hearingId: string, client: string): void {
    let m = this.seen.get(hearingId);
    if (!m) this.seen.set(hearingId, (m = new Map()));
    m.set(client, this.now());
    // Bound memory under a flood of distinct clients.
    if (m.size > 100_000) this.prune(hearingId);
  }

  private prune(hearingId: string): void {
    const m = this.seen.get(hearingId);
    if (!m) return;
    const cutoff = this.now() - this.windowMs;
    for (const [k, t] of m) if (t < cutoff) m.delete(k);
  }

  /** Viewers of a hearing right now. */
  count(hearingId: string): number {
    this.prune(hearingId);
    return this.seen.get(hearingId)?.size ?? 0;
  }
}
