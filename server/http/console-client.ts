import { z } from 'zod';
import type { AnyRoute } from './route-table.ts';

type Schema = { type?: string | string[]; enum?: unknown[]; const?: unknown; items?: Schema; properties?: Record<string, Schema>; required?: string[]; anyOf?: Schema[]; oneOf?: Schema[] };

/** A JSON Schema as a JSDoc type, as far as editors need it to check a call. */
function jsdoc(s: Schema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = s.anyOf ?? s.oneOf;
  if (union) return union.map(jsdoc).join(' | ');
  if (Array.isArray(s.type)) return s.type.map((t) => jsdoc({ ...s, type: t })).join(' | ');
  switch (s.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `Array<${s.items ? jsdoc(s.items) : 'unknown'}>`;
    case 'object': {
      const req = new Set(s.required ?? []);
      const fields = Object.entries(s.properties ?? {}).map(([k, v]) => `${k}${req.has(k) ? '' : '?'}: ${jsdoc(v)}`);
      return `{ ${fields.join(', ')} }`;
    }
    default:
      return 'unknown';
  }
}

/**
 * The console's client for a route table, as an ES module: one function per operation, named as
 * the table names it, with the path filled from checked-by-the-server parameters and JSDoc types
 * from the same schemas the server validates with. Generated (scripts/console-client.ts) and
 * checked by a test against the table, so the console cannot call a route that is not there.
 */
export function consoleClient(prefix: string, routes: readonly AnyRoute[]): string {
  const ops = routes
    .filter((r) => r.auth !== 'public' || r.body)
    .map((r) => {
      const params = Object.keys(r.params ?? {});
      const path = (prefix + r.path).replace(/:([A-Za-z]+)/g, (_m, n: string) => `\${encodeURIComponent(p.${n})}`);
      const args = [...(params.length ? ['p'] : []), ...(r.body ? ['body'] : [])];
      const docs = [
        `  /**`,
        `   * ${r.method.toUpperCase()} ${prefix}${r.path}: ${r.summary.replaceAll('*/', '* /')}`,
        ...(params.length ? [`   * @param {{ ${params.map((n) => `${n}: ${jsdoc(z.toJSONSchema((r.params ?? {})[n] as z.ZodType) as Schema)}`).join(', ')} }} p`] : []),
        ...(r.body ? [`   * @param {${jsdoc(z.toJSONSchema(r.body, { io: 'input' }) as Schema)}} body`] : []),
        `   */`,
      ];
      return [...docs, `  ${r.name}: (${args.join(', ')}) => api('${r.method.toUpperCase()}', \`${path}\`${r.body ? ', body' : ''}),`].join('\n');
    });
  return [
    '// Generated from the staff API route table (server/http/api.ts) by scripts/console-client.ts.',
    '// Do not edit: run `npx tsx scripts/console-client.ts` after changing a route.',
    '',
    '/**',
    ' * The staff API as functions, over `api(method, path, body)` (session.js), which signs and checks each call.',
    ' * @param {(method: string, path: string, body?: unknown) => Promise<any>} api',
    ' */',
    'export const staffClient = (api) => ({',
    ops.join('\n'),
    '});',
    '',
  ].join('\n');
}
