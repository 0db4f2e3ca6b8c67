/**
 * The Merkle tree of a transparency log, as RFC 9162 (Certificate Transparency 2.0, section 2.1)
 * defines it: leaves and interior nodes hashed apart (a 0x00 or 0x01 prefix), a tree of n leaves
 * split at the largest power of two below n, inclusion proofs (a leaf is in the tree a head
 * names) and consistency proofs (a tree extends an earlier one, nothing in it rewritten). Anyone
 * can check both with the RFC's algorithms, and with nothing of ours. Pure; SHA-256.
 */
import { createHash } from 'node:crypto';

const sha256 = (...parts: readonly Buffer[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** The hash of a leaf: SHA-256(0x00 || data). */
export const leafHash = (data: Buffer): Buffer => sha256(Buffer.of(0), data);

/** The hash of an interior node: SHA-256(0x01 || left || right). */
export const nodeHash = (left: Buffer, right: Buffer): Buffer => sha256(Buffer.of(1), left, right);

/** The largest power of two smaller than n (n > 1). */
const split = (n: number): number => 2 ** Math.floor(Math.log2(n - 1));

/** The root of the tree over `leaves` (leaf hashes, in order): MTH in the RFC. The empty tree's is SHA-256 of nothing. */
export function rootOf(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0] as Buffer;
  const k = split(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

/** The audit path of leaf `index` in the tree over `leaves`, leaf side first (PATH in the RFC). */
export function inclusionProof(index: number, leaves: readonly Buffer[]): Buffer[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`no leaf ${index} in a tree of ${leaves.length}`);
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return index < k ? [...inclusionProof(index, leaves.slice(0, k)), rootOf(leaves.slice(k))] : [...inclusionProof(index - k, leaves.slice(k)), rootOf(leaves.slice(0, k))];
}

/** The proof that the tree over the first `m` leaves is a prefix of the tree over all of them (PROOF in the RFC). */
export function consistencyProof(m: number, leaves: readonly Buffer[]): Buffer[] {
  if (!Number.isInteger(m) || m < 0 || m > leaves.length) throw new RangeError(`no tree of ${m} leaves in one of ${leaves.length}`);
  if (m === 0 || m === leaves.length) return [];
  const sub = (m: number, d: readonly Buffer[], whole: boolean): Buffer[] => {
    if (m === d.length) return whole ? [] : [rootOf(d)];
    const k = split(d.length);
    return m <= k ? [...sub(m, d.slice(0, k), whole), rootOf(d.slice(k))] : [...sub(m - k, d.slice(k), false), rootOf(d.slice(0, k))];
  };
  return sub(m, leaves, true);
}

/**
 * Whether `proof` shows the leaf hashed `leaf` at `index` in a tree of `size` leaves whose root is
 * `root` (RFC 9162, 2.1.3.2).
 */
export function verifyInclusion(index: number, size: number, leaf: Buffer, proof: readonly Buffer[], root: Buffer): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else r = nodeHash(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/**
 * Whether `proof` shows the tree of `size2` leaves rooted at `root2` extending the one of `size1`
 * rooted at `root1`, nothing of it changed (RFC 9162, 2.1.4.2).
 */
export function verifyConsistency(size1: number, size2: number, root1: Buffer, root2: Buffer, proof: readonly Buffer[]): boolean {
  if (!Number.isInteger(size1) || !Number.isInteger(size2) || size1 < 0 || size2 < size1) return false;
  if (size1 === size2) return proof.length === 0 && root1.equals(root2);
  if (size1 === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  // A first tree that is a whole subtree of the second is its own first node.
  const path = (size1 & (size1 - 1)) === 0 ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Buffer;
  let sr = path[0] as Buffer;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else sr = nodeHash(sr, c);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(root1) && sr.equals(root2);
}
