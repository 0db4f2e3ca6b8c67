import { rateLimit, type Options } from 'express-rate-limit';
import { sendProblem } from './problem.ts';

/**
 * express-rate-limit with our error shape: a refused request gets problem+json with code
 * RATE_LIMITED (and the standard RateLimit and Retry-After headers), not the library's plain text.
 */
export function problemRateLimit(o: Pick<Options, 'windowMs' | 'limit'>): ReturnType<typeof rateLimit> {
  return rateLimit({
    ...o,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, res) => sendProblem(res, 'RATE_LIMITED', 'too many requests; wait a little and try again'),
  });
}
