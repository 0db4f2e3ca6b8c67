import type { StateNamespace, StateStore } from './state-store.ts';

/**
 * The embedded default. Values are stored as JSON text, so callers can never mutate a stored
 * record by holding on to an object, just as with Redis.
 */
export class MemoryStateStore implements StateStore {
  private readonly data = new Map<StateNamespace, Map<string, string>>();

  private ns(ns: StateNamespace): Map<string, string> {
    let m = this.data.get(ns);
    if (!m) this.data.set(ns, (m = new Map()));
    return m;
  }

  async get<T>(ns: StateNamespace, id: string): Promise<T | null> {
    const raw = this.ns(ns).get(id);
    return raw === undefined ? null : (JSON.parse(raw) as T);
  }

  async put<T>(ns: StateNamespace, id: string, value: T): Promise<void> {
    this.ns(ns).set(id, JSON.stringify(value));
  }

  async delete(ns: StateNamespace, id: string): Promise<void> {
    this.ns(ns).delete(id);
  }

  async list<T>(ns: StateNamespace): Promise<T[]> {
    return [...this.ns(ns).values()].map((raw) => JSON.parse(raw) as T);
  }

  async close(): Promise<void> {
    this.data.clear();
  }
}
