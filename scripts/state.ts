/**
 * Moves a deployment's state between stores, with the server stopped.
 *   npx tsx scripts/state.ts export FILE             the configured store (by default the embedded one in COURTCAST_DATA_DIR) to a JSON file
 *   npx tsx scripts/state.ts import FILE             a JSON file into the configured store, which must be empty
 *   npx tsx scripts/state.ts move REDIS_URL          the embedded store straight into an empty Redis
 * Reads the same configuration as the server. Exits 0 on success, 2 on a usage error, 1 otherwise.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { loadConfig } from '../config/load.ts';
import { openStateStore } from '../server/store/open-state-store.ts';
import { exportState, importState, type StateDump } from '../server/store/state-transfer.ts';

async function main(): Promise<number> {
  const [command, arg] = process.argv.slice(2);
  if (!command || !arg || !['export', 'import', 'move'].includes(command)) {
    process.stderr.write('usage: state.ts export FILE | import FILE | move REDIS_URL\n');
    return 2;
  }
  const config = loadConfig();
  if (command === 'move') {
    const from = await openStateStore({ ...config, stores: { ...config.stores, state: 'embedded' } });
    const to = await openStateStore({ ...config, stores: { ...config.stores, state: 'redis', redisUrl: arg } });
    try {
      const done = await importState(to, await exportState(from));
      process.stdout.write(`moved ${done.records} records and ${done.logEntries} log entries from ${from.description} to ${to.description}\n`);
    } finally {
      await Promise.all([from.close(), to.close()]);
    }
    return 0;
  }
  const store = await openStateStore(config);
  try {
    if (command === 'export') {
      const dump = await exportState(store);
      await writeFile(arg, JSON.stringify(dump), { mode: 0o600 });
      process.stdout.write(`exported ${Object.values(dump.records).reduce((n, r) => n + r.length, 0)} records and ${Object.keys(dump.logs).length} logs from ${store.description} to ${arg}\n`);
    } else {
      const done = await importState(store, JSON.parse(await readFile(arg, 'utf8')) as StateDump);
      process.stdout.write(`imported ${done.records} records and ${done.logEntries} log entries into ${store.description}\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`state.ts failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
