import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CourtcastError } from '../../server/domain/errors.ts';
import { staffRoutes } from '../../server/http/api.ts';
import { consoleClient } from '../../server/http/console-client.ts';
import { problemHandler } from '../../server/http/problem.ts';
import { defineRoute, mountRoutes, openApiPaths } from '../../server/http/route-table.ts';

/** Signs every request in as the principal its x-roles header names (none: 401). */
const fakeSignIn: RequestHandler = (req, res, next) => {
  const roles = req.get('x-roles');
  if (!roles) return next(new CourtcastError('UNAUTHORIZED', 'sign in'));
  res.locals.principal = { userId: 'u', username: 'u', roles: roles.split(','), courtroomIds: [], courtIds: [] };
  next();
};

const seen: unknown[] = [];
const table = [
  defineRoute({
    method: 'post', path: '/things/:id', name: 'addThing', auth: ['admin'], summary: 'Add a thing', params: { id: z.string().regex(/^t_\d+$/) }, body: z.object({ n: z.number().int() }).strict(), ok: { status: 201, description: 'thing' },
    handler: async ({ params, body, principal }) => {
      seen.push({ id: params.id, n: body.n, who: principal.userId });
      return { id: params.id, n: body.n };
    },
  }),
  defineRoute({ method: 'delete', path: '/things/:id', name: 'dropThing', auth: 'staff', summary: 'Drop a thing', params: { id: z.string() }, ok: { status: 204, description: 'gone' }, handler: async () => 'ignored' }),
];

let base = '';
let close: () => void = () => undefined;
beforeAll(async () => {
  const app = express();
  app.use(express.json());
  const router = express.Router();
  mountRoutes(router, table, fakeSignIn);
  app.use('/api', router);
  app.use(problemHandler(pino({ level: 'silent' })));
  const server = app.listen(0);
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  close = () => server.close();
});
afterAll(() => close());

const call = (method: string, path: string, roles: string | null, body?: unknown) =>
  fetch(base + path, { method, headers: { ...(roles ? { 'x-roles': roles } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });

describe('a route table mounted on Express', () => {
  it('checks sign-in, then the role, then the parameters and the body, before the handler runs', async () => {
    seen.length = 0;
    expect((await call('POST', '/things/t_1', null, { n: 1 })).status).toBe(401);
    expect((await call('POST', '/things/t_1', 'clerk', { n: 1 })).status).toBe(403);
    const badParam = await call('POST', '/things/x', 'admin', { n: 1 });
    expect(badParam.status).toBe(400);
    expect(badParam.headers.get('content-type')).toContain('application/problem+json');
    expect((await call('POST', '/things/t_1', 'admin', { n: 1.5 })).status).toBe(400);
    expect((await call('POST', '/things/t_1', 'admin', { n: 1, extra: true })).status).toBe(400);
    expect(seen).toEqual([]);
    const ok = await call('POST', '/things/t_7', 'admin', { n: 3 });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ id: 't_7', n: 3 });
    expect(seen).toEqual([{ id: 't_7', n: 3, who: 'u' }]);
  });

  it('answers 204 with no body whatever the handler returns', async () => {
    const r = await call('DELETE', '/things/t_1', 'clerk');
    expect(r.status).toBe(204);
    expect(await r.text()).toBe('');
  });

  it('refuses at start a route whose path parameters and schemas differ', () => {
    const r = defineRoute({ method: 'get', path: '/a/:id/:other', name: 'a', auth: 'staff', summary: 'a', params: { id: z.string() }, ok: { status: 200, description: 'a' }, handler: async () => null });
    expect(() => mountRoutes(express.Router(), [r], fakeSignIn)).toThrow(/path parameters/);
  });

  it('documents each route with its schemas, its sign-in and its operation name', () => {
    const doc = openApiPaths('/api', table)['/api/things/{id}'] as Record<string, { operationId: string; security?: unknown; parameters: { name: string }[]; requestBody?: unknown; responses: Record<string, unknown> }>;
    expect(doc.post?.operationId).toBe('addThing');
    expect(doc.post?.security).toEqual([{ staffToken: [] }]);
    expect(doc.post?.parameters.map((p) => p.name)).toEqual(['id']);
    expect(doc.post?.requestBody).toBeDefined();
    expect(Object.keys(doc.post?.responses ?? {})).toContain('201');
  });
});

describe("the console's client", () => {
  it('is generated from the staff API table as it stands (run scripts/console-client.ts after changing a route)', () => {
    const committed = readFileSync(new URL('../../console/staff-api.js', import.meta.url), 'utf8');
    expect(committed).toBe(consoleClient('/api', staffRoutes({} as never)));
  });

  it('calls only operations the table has', () => {
    const names = new Set(staffRoutes({} as never).map((r) => r.name));
    const used = ['app.js', 'governance.js', 'session.js'].flatMap((f) => [...readFileSync(new URL(`../../console/${f}`, import.meta.url), 'utf8').matchAll(/\bstaff(?:Client\(api\))?\.([a-zA-Z]+)\(/g)].map((m) => m[1] as string));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((n) => !names.has(n))).toEqual([]);
  });
});
