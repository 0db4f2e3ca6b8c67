/**
 * Runs an async pass at most once at a time. A call while a pass runs queues exactly one more
 * pass after it (so a final poll on exit really sees the final state); further calls share it.
 */
export class SerialPoll {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly pass: () => Promise<void>) {}

  /** Runs (or queues) a pass; resolves when a pass that started after this call has finished. */
  run(): Promise<void> {
    if (this.queued) return this.queued;
    if (this.running) {
      this.queued = this.running.then(() => {
        this.queued = null;
        return this.run();
      });
      return this.queued;
    }
    this.running = this.pass().finally(() => (this.running = null));
    return this.running;
  }
}
