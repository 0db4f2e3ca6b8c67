import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { consistencyProof, inclusionProof, leafHash, rootOf, verifyConsistency, verifyInclusion } from '../../server/domain/merkle.ts';

/*
 * An independent reading of RFC 9162 section 2.1, written here and sharing nothing with the
 * module: the tree hash straight from its definition, and proofs checked by rebuilding the roots
 * recursively from the proof's end (the module checks them with the RFC's bit-walking algorithms).
 */
const H = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);
function largestPowerBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function mth(data: Buffer[]): Buffer {
  if (data.length === 0) return H();
  if (data.length === 1) return H(LEAF, data[0]!);
  const k = largestPowerBelow(data.length);
  return H(NODE, mth(data.slice(0, k)), mth(data.slice(k)));
}
/** The root an audit path leads to from a leaf hash, or null when the path has the wrong length. */
function rootFromPath(index: number, size: number, leaf: Buffer, path: Buffer[]): Buffer | null {
  if (size === 1) return path.length === 0 ? leaf : null;
  if (path.length === 0) return null;
  const k = largestPowerBelow(size);
  const sibling = path[path.length - 1]!;
  const rest = path.slice(0, -1);
  const below = index < k ? rootFromPath(index, k, leaf, rest) : rootFromPath(index - k, size - k, leaf, rest);
  return below === null ? null : index < k ? H(NODE, below, sibling) : H(NODE, sibling, below);
}
/** The old and new roots a consistency proof rebuilds (the old one given where it is a whole subtree), or null. */
function rootsFromProof(m: number, n: number, oldRoot: Buffer, proof: Buffer[]): { old: Buffer; new: Buffer } | null {
  const walk = (m: number, n: number, whole: boolean, p: Buffer[]): { old: Buffer; new: Buffer; rest: Buffer[] } | null => {
    if (m === n) {
      if (whole) return { old: oldRoot, new: oldRoot, rest: p };
      return p.length === 0 ? null : { old: p[p.length - 1]!, new: p[p.length - 1]!, rest: p.slice(0, -1) };
    }
    if (p.length === 0) return null;
    const k = largestPowerBelow(n);
    const sibling = p[p.length - 1]!;
    if (m <= k) {
      const r = walk(m, k, whole, p.slice(0, -1));
      return r && { old: r.old, new: H(NODE, r.new, sibling), rest: r.rest };
    }
    const r = walk(m - k, n - k, false, p.slice(0, -1));
    return r && { old: H(NODE, sibling, r.old), new: H(NODE, sibling, r.new), rest: r.rest };
  };
  const r = walk(m, n, true, proof);
  return r && r.rest.length === 0 ? { old: r.old, new: r.new } : null;
}

const data = (n: number) => Array.from({ length: n }, (_, i) => Buffer.from(`seal ${i}`));
const flip = (b: Buffer) => Buffer.from(b.map((x, i) => (i === 0 ? x ^ 1 : x)));

describe('the transparency log’s Merkle tree (RFC 9162)', () => {
  it('hashes trees of every size up to 40 as the RFC defines them, the empty one included', () => {
    for (let n = 0; n <= 40; n++) expect(rootOf(data(n).map(leafHash)).toString('hex'), `${n} leaves`).toBe(mth(data(n)).toString('hex'));
  });

  it('proves each leaf of every tree up to 33 leaves, and no leaf at another place, in another tree, or with a changed path', () => {
    for (let n = 1; n <= 33; n++) {
      const leaves = data(n).map(leafHash);
      const root = rootOf(leaves);
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(i, leaves);
        expect(rootFromPath(i, n, leaves[i]!, proof)?.equals(root), `leaf ${i} of ${n}, by the test's reading`).toBe(true);
        expect(verifyInclusion(i, n, leaves[i]!, proof, root), `leaf ${i} of ${n}`).toBe(true);
        if (n > 1) {
          expect(verifyInclusion((i + 1) % n, n, leaves[i]!, proof, root)).toBe(false);
          expect(verifyInclusion(i, n, leaves[i]!, [...proof.slice(0, -1), flip(proof.at(-1)!)], root)).toBe(false);
          expect(verifyInclusion(i, n, leaves[i]!, proof.slice(0, -1), root)).toBe(false);
        }
        expect(verifyInclusion(i, n, flip(leaves[i]!), proof, root)).toBe(false);
        expect(verifyInclusion(i, n + 1, leaves[i]!, proof, rootOf([...leaves, leafHash(Buffer.from('more'))]))).toBe(false);
      }
    }
  });

  it('proves every earlier tree a prefix of every later one up to 33 leaves, and catches a rewritten history', () => {
    for (let n = 1; n <= 33; n++) {
      const leaves = data(n).map(leafHash);
      const root = rootOf(leaves);
      for (let m = 1; m <= n; m++) {
        const old = rootOf(leaves.slice(0, m));
        const proof = consistencyProof(m, leaves);
        const rebuilt = rootsFromProof(m, n, old, proof);
        expect(rebuilt?.old.equals(old) && rebuilt.new.equals(root), `${m} → ${n}, by the test's reading`).toBe(true);
        expect(verifyConsistency(m, n, old, root, proof), `${m} → ${n}`).toBe(true);
        if (m < n) {
          // A history with one earlier leaf changed: its head cannot be shown consistent with the new one.
          const forked = rootOf(leaves.slice(0, m).map((l, i) => (i === m - 1 ? leafHash(Buffer.from('rewritten')) : l)));
          expect(verifyConsistency(m, n, forked, root, proof), `forked ${m} → ${n}`).toBe(false);
          expect(verifyConsistency(m, n, old, root, proof.map((p, i) => (i === 0 ? flip(p) : p))), `altered proof ${m} → ${n}`).toBe(false);
          expect(verifyConsistency(m, n, old, flip(root), proof)).toBe(false);
        }
      }
    }
  });

  it('refuses proofs for trees and leaves that do not exist', () => {
    const leaves = data(5).map(leafHash);
    expect(() => inclusionProof(5, leaves)).toThrow(RangeError);
    expect(() => consistencyProof(6, leaves)).toThrow(RangeError);
    expect(verifyInclusion(-1, 5, leaves[0]!, inclusionProof(0, leaves), rootOf(leaves))).toBe(false);
    expect(verifyConsistency(5, 4, rootOf(leaves), rootOf(leaves.slice(0, 4)), [])).toBe(false);
    expect(verifyConsistency(3, 5, rootOf(leaves.slice(0, 3)), rootOf(leaves), [])).toBe(false);
  });
});
