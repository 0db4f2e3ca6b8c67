import { FencedOut, LocalLeases, type Fence } from './leases.ts';
import { versionOf, type StateNamespace, type StateStore, type Versioned } from './state-store.ts';

/**
 * The embedded default. Values are stored as JSON text, so callers can never mutate a stored
 * record by holding on to an object, just as with Redis.
 */
export class MemoryStateStore implements StateStore {
  readonly description = 'memory';
  private readonly data = new Map<StateNamespace, Map<string, { raw: string; expiresAt: number | null }>>();
  private readonly logs = new Map<string, string[]>();
  readonly leases = new LocalLeases();

  private ns(ns: StateNamespace): Map<string, { raw: string; expiresAt: number | null }> {
    let m = this.data.get(ns);
    if (!m) this.data.set(ns, (m = new Map()));
    return m;
  }

  private live(ns: StateNamespace, id: string): string | undefined {
    const rec = this.ns(ns).get(id);
    if (!rec) return undefined;
    if (rec.expiresAt !== null && rec.expiresAt <= Date.now()) {
      this.ns(ns).delete(id);
      return undefined;
    }
    return rec.raw;
  }

  async get<T>(ns: StateNamespace, id: string): Promise<T | null> {
    const raw = this.live(ns, id);
    return raw === undefined ? null : (JSON.parse(raw) as T);
  }

  async put<T>(ns: StateNamespace, id: string, value: T, ttlMs?: number): Promise<void> {
    this.ns(ns).set(id, { raw: JSON.stringify(value), expiresAt: ttlMs === undefined ? null : Date.now() + ttlMs });
  }

  async putFenced<T>(ns: StateNamespace, id: string, value: T, fence: Fence): Promise<void> {
    if (!this.leases.current(fence)) throw new FencedOut(fence);
    await this.put(ns, id, value);
  }

  async delete(ns: StateNamespace, id: string): Promise<void> {
    this.ns(ns).delete(id);
  }

  async list<T>(ns: StateNamespace): Promise<T[]> {
    return [...this.ns(ns).keys()].flatMap((id) => {
      const raw = this.live(ns, id);
      return raw === undefined ? [] : [JSON.parse(raw) as T];
    });
  }

  async putIfVersion<T extends Versioned>(ns: StateNamespace, id: string, value: T, expected: number): Promise<boolean> {
    const existing = this.live(ns, id);
    if (versionOf(existing === undefined ? null : (JSON.parse(existing) as Versioned)) !== expected) return false;
    this.ns(ns).set(id, { raw: JSON.stringify(value), expiresAt: null });
    return true;
  }

  async putIfAbsent<T>(ns: StateNamespace, id: string, value: T, ttlMs?: number): Promise<T | null> {
    const existing = this.live(ns, id);
    if (existing !== undefined) return JSON.parse(existing) as T;
    this.ns(ns).set(id, { raw: JSON.stringify(value), expiresAt: ttlMs === undefined ? null : Date.now() + ttlMs });
    return null;
  }

  async append(log: string, entry: string): Promise<number> {
    let l = this.logs.get(log);
    if (!l) this.logs.set(log, (l = []));
    l.push(entry);
    return l.length;
  }

  async appendAll(entries: readonly { readonly log: string; readonly entry: string }[]): Promise<void> {
    for (const { log, entry } of entries) await this.append(log, entry);
  }

  async appendAllIf(at: { log: string; length: number }, entries: readonly { readonly log: string; readonly entry: string }[]): Promise<boolean> {
    if ((this.logs.get(at.log) ?? []).length !== at.length) return false;
    await this.appendAll(entries);
    return true;
  }

  async readLog(log: string, last?: number): Promise<string[]> {
    const all = this.logs.get(log) ?? [];
    return last === undefined ? [...all] : all.slice(Math.max(0, all.length - last));
  }

  async readLogFrom(log: string, from: number): Promise<string[]> {
    return (this.logs.get(log) ?? []).slice(Math.max(0, from));
  }

  async entries<T>(ns: StateNamespace): Promise<[string, T][]> {
    return [...this.ns(ns)].flatMap(([id, rec]) => (rec.expiresAt === null ? [[id, JSON.parse(rec.raw) as T] as [string, T]] : []));
  }

  async logNames(): Promise<string[]> {
    return [...this.logs.keys()];
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.data.clear();
    this.logs.clear();
  }
}
