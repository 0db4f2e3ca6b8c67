import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { answerWithin, settleWithin } from '../server/domain/deadline.ts';
import type { Logger } from '../server/domain/logger.ts';
import { appendLineDurably, writeFileDurably } from '../server/store/durable-file.ts';
import type { StateStore } from '../server/store/state-store.ts';
import { relinked } from '../server/domain/hash-chain.ts';
import { chain, entryHash, GENESIS, type EntryBody, type ManifestEntry } from './manifest.ts';
import { Turns } from '../server/domain/turns.ts';

/** The state-store log holding a hearing's archive chain, whichever node entered each object. */
export const archiveLog = (hearingId: string): string => `archive:${hearingId}`;

export interface ArchiveChainOptions {
  readonly hearingId: string;
  /** This node's entries the store does not hold yet, one JSON line each, synced. */
  readonly journalFile: string;
  readonly state: StateStore;
  readonly logger: Logger;
  /** How long one store call may take before the entries are left waiting for the next flush. */
  readonly storeWaitMs?: number;
}

const BATCH = 200;

const parse = (raw: string): ManifestEntry => JSON.parse(raw) as ManifestEntry;
const bodyOf = (e: ManifestEntry): EntryBody => {
  const { n: _n, prev: _prev, hash: _hash, ...body } = e;
  return body;
};

/**
 * One hearing's archive chain, shared by every node that records part of it. An entry is on the
 * record once it is synced to this node's journal; it then goes to the state store with a
 * compare-and-append on the chain's length, so two nodes (the one that ran a hearing and the one
 * that took it over) never both extend the same link. When another node got there first, the
 * waiting entries are linked again after its entries (the journal is rewritten first), and an
 * object that is already on the chain is not entered twice. Entering never waits on the store:
 * while it is down, entries wait in the journal and a later flush stores them.
 */
export class ArchiveChain {
  /** The chain as the store held it when last read, plus what this node stored since. */
  private stored: ManifestEntry[] = [];
  /** This node's entries, linked after `stored`, waiting for the store. */
  private queued: ManifestEntry[] = [];
  private readonly keys = new Map<string, string>();
  private readonly local = new Turns();
  private flushing: Promise<boolean> | null = null;
  private next: Promise<boolean> | null = null;

  private constructor(private readonly o: ArchiveChainOptions) {}

  /** Reads the journal (entries a crash left waiting) and, if the store answers in time, the stored chain. */
  static async open(o: ArchiveChainOptions): Promise<ArchiveChain> {
    const c = new ArchiveChain(o);
    await mkdir(path.dirname(o.journalFile), { recursive: true });
    const text = await readFile(o.journalFile, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = parse(line);
        // A torn last line (a crash mid-write) is dropped; its object is entered again.
        if (entryHash(e) !== e.hash) break;
        c.queued.push(e);
      } catch {
        break;
      }
    }
    c.reindex();
    if (await settleWithin(c.pull().then(() => true), c.wait, false)) await c.relink();
    return c;
  }

  private get wait(): number {
    return this.o.storeWaitMs ?? 5_000;
  }

  private get log(): string {
    return archiveLog(this.o.hearingId);
  }

  /** Every entry this node knows of, in chain order: the stored ones, then its own waiting ones. */
  list(): readonly ManifestEntry[] {
    return [...this.stored, ...this.queued];
  }

  /** The same entries without copying them, for scans made once per released slot. */
  *entries(): Generator<ManifestEntry> {
    yield* this.stored;
    yield* this.queued;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Entries waiting for the store. */
  get waiting(): number {
    return this.queued.length;
  }

  private reindex(): void {
    this.keys.clear();
    for (const e of this.entries()) this.keys.set(e.key, e.sha256);
  }

  /** Local changes (entering, re-linking, the journal) one at a time. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    return this.local.run('chain', work);
  }

  /** Chains `body` after the last known entry and syncs it to the journal; the store gets it on the next flush. */
  enter(body: EntryBody): Promise<ManifestEntry> {
    return this.serially(async () => {
      const entry = chain(this.queued.at(-1) ?? this.stored.at(-1) ?? null, body);
      await appendLineDurably(this.o.journalFile, JSON.stringify(entry));
      this.queued.push(entry);
      this.keys.set(entry.key, entry.sha256);
      void this.flush();
      return entry;
    });
  }

  /**
   * Stores the waiting entries and reads what other nodes stored. True when the store holds every
   * entry this node made; false (they stay in the journal) when it did not answer.
   */
  flush(): Promise<boolean> {
    // One drain at a time; a request during one gets the next (shared by every such request), so
    // it covers entries entered meanwhile and a store that has come back.
    if (this.flushing) {
      this.next ??= this.flushing.then(() => {
        this.next = null;
        return this.flush();
      });
      return this.next;
    }
    this.flushing = this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async drain(): Promise<boolean> {
    try {
      for (let round = 0; round < 20; round++) {
        const batch = this.queued.slice(0, BATCH);
        if (batch.length === 0) {
          await this.within(this.pull());
          if (this.queued.length > 0) await this.relink();
          return this.queued.length === 0;
        }
        const first = batch[0] as ManifestEntry;
        const linked = await this.within(this.o.state.appendAllIf({ log: this.log, length: first.n }, batch.map((e) => ({ log: this.log, entry: JSON.stringify(e) }))));
        if (linked) {
          await this.serially(async () => {
            this.stored.push(...batch);
            this.queued.splice(0, batch.length);
            await this.rewriteJournal();
          });
          continue;
        }
        // Another node extended the chain (or an earlier write landed unanswered): read on, link after it.
        await this.within(this.pull());
        await this.relink();
      }
      return false;
    } catch (err) {
      this.o.logger.warn({ hearingId: this.o.hearingId, err, waiting: this.queued.length }, 'archive chain entries wait in the local journal: the state store did not take them');
      return false;
    }
  }

  private within<T>(p: Promise<T>): Promise<T> {
    return answerWithin(p, this.wait, 'the state store');
  }

  /** Reads the entries stored after the ones this node has (all of them if its copy no longer fits). */
  private async pull(): Promise<void> {
    const [raw] = await this.o.state.readLog(this.log, 1);
    if (raw === undefined) return;
    const count = parse(raw).n + 1;
    if (count <= this.stored.length) return;
    const tail = (await this.o.state.readLog(this.log, count - this.stored.length)).map(parse);
    const fits = tail[0]?.n === this.stored.length && tail[0]?.prev === (this.stored.at(-1)?.hash ?? GENESIS);
    await this.serially(async () => {
      this.stored = fits ? [...this.stored, ...tail] : (await this.o.state.readLog(this.log)).map(parse);
      this.reindex();
    });
  }

  /**
   * Links the waiting entries after the stored chain: same objects, new places and hashes. One
   * whose key the chain already has (stored by another node, or by this one before a crash) is
   * dropped. The journal is rewritten first, so a crash keeps the re-linked entries.
   */
  private relink(): Promise<void> {
    return this.serially(async () => {
      const storedKeys = new Map(this.stored.map((e) => [e.key, e.sha256]));
      const notStored = (e: ManifestEntry): boolean => {
        const there = storedKeys.get(e.key);
        if (there !== undefined && there !== e.sha256) this.o.logger.error({ hearingId: this.o.hearingId, key: e.key }, 'an archived object was entered by two nodes with different contents; the first stays on the chain');
        return there === undefined;
      };
      const moved = relinked(this.stored.at(-1) ?? null, this.queued, (prev, e) => chain(prev, bodyOf(e)), notStored);
      const same = moved.length === this.queued.length && moved.every((e, i) => e.hash === this.queued[i]?.hash);
      if (same) return;
      this.o.logger.warn({ hearingId: this.o.hearingId, waiting: moved.length, dropped: this.queued.length - moved.length, from: moved[0]?.n }, 'the archive chain moved on in the store: waiting entries were linked after it');
      this.queued = moved;
      this.reindex();
      await this.rewriteJournal();
    });
  }

  private async rewriteJournal(): Promise<void> {
    if (this.queued.length === 0) await rm(this.o.journalFile, { force: true });
    else await writeFileDurably(this.o.journalFile, this.queued.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
}
