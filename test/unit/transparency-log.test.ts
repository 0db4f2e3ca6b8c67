import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TransparencyLog } from '../../server/audit/transparency-log.ts';
import { verifyConsistency } from '../../server/domain/merkle.ts';
import { provesInclusion, sealInLog, sealStatement, treeHeadSigned, type InclusionAnswer } from '../../server/domain/tree-head.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const seal = (hearingId: string, count: number, head = 'ab'.repeat(32)) => ({ hearingId, count, head, keyId: 'k'.repeat(64) });
const hex = (xs: readonly string[]) => xs.map((x) => Buffer.from(x, 'hex'));

describe('the transparency log', () => {
  it('appends each statement once, signs its heads, and proves each entry in them', async () => {
    const state = new MemoryStateStore();
    const log = new TransparencyLog({ state, privateKey });
    expect(await log.append(sealStatement(seal('h1', 10)))).toBe(0);
    expect(await log.append({ kind: 'replay', hearingId: 'h1', decision: 'published', at: '2026-12-06T00:00:00.000Z' })).toBe(1);
    // A finalizing pass run again seals the same chain: nothing new is logged.
    expect(await log.append(sealStatement(seal('h1', 10)))).toBe(0);
    // Another node's log object sees the same entries.
    const elsewhere = new TransparencyLog({ state, privateKey });
    expect(await elsewhere.append(sealStatement(seal('h2', 4)))).toBe(2);
    const head = await log.head();
    expect(head.treeSize).toBe(3);
    expect(treeHeadSigned(head, publicKey)).toBe(true);
    expect(treeHeadSigned(head, other.publicKey)).toBe(false);
    expect(treeHeadSigned({ ...head, treeSize: 2 }, publicKey)).toBe(false);
    for (let i = 0; i < 3; i++) expect(provesInclusion(await log.inclusion(i), publicKey), `entry ${i}`).toBe(true);
    await expect(log.inclusion(3)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('proves every later head consistent with every earlier one', async () => {
    const log = new TransparencyLog({ state: new MemoryStateStore(), privateKey });
    const heads = [];
    for (let i = 0; i < 9; i++) {
      await log.append(sealStatement(seal(`h${i}`, i + 1)));
      heads.push(await log.head());
    }
    for (const a of heads) {
      for (const b of heads.filter((h) => h.treeSize >= a.treeSize)) {
        const proof = await log.consistency(a.treeSize, b.treeSize);
        expect(verifyConsistency(a.treeSize, b.treeSize, Buffer.from(a.rootHash, 'hex'), Buffer.from(b.rootHash, 'hex'), hex(proof)), `${a.treeSize} → ${b.treeSize}`).toBe(true);
      }
    }
    await expect(log.consistency(3, 10)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('tells this archive’s seal from another seal of the hearing and from none, ignoring answers whose proof fails', async () => {
    const log = new TransparencyLog({ state: new MemoryStateStore(), privateKey });
    await log.append(sealStatement(seal('h0', 3)));
    await log.append(sealStatement(seal('h1', 136)));
    const answers = [await log.inclusion(1)];
    expect(sealInLog(seal('h1', 136), answers, publicKey)).toEqual({ found: 'this-seal', index: 1, treeSize: 2 });
    // An earlier seal put in place of the final one (67 of 136 entries), or one rewritten.
    expect(sealInLog(seal('h1', 67, 'cd'.repeat(32)), answers, publicKey)).toEqual({ found: 'another-seal', seals: [{ count: 136, head: 'ab'.repeat(32) }] });
    expect(sealInLog(seal('h9', 1), [], publicKey)).toEqual({ found: 'none' });
    // A forged answer: the statement changed, the head signed by another key, the path altered.
    const forged: InclusionAnswer[] = [
      { ...answers[0]!, statement: sealStatement(seal('h1', 67, 'cd'.repeat(32))) },
      { ...answers[0]!, head: { ...answers[0]!.head, signature: Buffer.alloc(64).toString('base64') } },
      { ...answers[0]!, auditPath: answers[0]!.auditPath.map(() => '00'.repeat(32)) },
    ];
    for (const f of forged) expect(provesInclusion(f, publicKey)).toBe(false);
    expect(sealInLog(seal('h1', 67, 'cd'.repeat(32)), forged, publicKey)).toEqual({ found: 'none' });
  });
});
