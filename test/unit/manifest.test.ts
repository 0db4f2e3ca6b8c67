import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import HLS from 'hls-parser';
import { chain, GENESIS, signManifest, verifyManifest, type EntryBody, type ManifestEntry } from '../../recorder/manifest.ts';
import { airedPlaylist, masterInOrder } from '../../recorder/vod-playlist.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const objects = new Map<string, string>();

function build(bodies: EntryBody[]): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  for (const b of bodies) out.push(chain(out.at(-1) ?? null, b));
  return out;
}
const seg = (i: number, kind: EntryBody['kind'] = 'master'): EntryBody => {
  const key = `${kind}/${i}.ts`;
  objects.set(key, `bytes ${i}`);
  return { kind, key, size: `bytes ${i}`.length, sha256: sha(`bytes ${i}`), run: 1, index: i, durationSec: 2 };
};
const hasher = async (key: string) => {
  const v = objects.get(key);
  return v === undefined ? null : { sha256: sha(v), size: v.length };
};

describe('archive manifest', () => {
  const entries = build([0, 1, 2, 3].map((i) => seg(i)));
  const signed = signManifest('h1', entries, privateKey, true, new Date(0));

  it('chains each entry to the one before, from the genesis link', () => {
    expect(entries[0]?.prev).toBe(GENESIS);
    expect(entries.slice(1).every((e, i) => e.prev === entries[i]?.hash)).toBe(true);
    expect(new Set(entries.map((e) => e.hash)).size).toBe(4);
  });

  it('verifies as signed, with the objects', async () => {
    expect(await verifyManifest(signed, publicKey, hasher)).toMatchObject({ ok: true, signature: 'valid', entries: 4, checkedObjects: 4, findings: [] });
  });

  it('takes an interim seal only as an archive in progress, and always says whether the seal is final', async () => {
    expect(await verifyManifest(signed, publicKey)).toMatchObject({ ok: true, final: true, sealedAt: new Date(0).toISOString() });
    const interim = signManifest('h1', entries.slice(0, 2), privateKey, false, new Date(0));
    const asFinished = await verifyManifest(interim, publicKey);
    expect(asFinished).toMatchObject({ ok: false, final: false, signature: 'valid' });
    expect(asFinished.findings).toEqual([expect.objectContaining({ n: null, problem: expect.stringContaining('not final') })]);
    expect(await verifyManifest(interim, publicKey, undefined, { inProgress: true })).toMatchObject({ ok: true, final: false, findings: [] });
  });

  it('names an altered entry, a missing one, a changed seal and a missing object', async () => {
    const altered = { ...signed, entries: signed.entries.map((e, i) => (i === 1 ? { ...e, captureStart: 5 } : e)) };
    expect((await verifyManifest(altered, publicKey)).findings[0]).toMatchObject({ n: 1, problem: expect.stringContaining('altered') });
    const cut = { ...signed, entries: signed.entries.filter((_, i) => i !== 2) };
    expect((await verifyManifest(cut, publicKey)).findings.map((f) => f.n)).toEqual([null, 2]);
    const truncated = { ...signed, entries: signed.entries.slice(0, 3) };
    expect((await verifyManifest(truncated, publicKey)).findings).toEqual([expect.objectContaining({ n: null, problem: expect.stringContaining('counts 4') })]);
    const reSealed = { ...signed, seal: { ...signed.seal, count: 3 } };
    expect((await verifyManifest(reSealed, publicKey)).signature).toBe('invalid');
    objects.delete('master/3.ts');
    expect((await verifyManifest(signed, publicKey, hasher)).findings).toEqual([expect.objectContaining({ n: 3, problem: expect.stringContaining('missing') })]);
    objects.set('master/3.ts', 'bytes 3');
  });

  it('orders the master by run then index, and plays the as-aired slots with discontinuities at slates and holes', () => {
    const mixed = build([
      { ...seg(1), run: 2, index: 0 },
      { ...seg(0), run: 1, index: 5 },
    ]);
    expect(masterInOrder(mixed).map((e) => e.run)).toEqual([1, 2]);
    const aired = build([
      { kind: 'aired', key: 'aired/360p/0.ts', rung: '360p', seq: 0, outcome: 'aired', run: 1, size: 1, sha256: 'x', durationSec: 2 },
      { kind: 'aired', key: 'aired/360p/1.ts', rung: '360p', seq: 1, outcome: 'aired', run: 1, size: 1, sha256: 'x', durationSec: 2 },
      { kind: 'aired', key: 'aired/360p/2.ts', rung: '360p', seq: 2, outcome: 'interrupted', size: 1, sha256: 'x', durationSec: 2 },
      { kind: 'aired', key: 'aired/360p/4.ts', rung: '360p', seq: 4, outcome: 'aired', run: 1, size: 1, sha256: 'x', durationSec: 2 },
      { kind: 'aired', key: 'aired/audio/4.ts', rung: 'audio', seq: 4, outcome: 'aired', run: 1, size: 1, sha256: 'x', durationSec: 2 },
    ]);
    const text = airedPlaylist(aired, '360p', 2);
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(text).toContain('#EXT-X-ENDLIST');
    expect(text.match(/#EXT-X-DISCONTINUITY\n/g)?.length).toBe(2);
    expect(text.match(/\.ts/g)?.length).toBe(4);
    // Aired from the first segment: nothing to skip.
    expect(text).not.toContain('#EXT-X-START');
  });

  it('opens a replay where the broadcast began, past the slates aired before the start', () => {
    const entry = (seq: number, outcome: string) => ({ kind: 'aired' as const, key: `aired/360p/${seq}.ts`, rung: '360p', seq, outcome, ...(outcome === 'aired' ? { run: 1 } : {}), size: 1, sha256: 'x', durationSec: seq === 1 ? 1.5 : 2 });
    const text = airedPlaylist(build([entry(0, 'starting'), entry(1, 'starting'), entry(2, 'aired'), entry(3, 'paused'), entry(4, 'aired')]), '360p', 2);
    expect(text).toContain('#EXT-X-START:TIME-OFFSET=3.5');
    const parsed = HLS.parse(text) as InstanceType<typeof HLS.types.MediaPlaylist>;
    expect(parsed.start?.offset).toBe(3.5);
    expect(parsed.segments).toHaveLength(5);
  });
  it('reports an object declared lost later on the chain as lost, not missing, and excuses nothing else', async () => {
    const declaration = (keys: string[], i: number): EntryBody => {
      objects.set(`lost/${i}.json`, `declared ${i}`);
      return { kind: 'lost', key: `lost/${i}.json`, size: `declared ${i}`.length, sha256: sha(`declared ${i}`), lostKeys: keys };
    };
    const gone = 'master/20.ts';
    const early = 'master/21.ts';
    const chainOf = build([seg(20), declaration([early], 1), seg(21), seg(22), declaration([gone, 'master/22.ts'], 2)]);
    objects.delete(gone);
    objects.delete(early);
    const v = await verifyManifest(signManifest('h2', chainOf, privateKey, true, new Date(0)), publicKey, hasher);
    // 20 is excused by the later declaration; 21 was declared before it was entered, so it is
    // missing; 22 is named but there, so it is checked as any object.
    expect(v.lost).toEqual([{ n: 0, key: gone, declaredIn: 4 }]);
    expect(v.findings.map((f) => f.key)).toEqual([early]);
    expect(v.ok).toBe(false);
    expect(masterInOrder(chainOf).map((e) => e.key)).toEqual([early]);
  });
});
