/**
 * A live hearing's checkpoint: what the public has been served so far, as a hash chain of its
 * segments (each rung's file of each slot, in the order they were published) whose head and count
 * are signed with the archive's key. It is written beside the playlists before they name a slot,
 * so a viewer's player can check each segment it receives against the court's signature within
 * seconds, as the replay is checked against the archive's seal. Pure.
 */
import canonicalize from 'canonicalize';
import { canonicalHash, GENESIS } from './hash-chain.ts';

export const CHECKPOINT_FORMAT = 'courtcast-live-checkpoint/1';

/** One published file: its key below the hearing's public folder (`180p/12.ts`), size and SHA-256. */
export interface CheckpointBody {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
}

export type CheckpointEntry = CheckpointBody & { readonly n: number; readonly prev: string; readonly hash: string };

/** The signed statement: the chain's length and head, at a moment. */
export interface CheckpointStatement {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly hearingId: string;
  /** Names one run of the writer: a node that takes a hearing over starts a chain of its own. */
  readonly chain: string;
  readonly count: number;
  readonly head: string;
  readonly issuedAt: string;
  readonly keyId: string;
}

/** What is published: the statement, its signature, and the newest entries up to the head. */
export interface LiveCheckpoint {
  readonly checkpoint: CheckpointStatement;
  /** Ed25519 over the canonical JSON of `checkpoint`, base64. */
  readonly signature: string;
  readonly entries: readonly CheckpointEntry[];
}

/** Signs with the archive's key (the caller holds it): base64 Ed25519 over `data`. */
export interface CheckpointSigner {
  readonly keyId: string;
  sign(data: Buffer): string;
}

/** Links `body` after `prev` (null for the first entry). */
export function linkCheckpoint(prev: CheckpointEntry | null, body: CheckpointBody): CheckpointEntry {
  const linked = { key: body.key, size: body.size, sha256: body.sha256, n: prev ? prev.n + 1 : 0, prev: prev ? prev.hash : GENESIS };
  return { ...linked, hash: canonicalHash(linked) };
}

/**
 * The checkpoint of a chain whose newest entries are `recent` (contiguous, oldest first; the whole
 * chain is `count` long), signed now.
 */
export function signCheckpoint(o: { readonly hearingId: string; readonly chain: string; readonly recent: readonly CheckpointEntry[]; readonly at: Date }, signer: CheckpointSigner): LiveCheckpoint {
  const last = o.recent.at(-1);
  const checkpoint: CheckpointStatement = { format: CHECKPOINT_FORMAT, hearingId: o.hearingId, chain: o.chain, count: last ? last.n + 1 : 0, head: last?.hash ?? GENESIS, issuedAt: o.at.toISOString(), keyId: signer.keyId };
  return { checkpoint, signature: signer.sign(Buffer.from(canonicalize(checkpoint) ?? '')), entries: o.recent };
}
