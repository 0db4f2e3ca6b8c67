import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { Principal, Role } from '../domain/users.ts';
import { principalOf, requireRole } from './auth.ts';
import { parse, route } from './handlers.ts';

/** An HTTP method the API uses. */
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Path parameters: each one's schema, by name. */
type ParamShape = Record<string, z.ZodType>;

/** What a handler is given: checked parameters and body, and who asks (null on a public route). */
export interface RouteInput<P extends ParamShape, B extends z.ZodType | undefined> {
  readonly params: { readonly [K in keyof P]: z.infer<P[K]> };
  readonly body: B extends z.ZodType ? z.infer<B> : undefined;
  readonly principal: Principal;
  readonly req: Request;
  readonly res: Response;
}

/**
 * One operation of the API, declared once: Express mounts it, OpenAPI documents it and the
 * console's client calls it, all from this. The handler answers with the response body (sent
 * as JSON with `ok.status`), or writes the response itself (media, files) and answers undefined.
 */
export interface RouteDef<P extends ParamShape = ParamShape, B extends z.ZodType | undefined = z.ZodType | undefined> {
  readonly method: Method;
  /** Express syntax, relative to where the table is mounted: `/hearings/:id`. */
  readonly path: string;
  /** A name for the console's client and OpenAPI's operationId. */
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  /** `public` needs no sign-in; `staff` any signed-in account; a role list only those roles. */
  readonly auth: 'public' | 'staff' | readonly Role[];
  readonly params?: P;
  readonly body?: B;
  readonly ok: { readonly status: 200 | 201 | 204; readonly description: string };
  /** Middleware run before the handler, after sign-in (rate limits, further checks). */
  readonly before?: readonly RequestHandler[];
  readonly handler: (input: RouteInput<P, B>) => Promise<unknown>;
}

/** A route with its types erased, as tables hold them. */
export type AnyRoute = RouteDef<ParamShape, z.ZodType | undefined>;

/** Declares a route, keeping its parameter and body types for the handler. */
export const defineRoute = <P extends ParamShape = Record<never, z.ZodType>, B extends z.ZodType | undefined = undefined>(r: RouteDef<P, B>): AnyRoute => r as unknown as AnyRoute;

/** Where the path parameters of an Express path are. */
const paramNames = (path: string): string[] => [...path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);

/**
 * Mounts a table on a router. Every route is checked here at start: a path parameter without a
 * schema, or a schema for a parameter the path lacks, throws, so no handler reads an unchecked one.
 */
export function mountRoutes(router: Router, routes: readonly AnyRoute[], authenticate: RequestHandler): void {
  for (const r of routes) {
    const names = paramNames(r.path);
    const declared = Object.keys(r.params ?? {});
    if (names.length !== declared.length || names.some((n) => !declared.includes(n))) throw new Error(`route ${r.method.toUpperCase()} ${r.path}: its path parameters and its schemas differ`);
    const access: RequestHandler[] = r.auth === 'public' ? [] : r.auth === 'staff' ? [authenticate] : [authenticate, requireRole(...r.auth)];
    router[r.method](
      r.path,
      ...access,
      ...(r.before ?? []),
      route(async (req, res) => {
        const params: Record<string, unknown> = {};
        for (const n of names) {
          const v = parse((r.params as ParamShape)[n] as z.ZodType, req.params[n], res);
          if (v === undefined) return;
          params[n] = v;
        }
        let body: unknown = undefined;
        if (r.body) {
          body = parse(r.body, req.body ?? {}, res);
          if (body === undefined) return;
        }
        const principal = (r.auth === 'public' ? null : principalOf(res)) as Principal;
        const out = await r.handler({ params, body, principal, req, res } as RouteInput<ParamShape, z.ZodType | undefined>);
        if (res.headersSent) return;
        if (r.ok.status === 204) res.status(204).end();
        else res.status(r.ok.status).json(out ?? null);
      }),
    );
  }
}

const problem = { description: 'problem+json', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
/** The problem+json answers every API operation may give. */
export const PROBLEMS = { '400': problem, '401': problem, '403': problem, '404': problem, '409': problem, '422': problem, '429': problem, '503': problem };

/** A JSON request body as OpenAPI describes it, from the schema that validates it. */
export const jsonBody = (schema: z.ZodType) => ({ content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } } });

/** The OpenAPI paths of a table mounted at `prefix`. */
export function openApiPaths(prefix: string, routes: readonly AnyRoute[]): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = prefix + r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const roles = Array.isArray(r.auth) ? ` (${(r.auth as readonly Role[]).join(', ')})` : '';
    (paths[path] ??= {})[r.method] = {
      operationId: r.name,
      summary: r.summary + roles,
      ...(r.description ? { description: r.description } : {}),
      ...(r.auth === 'public' ? {} : { security: [{ staffToken: [] }] }),
      parameters: Object.entries(r.params ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, schema: z.toJSONSchema(schema) })),
      ...(r.body ? { requestBody: jsonBody(r.body) } : {}),
      responses: { [String(r.ok.status)]: { description: r.ok.description }, ...PROBLEMS },
    };
  }
  return paths;
}

/** What the console's client needs of each route: its name, method, path and parameter names. */
export function clientTable(prefix: string, routes: readonly AnyRoute[]): { name: string; method: string; path: string; params: string[]; body: boolean }[] {
  return routes.map((r) => ({ name: r.name, method: r.method.toUpperCase(), path: prefix + r.path, params: paramNames(r.path), body: r.body !== undefined }));
}
