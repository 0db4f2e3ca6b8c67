import { describe, expect, it } from 'vitest';
import { anchorOf, entryHash, GENESIS, verifyChain, type AuditEntry } from '../../server/audit/chain.ts';

const H = 'hg_chaintest0001';

/** A well-formed chain of `n` entries for hearing `h`, with its anchors. */
function chain(n: number, h = H, salt = ''): { raw: string[]; anchors: string[]; entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  let prev = GENESIS;
  for (let seq = 0; seq < n; seq++) {
    const body = {
      seq,
      at: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
      hearingId: h,
      actor: { kind: 'user' as const, userId: 'us_1', username: 'clerk', role: 'clerk' },
      action: seq % 2 ? 'pause' : 'start',
      params: { phase: 'on-air', nested: { b: 1, a: [2, { z: 0, y: 'é' }] }, salt },
      reason: seq % 2 ? 'witness' : null,
      effectiveAt: null,
      prevHash: prev,
    };
    const e = { ...body, hash: entryHash(body) };
    entries.push(e);
    prev = e.hash;
  }
  return { raw: entries.map((e) => JSON.stringify(e)), anchors: entries.map(anchorOf), entries };
}

describe('audit chain verification', () => {
  it('accepts an intact chain and reports its head', () => {
    const c = chain(5);
    expect(verifyChain(c.raw, { hearingId: H, anchors: c.anchors })).toEqual({ ok: true, entries: 5, head: { seq: 4, hash: c.entries[4]!.hash } });
  });

  it('hashes canonical JSON: key order does not matter, content does', () => {
    const c = chain(1);
    const e = c.entries[0]!;
    const reordered = Object.fromEntries(Object.entries(e).reverse()) as AuditEntry;
    expect(verifyChain([JSON.stringify(reordered)], { hearingId: H, anchors: c.anchors }).ok).toBe(true);
    const { hash: _h, ...body } = e;
    expect(entryHash({ ...body, params: { ...body.params, phase: 'cut' } })).not.toBe(e.hash);
  });

  it('names the first missing entry of a truncated chain', () => {
    const c = chain(6);
    const v = verifyChain(c.raw.slice(0, 4), { hearingId: H, anchors: c.anchors });
    expect(v).toMatchObject({ ok: false, badSeq: 4 });
    // Anchors cut too: the published head still tells.
    const head = { seq: 5, hash: c.entries[5]!.hash };
    expect(verifyChain(c.raw.slice(0, 4), { hearingId: H, anchors: c.anchors.slice(0, 4), head })).toMatchObject({ ok: false, badSeq: 4 });
  });

  it('names the first entry of a substituted chain, even one with consistent hashes', () => {
    const real = chain(5);
    const fake = chain(5, H, 'rewritten');
    // The forger keeps the first two entries and rebuilds the rest.
    const raw = [...real.raw.slice(0, 2), ...fake.raw.slice(2)];
    expect(verifyChain(raw, { hearingId: H, anchors: real.anchors })).toMatchObject({ ok: false, badSeq: 2 });
    expect(verifyChain(fake.raw, { hearingId: H, anchors: real.anchors })).toMatchObject({ ok: false, badSeq: 0 });
  });

  it('names the first entry out of place in a reordered chain', () => {
    const c = chain(5);
    const raw = [c.raw[0]!, c.raw[1]!, c.raw[3]!, c.raw[2]!, c.raw[4]!];
    expect(verifyChain(raw, { hearingId: H, anchors: c.anchors })).toMatchObject({ ok: false, badSeq: 2 });
  });

  it('refuses entries of another hearing, extra fields, and unanchored additions', () => {
    const other = chain(3, 'hg_someotherhearing');
    expect(verifyChain(other.raw, { hearingId: H, anchors: other.anchors })).toMatchObject({ ok: false, badSeq: 0 });
    const c = chain(3);
    const extra = JSON.stringify({ ...c.entries[1]!, note: 'added later' });
    expect(verifyChain([c.raw[0]!, extra, c.raw[2]!], { hearingId: H, anchors: c.anchors })).toMatchObject({ ok: false, badSeq: 1 });
    expect(verifyChain(c.raw, { hearingId: H, anchors: c.anchors.slice(0, 2) })).toMatchObject({ ok: false, badSeq: 2 });
    expect(verifyChain(['not json'], { hearingId: H, anchors: [] })).toMatchObject({ ok: false, badSeq: 0 });
  });
});
