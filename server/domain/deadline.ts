/**
 * Resolves with what `p` resolves to, or with `fallback` once `ms` pass or if it rejects: for a
 * caller that may ask a slow dependency but must not wait on it. The timer never keeps the
 * process alive.
 */
export function settleWithin<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    timer.unref();
    p.then(
      (v) => resolve(v),
      () => resolve(fallback),
    ).finally(() => clearTimeout(timer));
  });
}

/**
 * What `p` settles to, or a rejection once `ms` pass: for background work that must not hang on
 * a stalled dependency, and may retry later (the call itself is not cancelled).
 */
export function answerWithin<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
