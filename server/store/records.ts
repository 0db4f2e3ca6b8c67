import type { z } from 'zod';
import { CourtcastError } from '../domain/errors.ts';
import type { Fence } from './leases.ts';
import { versionOf, type StateNamespace, type StateStore, type Versioned } from './state-store.ts';

/** How many times a change is reapplied when other writers keep getting there first. */
const ATTEMPTS = 8;

/**
 * One namespace of the state store, typed by its codec. The store itself hands out `unknown`:
 * a record is only read through the codec its owner declares, so a record written by an older
 * version, another node or a hand edit is checked at the boundary instead of trusted by a cast.
 * A record the codec refuses is an error (RECORD_UNREADABLE), never a default: a hearing's
 * privacy terms or a broadcast's masks must not silently read as "none".
 */
export class Records<T> {
  constructor(
    private readonly state: StateStore,
    readonly ns: StateNamespace,
    private readonly codec: z.ZodType<T>,
  ) {}

  private decode(id: string, raw: unknown): T {
    const parsed = this.codec.safeParse(raw);
    if (parsed.success) return parsed.data;
    const where = parsed.error.issues[0]?.path.join('.') || 'the record';
    throw new CourtcastError('RECORD_UNREADABLE', `the stored ${this.ns} record ${id} is not readable (${where}: ${parsed.error.issues[0]?.message ?? 'invalid'})`);
  }

  async get(id: string): Promise<T | null> {
    const raw = await this.state.get(this.ns, id);
    return raw === null || raw === undefined ? null : this.decode(id, raw);
  }

  /** Every record of the namespace, with its id (records with a time to live included). */
  async entries(): Promise<[string, T][]> {
    return (await this.state.entries(this.ns)).map(([id, raw]): [string, T] => [id, this.decode(id, raw)]);
  }

  /** Every record of the namespace. */
  async list(): Promise<T[]> {
    return (await this.state.list(this.ns)).map((raw, i) => this.decode(`#${i}`, raw));
  }

  put(id: string, value: T, ttlMs?: number): Promise<void> {
    return this.state.put(this.ns, id, value, ttlMs);
  }

  /** Stores `value` unless a record is there; answers the record already there, or null. */
  async putIfAbsent(id: string, value: T, ttlMs?: number): Promise<T | null> {
    const there = await this.state.putIfAbsent(this.ns, id, value, ttlMs);
    return there === null || there === undefined ? null : this.decode(id, there);
  }

  /** Stores only while `fence` is the newest of its hearing's lease (see StateStore.putFenced). */
  putFenced(id: string, value: T, fence: Fence): Promise<void> {
    return this.state.putFenced(this.ns, id, value, fence);
  }

  delete(id: string): Promise<void> {
    return this.state.delete(this.ns, id);
  }
}

/** A namespace whose records carry a version, written by compare-and-set. */
export class VersionedRecords<T extends Versioned> extends Records<T> {
  constructor(
    private readonly store: StateStore,
    ns: StateNamespace,
    codec: z.ZodType<T>,
  ) {
    super(store, ns, codec);
  }

  /** See StateStore.putIfVersion. */
  putIfVersion(id: string, value: T, expected: number): Promise<boolean> {
    return this.store.putIfVersion(this.ns, id, value, expected);
  }

  /**
   * Read-modify-write without losing anyone's update: `change` is applied to the record as stored
   * and written only if nobody wrote it meanwhile (compare-and-set on its version); otherwise it is
   * read again and `change` reapplied, so its checks run against what is stored now. `change` may
   * throw to refuse. Answers the record as written, with its new version.
   */
  async update(id: string, change: (current: T | null) => T): Promise<T> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await this.get(id);
      const version = versionOf(current);
      const next = { ...change(current), version: version + 1 };
      if (await this.putIfVersion(id, next, version)) return next;
    }
    throw new CourtcastError('CONFLICT', 'the record kept changing under other writers; try again');
  }
}
