/**
 * Work for one key runs one piece at a time, in the order it was asked for; a failure ends only
 * its own piece. A key with nothing waiting is forgotten, so the map holds only busy keys.
 */
export class Turns {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(work);
    const settled = next.then(() => undefined, () => undefined);
    this.tails.set(key, settled);
    void settled.then(() => this.tails.get(key) === settled && this.tails.delete(key));
    return next;
  }

  /** Settles when every piece asked for so far, for every key, has ended, however each ended. */
  async idleAll(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }

  /** Settles when every piece asked for `key` so far has ended, however each ended. */
  idle(key: string): Promise<void> {
    return this.tails.get(key) ?? Promise.resolve();
  }
}
