/** Namespaces of the state store; one per kind of record. */
export type StateNamespace = 'courts' | 'courtrooms' | 'hearings' | 'programs' | 'releases' | 'users';

/**
 * Durable JSON records by namespace and id. In memory for the embedded default; Redis next.
 * Values are plain JSON: the store never holds class instances.
 */
export interface StateStore {
  get<T>(ns: StateNamespace, id: string): Promise<T | null>;
  put<T>(ns: StateNamespace, id: string, value: T): Promise<void>;
  delete(ns: StateNamespace, id: string): Promise<void>;
  list<T>(ns: StateNamespace): Promise<T[]>;
  close(): Promise<void>;
}
