/** Options of a latest-value writer. */
export interface LatestWriterOptions {
  /** Delay before retrying a failed write (ms); doubles up to `maxRetryMs`. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  /** Told when the store starts failing (with the error) and when it recovers (null). */
  readonly onFault?: (err: unknown | null) => void;
}

/**
 * Persists the newest value of something that only matters in its latest form (a broadcast
 * program, a release position), without ever making the caller's action wait on the store: the
 * value is taken at once, written in the background, and retried with backoff until the store
 * takes it; a newer value replaces an unwritten older one. `submit` can wait a bounded time to
 * learn whether this value (or a later one) landed, so an answer can say "persisted" or not.
 */
export class LatestWriter<T> {
  private latest: { value: T; version: number } | null = null;
  private written = 0;
  private version = 0;
  private running = false;
  private failing = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly waiters = new Set<{ version: number; resolve: (ok: boolean) => void }>();

  constructor(
    private readonly write: (value: T) => Promise<void>,
    private readonly o: LatestWriterOptions = {},
  ) {}

  /** Whether everything submitted so far is stored. */
  get settled(): boolean {
    return this.written === this.version;
  }

  /** Whether the last attempt failed (the store is down or refusing). */
  get faulty(): boolean {
    return this.failing;
  }

  /**
   * Takes a value to store. Resolves true once it (or a newer value) is stored, or false after
   * `waitMs` if it is not yet; the write goes on either way.
   */
  submit(value: T, waitMs = 0): Promise<boolean> {
    const version = ++this.version;
    this.latest = { value, version };
    void this.pump(this.o.retryMs ?? 250);
    return this.wait(version, waitMs);
  }

  private wait(version: number, waitMs: number): Promise<boolean> {
    if (this.written >= version || waitMs <= 0) return Promise.resolve(this.written >= version);
    return new Promise((resolve) => {
      const waiter = { version, resolve };
      this.waiters.add(waiter);
      setTimeout(() => {
        if (this.waiters.delete(waiter)) resolve(false);
      }, waitMs).unref();
    });
  }

  private async pump(backoffMs: number): Promise<void> {
    if (this.running || this.closed || this.retryTimer) return;
    this.running = true;
    let next = backoffMs;
    try {
      while (this.latest && this.latest.version > this.written && !this.closed) {
        const { value, version } = this.latest;
        try {
          await this.write(value);
        } catch (err) {
          if (!this.failing) this.o.onFault?.(err);
          this.failing = true;
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            void this.pump(Math.min(next * 2, this.o.maxRetryMs ?? 5_000));
          }, next);
          this.retryTimer.unref();
          return;
        }
        this.written = version;
        next = this.o.retryMs ?? 250;
        if (this.failing) this.o.onFault?.(null);
        this.failing = false;
        for (const w of [...this.waiters]) {
          if (w.version > version) continue;
          this.waiters.delete(w);
          w.resolve(true);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Waits (bounded) for the newest value to land; resolves whether it did. */
  flush(waitMs: number): Promise<boolean> {
    return this.wait(this.version, waitMs);
  }

  /** Stops retrying; values not yet stored stay unstored. */
  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    for (const w of this.waiters) w.resolve(false);
    this.waiters.clear();
  }
}
