import type { Fence, Leases } from './leases.ts';

/** Namespaces of the state store; one per kind of record. */
export const STATE_NAMESPACES = ['courts', 'courtrooms', 'hearings', 'programs', 'releases', 'users', 'pending', 'idempotency', 'audit-heads', 'archives', 'unfinished-archives', 'unsealing-orders', 'replays', 'public-stats', 'governance', 'encoders', 'aired', 'deployment', 'usernames'] as const;
/** A namespace of the state store. */
export type StateNamespace = (typeof STATE_NAMESPACES)[number];

/** A record that carries its version: how many times it was written through `putIfVersion`. */
export interface Versioned {
  readonly version?: number;
}

/** The version of a stored record (0 when absent or written before versions). */
export const versionOf = (r: Versioned | null | undefined): number => r?.version ?? 0;

/**
 * Durable JSON records by namespace and id, plus append-only logs. In memory for the embedded
 * default, Redis in production; one contract test suite runs against both. Values are plain
 * JSON: the store never holds class instances.
 */
export interface StateStore {
  /** A label for logs. */
  readonly description: string;
  /** The stored value, unchecked (null when absent): read it through `Records` and its codec. */
  get(ns: StateNamespace, id: string): Promise<unknown>;
  /** Stores a record; with `ttlMs` it expires. */
  put(ns: StateNamespace, id: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(ns: StateNamespace, id: string): Promise<void>;
  list(ns: StateNamespace): Promise<unknown[]>;
  /**
   * Stores `value` only if nothing is stored under the id, atomically. Returns null when it
   * stored, or the value already there. With `ttlMs` the record expires.
   */
  putIfAbsent(ns: StateNamespace, id: string, value: unknown, ttlMs?: number): Promise<unknown>;
  /**
   * Compare-and-set on a versioned record: stores `value` (whose `version` should be
   * `expected + 1`) only if the stored record's `version` is `expected` (an absent record, or one
   * written before versions, counts as 0), atomically. False, and nothing stored, when another
   * writer got there first: the caller reads again and reapplies its change, so no update is lost.
   */
  putIfVersion<T extends Versioned>(ns: StateNamespace, id: string, value: T, expected: number): Promise<boolean>;
  /**
   * Stores a record only while `fence` carries the newest token of its hearing's lease;
   * rejects with `FencedOut` otherwise. What a live hearing's owner writes goes through this.
   */
  putFenced(ns: StateNamespace, id: string, value: unknown, fence: Fence): Promise<void>;
  /** Leases on live hearings, kept where the fences are checked. */
  readonly leases: Leases;
  /** Appends one entry to a log; returns the log's new length. */
  append(log: string, entry: string): Promise<number>;
  /** Appends to several logs at once, atomically: all of them or none. */
  appendAll(entries: readonly { readonly log: string; readonly entry: string }[]): Promise<void>;
  /**
   * Appends to several logs at once, atomically, only if `at.log` holds exactly `at.length`
   * entries; false (and nothing appended) if it does not. Chains use it so that two writers can
   * never both extend the same link.
   */
  appendAllIf(at: { readonly log: string; readonly length: number }, entries: readonly { readonly log: string; readonly entry: string }[]): Promise<boolean>;
  /** Every entry of a log, oldest first; with `last`, only the last that many. */
  readLog(log: string, last?: number): Promise<string[]>;
  /** The entries of a log from position `from` on, oldest first: what a reader that has the rest lacks. */
  readLogFrom(log: string, from: number): Promise<string[]>;
  /**
   * Every record of a namespace that does not expire, with its id: what moving a deployment to
   * another store carries (records with a time to live, idempotency answers, are left behind).
   */
  entries(ns: StateNamespace): Promise<[string, unknown][]>;
  /** The names of every log. */
  logNames(): Promise<string[]>;
  /** Resolves when the store answers; rejects when it is down. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
