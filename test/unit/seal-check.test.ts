import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as player from '../../player/seal-check.js';
import { chain, signManifest, type ManifestEntry } from '../../recorder/manifest.ts';
import { TransparencyLog } from '../../server/audit/transparency-log.ts';
import { inclusionProof, leafHash, rootOf, verifyInclusion } from '../../server/domain/merkle.ts';
import { sealStatement, statementLeaf } from '../../server/domain/tree-head.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';

const court = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const pem = (k: typeof court) => k.publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** A chain of `n` aired entries, as the recorder chains them. */
function chainOf(n: number): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  for (let i = 0; i < n; i++) out.push(chain(out.at(-1) ?? null, { kind: 'aired', key: `aired/180p/${i}.ts`, size: 100 + i, sha256: createHash('sha256').update(String(i)).digest('hex'), captureStart: 1_000 * i, captureEnd: 1_000 * (i + 1) }));
  return out;
}

/**
 * The player's checks (player/seal-check.js, WebCrypto) run here in Node against what the server
 * signs and logs: they must agree with the server's own verifier on every proof, and refuse what
 * it refuses.
 */
describe('the player’s seal and log checks', () => {
  it('computes the same leaves and agrees with the server on every inclusion proof of trees of 1 to 20 leaves, and on altered ones', async () => {
    for (let size = 1; size <= 20; size++) {
      const leaves = Array.from({ length: size }, () => leafHash(randomBytes(8)));
      const root = rootOf(leaves);
      for (let i = 0; i < size; i++) {
        const proof = inclusionProof(i, leaves);
        expect(await player.verifyInclusion(i, size, leaves[i]!, proof, root), `${i} of ${size}`).toBe(true);
        const bent = proof.map((p, k) => (k === proof.length - 1 ? Buffer.from(p.map((b, j) => (j === 0 ? b ^ 1 : b))) : p));
        const claims: [number, number, Buffer, readonly Buffer[]][] = [[(i + 1) % size, size, leaves[i]!, proof], [i, size + 1, leaves[i]!, proof], [i, size, leaves[(i + 1) % size]!, proof], [i, size, leaves[i]!, bent], [i, size, leaves[i]!, proof.slice(1)], [-1, size, leaves[i]!, proof]];
        for (const [index, n, leaf, path] of claims) {
          expect(await player.verifyInclusion(index, n, leaf, path, root), `${i} of ${size} claimed as ${index} of ${n}`).toBe(verifyInclusion(index, n, leaf, path, root));
        }
        if (proof.length > 0) expect(await player.verifyInclusion(i, size, leaves[i]!, bent, root)).toBe(false);
      }
    }
    const statement = sealStatement({ hearingId: 'h1', count: 3, head: 'cd'.repeat(32), keyId: 'k'.repeat(64) });
    expect(Buffer.from(await player.statementLeaf(statement)).equals(statementLeaf(statement))).toBe(true);
  });

  it('finds a final seal in the court’s log, tells another seal of the hearing from none, and ignores proofs that do not hold', async () => {
    const key = (await player.importArchiveKey(pem(court)))!;
    const log = new TransparencyLog({ state: new MemoryStateStore(), privateKey: court.privateKey });
    const entries = chainOf(6);
    const manifest = signManifest('h1', entries, court.privateKey, true, new Date());
    const checked = await player.checkSeal(JSON.parse(JSON.stringify(manifest)), key);
    expect(checked.ok).toBe(true);
    const seal = manifest.seal;
    await log.append(sealStatement({ ...seal, hearingId: 'h0' }));
    await log.append({ kind: 'replay', hearingId: 'h0', decision: 'published', at: '2026-12-06T00:00:00.000Z' });
    expect(await player.sealInLog(seal, [], key)).toEqual({ found: 'none' });
    const at = await log.append(sealStatement(seal));
    await log.append(sealStatement({ ...seal, hearingId: 'h2' }));
    const answer = JSON.parse(JSON.stringify(await log.inclusion(at)));
    expect(await player.sealInLog(seal, [answer], key)).toEqual({ found: 'this-seal', index: 2, treeSize: 4 });
    // Rewritten (one entry fewer) and signed again with the court's own key: the player takes the
    // signature, and the log says the court sealed something else.
    const rewritten = signManifest('h1', entries.slice(0, -1), court.privateKey, true, new Date());
    const again = await player.checkSeal(JSON.parse(JSON.stringify(rewritten)), key);
    expect(again.ok).toBe(true);
    expect(await player.sealInLog(rewritten.seal, [answer], key)).toEqual({ found: 'another-seal' });
    // Proofs that do not hold count for nothing: a head signed by another key, a root changed, a
    // path cut short, an answer about another hearing.
    const forged = [
      { ...answer, head: { ...answer.head, signature: Buffer.from(new Uint8Array(64)).toString('base64') } },
      { ...answer, head: { ...answer.head, rootHash: 'ee'.repeat(32) } },
      { ...answer, auditPath: answer.auditPath.slice(1) },
      { ...answer, index: answer.index + 1 },
      { ...answer, statement: { ...answer.statement, hearingId: 'h9' } },
      null,
      'nonsense',
    ];
    for (const f of forged) expect(await player.sealInLog(seal, [f], key), JSON.stringify(f)).toEqual({ found: 'none' });
    expect(await player.sealInLog(seal, 'not a list', key)).toEqual({ found: 'none' });
    const theirs = (await player.importArchiveKey(pem(stranger)))!;
    expect(await player.sealInLog(seal, [answer], theirs)).toEqual({ found: 'none' });
  });
});
