import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_KEYS, loadConfig } from '../../config/load.ts';

/** The rows of docs/configuration.md's settings table: key, variables and default cells. */
function documentedRows(): { keys: string[]; vars: string[]; defaultCell: string }[] {
  const text = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const ticks = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
  return text
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => l.split('|').map((c) => c.trim()))
    .filter((cells) => cells.length >= 5 && /^`[a-zA-Z]/.test(cells[1] ?? '') && !(cells[1] ?? '').includes('/` |'))
    .map((cells) => {
      const vars = ticks(cells[2] ?? '');
      // `A_BUCKET`, `_REGION` names A_REGION: the shorthand continues the first name's prefix.
      const prefix = (vars[0] ?? '').replace(/_[A-Z0-9]+$/, '');
      return { keys: ticks(cells[1] ?? ''), vars: vars.map((v) => (v.startsWith('_') ? `${prefix}${v}` : v)), defaultCell: cells[3] ?? '' };
    })
    .filter((r) => r.keys.some((k) => /^[a-z]/.test(k) && !k.includes('/')));
}

const at = (obj: unknown, path: readonly string[]): unknown => path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);

/** The operator's reference is read when deploying: it must name every variable and say the defaults the code has. */
describe('docs/configuration.md', () => {
  const rows = documentedRows();
  const bare = loadConfig({ env: {} });
  // The S3 sections exist only when a bucket is named; named, they carry their own defaults.
  const defaults = loadConfig({ env: { COURTCAST_S3_BUCKET: 'archive-bucket', COURTCAST_PUBLIC_S3_BUCKET: 'public-bucket' } });

  it('names every environment variable the loader reads, on the row of the key it sets', () => {
    expect(rows.length).toBeGreaterThan(30);
    for (const [name, path] of Object.entries(ENV_KEYS)) {
      const row = rows.find((r) => r.vars.includes(name));
      expect(row, `${name} is not documented`).toBeDefined();
      const key = path.join('.');
      // A row may document a group (`stores.publicS3.*`) or two fields (`a.b` / `c`).
      const first = row!.keys[0] as string;
      const names = [first, ...row!.keys.slice(1).map((k) => `${first.replace(/[^.]+$/, '')}${k}`)];
      expect(names.some((k) => k === key || (k.endsWith('.*') && key.startsWith(k.slice(0, -1)))), `${name} sets ${key}, documented as ${row!.keys.join(' / ')}`).toBe(true);
    }
  });

  it('says the default the code has, wherever it gives one as a value', () => {
    let compared = 0;
    for (const r of rows) {
      const literal = /^`([^`]+)`$/.exec(r.defaultCell)?.[1];
      const key = r.keys[0] as string;
      if (r.keys.length !== 1 || key.endsWith('*')) continue;
      // "none" means unset: nothing is made up in its place.
      if (/^none\b/.test(r.defaultCell)) {
        expect(at(bare, key.split('.')), key).toBeUndefined();
        compared++;
        continue;
      }
      if (literal === undefined) continue;
      // A default that names another key (`http.host`) or derives from one (`<dataDir>/archive`)
      // is worked out where it is used: unset here.
      const names = literal.includes('<dataDir>') || (/^[a-z]+\.[a-zA-Z.]+$/.test(literal) && at(defaults, literal.split('.')) !== undefined);
      const value = at(defaults, key.split('.'));
      if (names) expect(value, key).toBeUndefined();
      else expect(String(value), key).toBe(literal);
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });
});
