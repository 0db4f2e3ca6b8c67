import { mkdirSync } from 'node:fs';
import { open, type RootDatabase } from 'lmdb';
import { FencedOut, LocalLeases, type Fence } from './leases.ts';
import { versionOf, type StateNamespace, type StateStore, type Versioned } from './state-store.ts';

/** A stored record: its JSON text and when it expires (null: never). */
interface Stored {
  readonly raw: string;
  readonly expiresAt: number | null;
}

const SEP = '\u0000';
const recordKey = (ns: StateNamespace, id: string): string => `r${SEP}${ns}${SEP}${id}`;
const recordPrefix = (ns: StateNamespace): string => `r${SEP}${ns}${SEP}`;
const lengthKey = (log: string): string => `n${SEP}${log}`;
/** Log entries sort by their position: zero-padded so string order is number order. */
const entryKey = (log: string, i: number): string => `l${SEP}${log}${SEP}${String(i).padStart(12, '0')}`;
/** The highest character, to end a prefix range. */
const END = '\uffff';

const live = (s: Stored | undefined, now: number): s is Stored => s !== undefined && (s.expiresAt === null || s.expiresAt > now);

/**
 * The embedded default: state in an LMDB environment in the data directory, no service to run.
 * Every write is a transaction that is synced to disk before its promise resolves
 * (`overlappingSync: false`), so what was acknowledged survives a SIGKILL a moment later. Reads
 * are synchronous memory-mapped lookups. Values are stored as JSON text, as with Redis, so the
 * store never holds class instances. Appends to several logs commit in one transaction.
 */
export class EmbeddedStateStore implements StateStore {
  readonly description: string;
  /** One process owns the environment, so its leases live in memory and end with it. */
  readonly leases = new LocalLeases();

  private constructor(
    private readonly db: RootDatabase<Stored | string | number, string>,
    dir: string,
  ) {
    this.description = `embedded:${dir}`;
  }

  /** Opens (creating if need be) the store in `dir`, and drops records that have expired. */
  static async open(dir: string): Promise<EmbeddedStateStore> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const db = open<Stored | string | number, string>({ path: dir, overlappingSync: false, compression: false });
    const store = new EmbeddedStateStore(db, dir);
    await store.sweep();
    return store;
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    const expired: string[] = [];
    for (const { key, value } of this.db.getRange({ start: `r${SEP}`, end: `r${SEP}${END}` })) {
      if (!live(value as Stored, now)) expired.push(key);
    }
    if (expired.length > 0) await this.db.transaction(() => expired.forEach((k) => this.db.remove(k)));
  }

  async get<T>(ns: StateNamespace, id: string): Promise<T | null> {
    const s = this.db.get(recordKey(ns, id)) as Stored | undefined;
    return live(s, Date.now()) ? (JSON.parse(s.raw) as T) : null;
  }

  async put<T>(ns: StateNamespace, id: string, value: T, ttlMs?: number): Promise<void> {
    await this.db.put(recordKey(ns, id), { raw: JSON.stringify(value), expiresAt: ttlMs === undefined ? null : Date.now() + ttlMs });
  }

  async putFenced<T>(ns: StateNamespace, id: string, value: T, fence: Fence): Promise<void> {
    if (!this.leases.current(fence)) throw new FencedOut(fence);
    await this.put(ns, id, value);
  }

  async delete(ns: StateNamespace, id: string): Promise<void> {
    await this.db.remove(recordKey(ns, id));
  }

  async list<T>(ns: StateNamespace): Promise<T[]> {
    const now = Date.now();
    const out: T[] = [];
    for (const { value } of this.db.getRange({ start: recordPrefix(ns), end: `${recordPrefix(ns)}${END}` })) {
      const s = value as Stored;
      if (live(s, now)) out.push(JSON.parse(s.raw) as T);
    }
    return out;
  }

  async putIfVersion<T extends Versioned>(ns: StateNamespace, id: string, value: T, expected: number): Promise<boolean> {
    const key = recordKey(ns, id);
    // Read and write in one write transaction: no other writer can slip in between.
    return this.db.transaction(() => {
      const existing = this.db.get(key) as Stored | undefined;
      const stored = live(existing, Date.now()) ? (JSON.parse(existing.raw) as Versioned) : null;
      if (versionOf(stored) !== expected) return false;
      this.db.put(key, { raw: JSON.stringify(value), expiresAt: null });
      return true;
    });
  }

  async putIfAbsent<T>(ns: StateNamespace, id: string, value: T, ttlMs?: number): Promise<T | null> {
    const key = recordKey(ns, id);
    // Inside the write transaction, so no other claim can slip in between the read and the write.
    return this.db.transaction(() => {
      const now = Date.now();
      const existing = this.db.get(key) as Stored | undefined;
      if (live(existing, now)) return JSON.parse(existing.raw) as T;
      this.db.put(key, { raw: JSON.stringify(value), expiresAt: ttlMs === undefined ? null : now + ttlMs });
      return null;
    });
  }

  /** Appends inside the current write transaction; returns the log's new length. */
  private appendInTxn(log: string, entry: string): number {
    const n = (this.db.get(lengthKey(log)) as number | undefined) ?? 0;
    this.db.put(entryKey(log, n), entry);
    this.db.put(lengthKey(log), n + 1);
    return n + 1;
  }

  async append(log: string, entry: string): Promise<number> {
    return this.db.transaction(() => this.appendInTxn(log, entry));
  }

  async appendAll(entries: readonly { readonly log: string; readonly entry: string }[]): Promise<void> {
    await this.db.transaction(() => {
      for (const { log, entry } of entries) this.appendInTxn(log, entry);
    });
  }

  async appendAllIf(at: { log: string; length: number }, entries: readonly { readonly log: string; readonly entry: string }[]): Promise<boolean> {
    return this.db.transaction(() => {
      if (((this.db.get(lengthKey(at.log)) as number | undefined) ?? 0) !== at.length) return false;
      for (const { log, entry } of entries) this.appendInTxn(log, entry);
      return true;
    });
  }

  async readLog(log: string, last?: number): Promise<string[]> {
    const n = (this.db.get(lengthKey(log)) as number | undefined) ?? 0;
    const from = last === undefined ? 0 : Math.max(0, n - last);
    return [...this.db.getRange({ start: entryKey(log, from), end: entryKey(log, n) })].map(({ value }) => value as string);
  }

  async readLogFrom(log: string, from: number): Promise<string[]> {
    const n = (this.db.get(lengthKey(log)) as number | undefined) ?? 0;
    const start = Math.max(0, from);
    return start >= n ? [] : [...this.db.getRange({ start: entryKey(log, start), end: entryKey(log, n) })].map(({ value }) => value as string);
  }

  async entries<T>(ns: StateNamespace): Promise<[string, T][]> {
    const prefix = recordPrefix(ns);
    const out: [string, T][] = [];
    for (const { key, value } of this.db.getRange({ start: prefix, end: `${prefix}${END}` })) {
      const s = value as Stored;
      if (s.expiresAt === null) out.push([key.slice(prefix.length), JSON.parse(s.raw) as T]);
    }
    return out;
  }

  async logNames(): Promise<string[]> {
    return [...this.db.getKeys({ start: `n${SEP}`, end: `n${SEP}${END}` })].map((k) => k.slice(2));
  }

  async ping(): Promise<void> {
    // A read through the map: fails once the environment is closed.
    this.db.get(lengthKey(''));
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
