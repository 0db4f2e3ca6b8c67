import type { RequestHandler } from 'express';
import type { Metrics } from '../service/operations/metrics.ts';
import { sameSecret } from '../domain/same-secret.ts';
import { sendProblem } from './problem.ts';


/**
 * GET /metrics for Prometheus, behind a bearer token of its own (a staff token is short-lived
 * and names a person; a scraper is neither). Without a configured token the route does not exist.
 */
export function metricsRoute(metrics: Metrics, token: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (!token) return sendProblem(res, 'NOT_FOUND', 'metrics are off: set metrics.token to scrape them');
    const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    if (!sameSecret(given, token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      return sendProblem(res, 'UNAUTHORIZED', 'a valid metrics token is required');
    }
    metrics
      .text()
      .then((text) => {
        res.setHeader('Cache-Control', 'no-store');
        res.type(metrics.contentType).send(text);
      })
      .catch(next);
  };
}
