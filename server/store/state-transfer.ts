import { STATE_NAMESPACES, type StateNamespace, type StateStore } from './state-store.ts';

/** Everything lasting in a state store, as one JSON document. */
export interface StateDump {
  readonly format: 'courtcast-state';
  readonly version: 1;
  readonly exportedAt: string;
  readonly records: Partial<Record<StateNamespace, [string, unknown][]>>;
  readonly logs: Record<string, string[]>;
}

/**
 * Reads every lasting record and every log of a store. Records with a time to live (idempotency
 * answers) are left behind: they matter for minutes, and a move happens with the server stopped.
 */
export async function exportState(store: StateStore, now = Date.now()): Promise<StateDump> {
  const records: Partial<Record<StateNamespace, [string, unknown][]>> = {};
  for (const ns of STATE_NAMESPACES) {
    const entries = await store.entries(ns);
    if (entries.length > 0) records[ns] = entries;
  }
  const logs: Record<string, string[]> = {};
  for (const name of (await store.logNames()).sort()) logs[name] = await store.readLog(name);
  return { format: 'courtcast-state', version: 1, exportedAt: new Date(now).toISOString(), records, logs };
}

/**
 * Writes a dump into a store that holds no deployment yet: it refuses one that already has courts,
 * users, hearings or logs, so two deployments are never mixed. Log entries are copied as they are,
 * so audit chains verify unchanged.
 */
export async function importState(store: StateStore, dump: StateDump): Promise<{ records: number; logEntries: number }> {
  if (dump.format !== 'courtcast-state' || dump.version !== 1) throw new Error('not a Courtcast state dump (format courtcast-state, version 1)');
  for (const ns of ['courts', 'users', 'hearings'] as const) {
    if ((await store.entries(ns)).length > 0) throw new Error(`the target store already holds ${ns}: import only into an empty store`);
  }
  if ((await store.logNames()).length > 0) throw new Error('the target store already holds logs: import only into an empty store');
  let records = 0;
  for (const ns of STATE_NAMESPACES) {
    for (const [id, value] of dump.records[ns] ?? []) {
      await store.put(ns, id, value);
      records++;
    }
  }
  let logEntries = 0;
  for (const [name, entries] of Object.entries(dump.logs)) {
    for (const entry of entries) await store.append(name, entry);
    logEntries += entries.length;
  }
  return { records, logEntries };
}
