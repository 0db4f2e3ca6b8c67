import canonicalize from 'canonicalize';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { CourtcastError } from '../domain/errors.ts';
import { consistencyProof, inclusionProof, leafHash, rootOf } from '../domain/merkle.ts';
import { signTreeHead, statementBytes, TREE_HEAD_FORMAT, type LogStatement, type SignedTreeHead } from '../domain/tree-head.ts';
import type { StateStore } from '../store/state-store.ts';
import { keyIdOf } from '../domain/key-id.ts';

/** The log's entries in the state store: one append-only list, shared by every node. */
export const TRANSPARENCY_LOG = 'transparency';

/** A statement's place in the log and the proof that a head's tree holds it. */
export interface Inclusion {
  readonly index: number;
  readonly statement: LogStatement;
  /** The leaf hash, hex. */
  readonly leafHash: string;
  /** The audit path, hex, leaf side first (RFC 9162 PATH). */
  readonly auditPath: readonly string[];
  readonly head: SignedTreeHead;
}

/**
 * A transparency log of what the court seals and decides, as RFC 9162 keeps certificates: an
 * append-only list in the state store (the embedded default and Redis alike), a Merkle tree over
 * it, signed tree heads, and proofs of inclusion and of consistency that anyone can check with the
 * RFC's algorithms and the archive's public key. Appending the same statement twice keeps the
 * first (a finalizing pass run again logs nothing new).
 */
export class TransparencyLog {
  /** The entries read so far and their leaf hashes: the log only grows, so only its tail is read again. */
  private entries: string[] = [];
  private leaves: Buffer[] = [];
  private readonly keyId: string;

  constructor(private readonly o: { readonly state: StateStore; readonly privateKey: KeyObject; readonly now?: () => number }) {
    this.keyId = keyIdOf(createPublicKey(o.privateKey));
  }

  /**
   * Reads what other nodes appended since, from the last entry already read on: every player
   * starting a replay asks for a proof, and the whole log read each time would grow with every
   * hearing the court ever sealed.
   */
  private async sync(): Promise<void> {
    const n = this.entries.length;
    let fresh = await this.o.state.readLogFrom(TRANSPARENCY_LOG, Math.max(0, n - 1));
    if (n > 0 && fresh[0] === this.entries[n - 1]) fresh = fresh.slice(1);
    else if (n > 0) {
      // The entry read last is gone or changed: this is not the log that was read. Start over
      // from what the store holds now, and let monitors see it.
      [this.entries, this.leaves] = [[], []];
      fresh = await this.o.state.readLog(TRANSPARENCY_LOG);
    }
    for (const e of fresh) {
      this.entries.push(e);
      this.leaves.push(leafHash(Buffer.from(e)));
    }
  }

  /** Appends a statement unless the log holds it already; answers its index. */
  async append(s: LogStatement): Promise<number> {
    const text = canonicalize(s) ?? '';
    await this.sync();
    const known = this.entries.indexOf(text);
    if (known >= 0) return known;
    const length = await this.o.state.append(TRANSPARENCY_LOG, statementBytes(s).toString());
    return length - 1;
  }

  /** The newest tree head, signed. */
  async head(): Promise<SignedTreeHead> {
    await this.sync();
    return this.headOf(this.leaves.length);
  }

  private headOf(size: number): SignedTreeHead {
    return signTreeHead({ format: TREE_HEAD_FORMAT, treeSize: size, rootHash: rootOf(this.leaves.slice(0, size)).toString('hex'), timestamp: new Date((this.o.now ?? Date.now)()).toISOString(), keyId: this.keyId }, this.o.privateKey);
  }

  /** Entries `start` up to (not including) `end`, as logged. */
  async range(start: number, end: number): Promise<LogStatement[]> {
    await this.sync();
    return this.entries.slice(start, end).map((e) => JSON.parse(e) as LogStatement);
  }

  /** Where the log holds statements matching `match`, oldest first. */
  async find(match: (s: LogStatement) => boolean): Promise<number[]> {
    await this.sync();
    return this.entries.flatMap((e, i) => (match(JSON.parse(e) as LogStatement) ? [i] : []));
  }

  /** The proof that the newest head's tree holds entry `index`. */
  async inclusion(index: number): Promise<Inclusion> {
    await this.sync();
    if (!Number.isInteger(index) || index < 0 || index >= this.leaves.length) throw new CourtcastError('NOT_FOUND', `the log has no entry ${index}`);
    return {
      index,
      statement: JSON.parse(this.entries[index] as string) as LogStatement,
      leafHash: (this.leaves[index] as Buffer).toString('hex'),
      auditPath: inclusionProof(index, this.leaves).map((b) => b.toString('hex')),
      head: this.headOf(this.leaves.length),
    };
  }

  /** The proof that the tree of `first` entries is a prefix of the tree of `second` (RFC 9162 consistency). */
  async consistency(first: number, second: number): Promise<readonly string[]> {
    await this.sync();
    if (!Number.isInteger(first) || !Number.isInteger(second) || first < 0 || second < first || second > this.leaves.length) throw new CourtcastError('NOT_FOUND', `the log has no trees of ${first} and ${second} entries (it has ${this.leaves.length})`);
    return consistencyProof(first, this.leaves.slice(0, second)).map((b) => b.toString('hex'));
  }
}
