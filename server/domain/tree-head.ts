/**
 * What the transparency log says and signs: the statements it keeps (every archive's final seal
 * and the audit head it recorded, every replay decision), and the signed tree head that fixes its
 * size and root. A monitor that kept an earlier head asks for a consistency proof to the newer
 * one: a log whose history was rewritten cannot give one. Pure.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import { leafHash, verifyInclusion } from './merkle.ts';

export const TREE_HEAD_FORMAT = 'courtcast-tree-head/1';

/** One statement of the log. Its leaf is the canonical JSON of it. */
export type LogStatement =
  /** A hearing archive's final seal, as its manifest signs it (the time it was signed aside: a seal made again after a failed finalizing pass is the same seal). */
  | { readonly kind: 'seal'; readonly hearingId: string; readonly count: number; readonly head: string; readonly keyId: string }
  /** A supervisor's decision about a replay: published or withheld. */
  | { readonly kind: 'replay'; readonly hearingId: string; readonly decision: string; readonly at: string }
  /**
   * A hearing's audit trail as its archive recorded it when sealed: its length, and the seq and
   * hash of its newest entry. Entries added later (replay decisions) extend it; an earlier one
   * changed no longer reaches this head.
   */
  | { readonly kind: 'audit'; readonly hearingId: string; readonly entries: number; readonly seq: number; readonly head: string };

/** The bytes a statement's leaf is the hash of. */
export const statementBytes = (s: LogStatement): Buffer => Buffer.from(canonicalize(s) ?? '');

/** A statement's leaf hash. */
export const statementLeaf = (s: LogStatement): Buffer => leafHash(statementBytes(s));

/** The log's size and root at a moment, signed. */
export interface TreeHead {
  readonly format: typeof TREE_HEAD_FORMAT;
  readonly treeSize: number;
  /** The root hash, hex. */
  readonly rootHash: string;
  readonly timestamp: string;
  /** SHA-256 of the signing public key (SPKI DER), hex: the archive's key. */
  readonly keyId: string;
}

export interface SignedTreeHead extends TreeHead {
  /** Ed25519 over the canonical JSON of the head without this field, base64. */
  readonly signature: string;
}

export function signTreeHead(head: TreeHead, privateKey: KeyObject): SignedTreeHead {
  return { ...head, signature: sign(null, Buffer.from(canonicalize(head) ?? ''), privateKey).toString('base64') };
}

/** Whether a tree head is signed by `publicKey` (and is one). */
export function treeHeadSigned(h: SignedTreeHead, publicKey: KeyObject): boolean {
  if (h?.format !== TREE_HEAD_FORMAT || !Number.isInteger(h.treeSize) || h.treeSize < 0 || !/^[0-9a-f]{64}$/.test(h.rootHash ?? '')) return false;
  const { signature, ...head } = h;
  try {
    return verify(null, Buffer.from(canonicalize(head) ?? ''), publicKey, Buffer.from(signature ?? '', 'base64'));
  } catch {
    return false;
  }
}

/** A statement's inclusion in a head's tree, as the log answers it (hashes hex). */
export interface InclusionAnswer {
  readonly index: number;
  readonly statement: LogStatement;
  readonly leafHash: string;
  readonly auditPath: readonly string[];
  readonly head: SignedTreeHead;
}

/** Whether an answer proves its statement in a head signed by `publicKey`: every hash recomputed here, none taken from the answer. */
export function provesInclusion(a: InclusionAnswer, publicKey: KeyObject): boolean {
  if (!treeHeadSigned(a.head, publicKey) || !Array.isArray(a.auditPath) || !a.auditPath.every((p) => /^[0-9a-f]{64}$/.test(p))) return false;
  const leaf = statementLeaf(a.statement);
  return verifyInclusion(a.index, a.head.treeSize, leaf, a.auditPath.map((p) => Buffer.from(p, 'hex')), Buffer.from(a.head.rootHash, 'hex'));
}

/** A seal as the log keeps it. */
export const sealStatement = (seal: { readonly hearingId: string; readonly count: number; readonly head: string; readonly keyId: string }): LogStatement => ({ kind: 'seal', hearingId: seal.hearingId, count: seal.count, head: seal.head, keyId: seal.keyId });

/**
 * The audit statement of a hearing record (its `auditVerdict`, as the finalizer wrote it), or
 * null when the record holds no verified, non-empty trail.
 */
export function auditHeadOf(hearingId: string, record: unknown): LogStatement | null {
  const v = (record as { auditVerdict?: { ok?: unknown; entries?: unknown; head?: { seq?: unknown; hash?: unknown } | null } } | null)?.auditVerdict;
  if (v?.ok !== true || !Number.isInteger(v.entries) || !Number.isInteger(v.head?.seq) || typeof v.head?.hash !== 'string') return null;
  return { kind: 'audit', hearingId, entries: v.entries as number, seq: v.head.seq as number, head: v.head.hash };
}

/** What the log says of an archive's seal. */
export type SealInLog =
  | { readonly found: 'this-seal'; readonly index: number; readonly treeSize: number }
  | { readonly found: 'another-seal'; readonly seals: readonly { readonly count: number; readonly head: string }[] }
  | { readonly found: 'none' };

/**
 * Whether the log's proven seals of a hearing include this archive's seal, another one (the
 * archive was rolled back to an earlier seal, or rewritten and sealed again), or none. Answers
 * whose proof does not hold are ignored, as if the log had not given them. Pure.
 */
export function sealInLog(seal: { readonly hearingId: string; readonly count: number; readonly head: string; readonly keyId: string }, answers: readonly InclusionAnswer[], publicKey: KeyObject): SealInLog {
  const mine = statementLeaf(sealStatement(seal));
  const proven = answers.filter((a) => a.statement?.kind === 'seal' && a.statement.hearingId === seal.hearingId && provesInclusion(a, publicKey));
  const match = proven.find((a) => statementLeaf(a.statement).equals(mine));
  if (match) return { found: 'this-seal', index: match.index, treeSize: match.head.treeSize };
  const others = proven.flatMap((a) => (a.statement.kind === 'seal' ? [{ count: a.statement.count, head: a.statement.head }] : []));
  return others.length > 0 ? { found: 'another-seal', seals: others } : { found: 'none' };
}
