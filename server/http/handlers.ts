import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { sendProblem, zodErrors } from './problem.ts';

/** Parses with a schema, or answers 400 problem+json and returns undefined. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, res: Response): z.infer<S> | undefined {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  sendProblem(res, 'VALIDATION_FAILED', 'the request is invalid', { errors: zodErrors(r.error) });
  return undefined;
}

/** Wraps an async handler so a rejection reaches the problem handler. */
export const route =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) =>
    void fn(req, res).catch(next);
