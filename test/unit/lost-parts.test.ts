import { describe, expect, it } from 'vitest';
import { chain, type EntryBody, type ManifestEntry } from '../../recorder/manifest.ts';
import { missingParts } from '../../recorder/lost-parts.ts';

function build(bodies: EntryBody[]): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  for (const b of bodies) out.push(chain(out.at(-1) ?? null, b));
  return out;
}
const body = (kind: EntryBody['kind'], key: string, lostKeys?: string[]): EntryBody => ({ kind, key, size: 1, sha256: 'x', ...(lostKeys ? { lostKeys } : {}) });

describe('which parts of an archive can be declared lost', () => {
  const entries = build([body('master', 'master/m0001/000000.ts'), body('aired', 'aired/360p/4.ts'), body('master', 'master/m0001/000001.ts'), body('record', 'record.json'), body('lost', 'lost/1.json', ['master/m0001/000001.ts'])]);

  it('names the segments nowhere to be found, never what finalizing makes again nor what was declared already', async () => {
    const absent = new Set(['master/m0001/000000.ts', 'aired/360p/4.ts', 'master/m0001/000001.ts', 'record.json']);
    expect(await missingParts(entries, async (k) => !absent.has(k))).toEqual(['master/m0001/000000.ts', 'aired/360p/4.ts']);
  });

  it('names nothing when everything is there', async () => {
    expect(await missingParts(entries, async () => true)).toEqual([]);
  });

  it('declares nothing on a guess: a store that does not answer fails the whole question', async () => {
    await expect(missingParts(entries, async () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
  });
});
