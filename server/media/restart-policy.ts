/** Why a supervised process is being restarted. */
export interface RestartCause {
  readonly code: number | null;
  readonly signal: string | null;
  readonly failedToStart: boolean;
  readonly ranMs: number;
}

/**
 * Decides the delay before the next attempt, or `false` to give up. Attempts count consecutive
 * failures from 1; a run of `healthyMs` or longer was not a failure, so counting starts again.
 */
export type RestartPolicy = ((attempt: number, cause: RestartCause) => number | false) & { readonly healthyMs: number };

/**
 * Exponential backoff from `baseMs` to `maxMs`. A run that lasted `healthyMs` or longer counts as
 * healthy, so the next failure starts again from `baseMs`. `maxAttempts` caps consecutive failures
 * that never got going (for example a missing FFmpeg binary).
 */
export function backoffPolicy(o: { baseMs: number; maxMs: number; healthyMs: number; maxAttempts?: number }): RestartPolicy {
  const policy = (attempt: number, cause: RestartCause): number | false => {
    if (cause.failedToStart && o.maxAttempts !== undefined && attempt > o.maxAttempts) return false;
    if (cause.ranMs >= o.healthyMs) return o.baseMs;
    return Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, attempt - 1));
  };
  return Object.assign(policy, { healthyMs: o.healthyMs });
}
