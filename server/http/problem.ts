import type { ErrorRequestHandler, Response } from 'express';
import { z } from 'zod';
import { ERROR_CODES, isCourtcastError, type ErrorCode } from '../domain/errors.ts';
import type { Logger } from '../domain/logger.ts';

/** An RFC 9457 problem document. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ErrorCode;
  readonly detail?: string;
  readonly errors?: readonly { path: string; message: string }[];
}

/** Sends a problem+json response. */
export function sendProblem(res: Response, code: ErrorCode, detail?: string, extra?: Partial<Problem>): void {
  const status = ERROR_CODES[code];
  const body: Problem = {
    ...extra,
    type: `https://courtcast.example/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: code.replaceAll('_', ' ').toLowerCase(),
    status,
    code,
    ...(detail ? { detail } : {}),
  };
  res.status(status).type('application/problem+json').send(JSON.stringify(body));
}

const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Turns zod issues into a problem's `errors` list. */
export function zodErrors(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
}

/**
 * The last error handler: known failures keep their code; body-parser's JSON errors become 400;
 * anything else is logged and becomes a 500 that says nothing about internals.
 */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (res.headersSent) return;
    // A failure's details (the blockers of a refused broadcast, the bounds of D) are extension
    // members of the problem, where a client can act on them.
    if (isCourtcastError(err)) return sendProblem(res, err.code, err.message, isPlainObject(err.details) ? (err.details as Partial<Problem>) : undefined);
    if (err instanceof z.ZodError) return sendProblem(res, 'VALIDATION_FAILED', 'the request is invalid', { errors: zodErrors(err) });
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.parse.failed') return sendProblem(res, 'VALIDATION_FAILED', 'the body is not valid JSON');
    if (e.type === 'entity.too.large') return sendProblem(res, 'VALIDATION_FAILED', 'the body is too large');
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return sendProblem(res, 'VALIDATION_FAILED', 'bad request');
    logger.error({ err }, 'unhandled error in HTTP handler');
    sendProblem(res, 'INTERNAL', 'an internal error occurred');
  };
}
