import type { Router } from 'express';
import { describe, expect, it } from 'vitest';
import { staffApi } from '../../server/http/api.ts';
import { publicApi } from '../../server/http/public-api.ts';
import { archiveApi } from '../../server/http/archive-api.ts';
import { openApiDocument } from '../../server/http/openapi.ts';
import { originRouter } from '../../server/http/origin.ts';
import { transparencyApi } from '../../server/http/transparency-api.ts';

/** The API routers as server/http/app.ts mounts them (deps are not touched while routes are declared). */
const none = {} as never;
const MOUNTED: readonly [string, Router][] = [
  ['/public', publicApi(none, () => '')],
  ['/hls', originRouter(none, none)],
  ['/api/archive', archiveApi(none)],
  ['/api', staffApi(none)],
  ['/transparency', transparencyApi(none)],
];

/** "METHOD /path/{param}" for every route a router declares itself (not its nested routers). */
function routesOf(prefix: string, router: Router): string[] {
  const stack = (router as unknown as { stack: { route?: { path: string; methods: Record<string, boolean> } }[] }).stack;
  return stack.flatMap((layer) => {
    if (!layer.route) return [];
    const route = layer.route;
    // Express writes params as :id and wildcards as {*rest}; the origin's catch-all is a pattern.
    const path = typeof route.path === 'string' ? route.path : '/{path}';
    const p = `${prefix}${path}`.replace(/:(\w+)/g, '{$1}').replace(/\{\*(\w+)\}/g, '{$1}').replace(/\/$/, '');
    return Object.keys(route.methods).filter((m) => m !== '_all').map((m) => `${m.toUpperCase()} ${p}`);
  });
}

describe('the OpenAPI document', () => {
  it('describes every route the API mounts', () => {
    const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
    const documented = new Set(Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    const mounted = MOUNTED.flatMap(([prefix, router]) => routesOf(prefix, router));
    expect(mounted.length).toBeGreaterThan(40);
    expect(mounted.filter((r) => !documented.has(r) && !documented.has(r.replace(/^HEAD /, 'GET ')))).toEqual([]);
  });
});
