import { rm } from 'node:fs/promises';
import { settleWithin } from '../domain/deadline.ts';
import { CourtcastError } from '../domain/errors.ts';
import type { Logger } from '../domain/logger.ts';
import { appendLineDurably, writeFileDurably } from '../store/durable-file.ts';
import type { StateStore } from '../store/state-store.ts';
import { relinked } from '../domain/hash-chain.ts';
import { readSpool, spoolFileOf } from './spool.ts';
import { anchorsLog, entriesLog, headRecords, publishedHead, verifyStoredChain } from './stored-chain.ts';
import { anchorOf, entryHash, GENESIS, linkAfter, type AuditActor, type AuditEntry, type AuditHead, type AuditVerdict } from './chain.ts';
import { Turns } from '../domain/turns.ts';

export { userActor, verifyChain, entryHash, GENESIS } from './chain.ts';
export { publishedHead, verifyStoredChain } from './stored-chain.ts';
export type { AuditActor, AuditEntry, AuditHead, AuditVerdict } from './chain.ts';

/** What an auditor records for one action or event. */
export interface AuditInput {
  readonly actor: AuditActor;
  readonly action: string;
  readonly params?: Record<string, unknown>;
  readonly reason?: string | null;
  /** The capture-time instant at which it took effect (ms since the epoch), if it has one. */
  readonly effectiveAt?: number | null;
}

/** An appended entry, and whether the state store holds it yet (it is on local disk either way). */
export interface AuditReceipt {
  readonly entry: AuditEntry;
  readonly stored: boolean;
}

/** Options of the audit trail. */
export interface AuditTrailOptions {
  /** Where entries wait, fsynced, until the state store takes them. */
  readonly spoolDir: string;
  readonly logger: Logger;
  readonly now?: () => number;
  /** How long an append waits for the store before answering "spooled, not stored yet". */
  readonly storeWaitMs?: number;
}

/**
 * The chain that records changes to staff accounts (who may act, and who made them an approver).
 * It cannot collide with a hearing's chain: hearing ids have a prefix and an underscore.
 */
export const STAFF_TRAIL = 'staff';

/** Entries per hearing kept in memory for consoles. */
const RECENT = 20;

/**
 * The append-only, hash-chained audit trail, one chain per hearing. An entry is on the record
 * once it is fsynced to a local spool file; it then goes to the state store, together with its
 * anchor (a second log of `seq:hash`) in one transaction, and the head is published as the
 * hearing's audit head. While the store is down entries wait in the spool, in order, and are
 * flushed when it returns (also after a restart). Appends for a hearing are serialised in this
 * process, since one node owns a live hearing.
 */
export class AuditTrail {
  private readonly heads = new Map<string, AuditHead>();
  private readonly queued = new Map<string, AuditEntry[]>();
  private readonly writing = new Turns();
  private readonly flushing = new Map<string, Promise<void>>();
  /** Hearings whose last store write may or may not have landed: re-read the store first. */
  private readonly uncertain = new Set<string>();
  private readonly recentEntries = new Map<string, AuditEntry[]>();
  private readonly now: () => number;
  private retryTimer: NodeJS.Timeout | null = null;
  private spoolFailed = false;

  constructor(
    private readonly state: StateStore,
    private readonly o: AuditTrailOptions,
  ) {
    this.now = o.now ?? Date.now;
  }

  private spoolFile(hearingId: string): string {
    return spoolFileOf(this.o.spoolDir, hearingId);
  }

  /** Picks up entries spooled before a restart and flushes them; retries every second from now on. */
  async start(): Promise<void> {
    for (const [hearingId, entries] of await readSpool(this.o.spoolDir)) {
      this.queued.set(hearingId, entries);
      this.uncertain.add(hearingId);
      const last = entries[entries.length - 1] as AuditEntry;
      this.heads.set(hearingId, { seq: last.seq, hash: last.hash });
      void this.flush(hearingId);
    }
    this.retryTimer = setInterval(() => {
      for (const id of this.queued.keys()) void this.flush(id);
    }, 1_000);
    this.retryTimer.unref();
  }

  /**
   * Whether an entry for this hearing can be put on the record now: its chain head is known and
   * the spool takes writes. Commands that would put more on air ask first and are refused if not.
   */
  async ready(hearingId: string): Promise<boolean> {
    if (this.spoolFailed) return false;
    try {
      await this.head(hearingId);
      return true;
    } catch {
      return false;
    }
  }

  private async head(hearingId: string): Promise<AuditHead | null> {
    const known = this.heads.get(hearingId);
    if (known) return known;
    const [raw] = await this.state.readLog(entriesLog(hearingId), 1);
    if (raw === undefined) return null;
    const last = JSON.parse(raw) as AuditEntry;
    const head = { seq: last.seq, hash: last.hash };
    this.heads.set(hearingId, head);
    return head;
  }

  /**
   * Appends an entry. Resolves once it is fsynced to the spool (so it is on the record), saying
   * whether the store holds it yet; rejects only when it could not be recorded at all.
   */
  async append(hearingId: string, input: AuditInput): Promise<AuditReceipt> {
    const entry = await this.serially(hearingId, () => this.write(hearingId, input));
    const stored = await settleWithin(
      this.flush(hearingId).then(() => this.stored(hearingId, entry.seq)).then(() => true),
      this.o.storeWaitMs ?? 1_000,
      false,
    );
    return { entry, stored };
  }

  /** Runs spool work for one hearing in order: appends, and the spool's removal once flushed. */
  private serially<T>(hearingId: string, work: () => Promise<T>): Promise<T> {
    return this.writing.run(hearingId, work);
  }

  private async write(hearingId: string, input: AuditInput): Promise<AuditEntry> {
    let head: AuditHead | null;
    try {
      head = await this.head(hearingId);
    } catch (err) {
      throw new CourtcastError('STORE_UNAVAILABLE', 'the audit trail cannot be read, so nothing can be added to it', undefined, { cause: err });
    }
    const body: Omit<AuditEntry, 'hash'> = {
      seq: head ? head.seq + 1 : 0,
      at: new Date(this.now()).toISOString(),
      hearingId,
      actor: input.actor,
      action: input.action,
      params: input.params ?? {},
      reason: input.reason ?? null,
      effectiveAt: input.effectiveAt === undefined || input.effectiveAt === null ? null : new Date(input.effectiveAt).toISOString(),
      prevHash: head?.hash ?? GENESIS,
    };
    const entry: AuditEntry = { ...body, hash: entryHash(body) };
    try {
      await appendLineDurably(this.spoolFile(hearingId), JSON.stringify(entry));
      this.spoolFailed = false;
    } catch (err) {
      this.spoolFailed = true;
      throw new CourtcastError('STORE_UNAVAILABLE', 'the audit trail cannot be written to disk', undefined, { cause: err });
    }
    this.heads.set(hearingId, { seq: entry.seq, hash: entry.hash });
    const queue = this.queued.get(hearingId) ?? [];
    queue.push(entry);
    this.queued.set(hearingId, queue);
    const recent = [...(this.recentEntries.get(hearingId) ?? []), entry];
    this.recentEntries.set(hearingId, recent.slice(-RECENT));
    return entry;
  }

  private async stored(hearingId: string, seq: number): Promise<void> {
    if ((this.queued.get(hearingId) ?? []).some((e) => e.seq <= seq)) throw new Error('not stored yet');
  }

  /** Moves spooled entries of a hearing to the store, oldest first; one flush per hearing at a time. */
  private flush(hearingId: string): Promise<void> {
    // A flush already running may have passed entries queued since; go again once it ends.
    const running = this.flushing.get(hearingId);
    if (running) return running.then(() => this.flush(hearingId));
    const run = this.drain(hearingId).finally(() => this.flushing.delete(hearingId));
    this.flushing.set(hearingId, run);
    return run;
  }

  private async drain(hearingId: string): Promise<void> {
    const queue = this.queued.get(hearingId);
    try {
      if (queue && this.uncertain.has(hearingId)) {
        await this.dropStored(hearingId, queue);
        this.uncertain.delete(hearingId);
      }
      while (queue && queue.length > 0) {
        const entry = queue[0] as AuditEntry;
        this.uncertain.add(hearingId);
        const linked = await this.state.appendAllIf({ log: entriesLog(hearingId), length: entry.seq }, [
          { log: entriesLog(hearingId), entry: JSON.stringify(entry) },
          { log: anchorsLog(hearingId), entry: anchorOf(entry) },
        ]);
        this.uncertain.delete(hearingId);
        if (!linked) {
          // Another node extended the chain since this one read its head: link on after it.
          await this.serially(hearingId, () => this.rebase(hearingId, queue));
          continue;
        }
        await headRecords(this.state).put(hearingId, { seq: entry.seq, hash: entry.hash, at: entry.at });
        queue.shift();
      }
    } catch (err) {
      this.o.logger.warn({ hearingId, err, waiting: queue?.length ?? 0 }, 'audit entries wait in the local spool: the state store did not take them');
      return;
    }
    // Everything spooled is stored; removing the spool goes in line with appends, so a line
    // appended meanwhile is never removed with it. A crash before this only means a re-check.
    await this.serially(hearingId, async () => {
      if (!queue || queue.length > 0 || this.queued.get(hearingId) !== queue) return;
      this.queued.delete(hearingId);
      await rm(this.spoolFile(hearingId), { force: true });
    });
  }

  /**
   * After a write whose outcome is unknown (or a restart), drops the queued entries the store
   * already holds, recognised by their hashes (their place may have moved on another node).
   */
  private async dropStored(hearingId: string, queue: AuditEntry[]): Promise<void> {
    const [raw] = await this.state.readLog(entriesLog(hearingId), 1);
    const storedSeq = raw === undefined ? -1 : (JSON.parse(raw) as AuditEntry).seq;
    const first = queue[0];
    if (!first || storedSeq < first.seq) return;
    const tail = await this.state.readLog(entriesLog(hearingId), storedSeq - first.seq + 1);
    const stored = new Set(tail.map((r) => (JSON.parse(r) as AuditEntry).hash));
    const left = queue.filter((e) => !stored.has(e.hash));
    queue.splice(0, queue.length, ...left);
  }

  /**
   * Re-links the waiting entries after the stored head: same content, new places and hashes.
   * The spool is rewritten with them first, so a crash keeps the re-linked chain.
   */
  private async rebase(hearingId: string, queue: AuditEntry[]): Promise<void> {
    const [raw] = await this.state.readLog(entriesLog(hearingId), 1);
    const moved = relinked(raw === undefined ? null : (JSON.parse(raw) as AuditEntry), queue, linkAfter);
    const prev = moved.at(-1);
    await writeFileDurably(this.spoolFile(hearingId), moved.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const renamed = new Map(queue.map((e, i) => [e.hash, moved[i] as AuditEntry]));
    queue.splice(0, queue.length, ...moved);
    if (prev) this.heads.set(hearingId, { seq: prev.seq, hash: prev.hash });
    this.recentEntries.set(hearingId, (this.recentEntries.get(hearingId) ?? []).map((e) => renamed.get(e.hash) ?? e));
    this.o.logger.warn({ hearingId, entries: moved.length, from: moved[0]?.seq }, 'another node extended the audit chain: waiting entries were linked after its entries');
  }

  /** Entries of every hearing still waiting for the store. */
  get backlog(): number {
    let n = 0;
    for (const q of this.queued.values()) n += q.length;
    return n;
  }

  /** Every stored entry of a hearing's chain, oldest first. */
  async list(hearingId: string): Promise<AuditEntry[]> {
    return (await this.state.readLog(entriesLog(hearingId))).map((r) => JSON.parse(r) as AuditEntry);
  }

  /** The newest `n` stored entries of a hearing's chain, oldest first. */
  async tail(hearingId: string, n: number): Promise<AuditEntry[]> {
    return (await this.state.readLog(entriesLog(hearingId), n)).map((r) => JSON.parse(r) as AuditEntry);
  }

  /** The newest entries this node wrote for a hearing (at most a few dozen), stored or not. */
  recent(hearingId: string, n: number): AuditEntry[] {
    return (this.recentEntries.get(hearingId) ?? []).slice(-n);
  }

  /** The head published for a hearing: the seq and hash its chain must reach. */
  publishedHead(hearingId: string): Promise<AuditHead | null> {
    return publishedHead(this.state, hearingId);
  }

  /** Verifies a hearing's stored chain against its anchors and published head. */
  verify(hearingId: string): Promise<AuditVerdict> {
    return verifyStoredChain(this.state, hearingId);
  }

  /** Stops retrying; what is spooled stays on disk for the next start. */
  close(): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
  }
}
