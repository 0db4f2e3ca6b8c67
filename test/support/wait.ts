import os from 'node:os';
import pLimit from 'p-limit';
/** The truthy part of a type. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 30_000, everyMs = 100): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as Truthy<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves after `ms`. Used only to let real time pass on the capture timeline, never to wait for a result. */
export const elapse = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * `fn` over `items` as many at a time as the machine has cores, results in the items' order.
 * Decoding what a hearing aired is FFmpeg work with nothing to wait for: done one segment at a
 * time it left a core idle for a minute at the end of the mask files.
 */
export async function mapOnCores<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const limit = pLimit(os.availableParallelism());
  return Promise.all(items.map((item, i) => limit(() => fn(item, i))));
}
