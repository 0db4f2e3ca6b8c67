/**
 * Verifies hearings' audit chains straight from the state store.
 * Usage: npx tsx scripts/audit-verify.ts [HEARING_ID ...]   (all hearings when none is named)
 * Reads the same configuration as the server (COURTCAST_STATE_STORE=redis, COURTCAST_REDIS_URL).
 * Exits 0 when every chain verifies, 1 when one does not, 2 on a usage or connection error.
 */
import { loadConfig } from '../config/load.ts';
import { verifyStoredChain } from '../server/audit/trail.ts';
import type { Hearing } from '../server/domain/courts.ts';
import { RedisStateStore } from '../server/store/redis-state-store.ts';

async function main(): Promise<number> {
  const config = loadConfig();
  if (config.stores.state !== 'redis' || !config.stores.redisUrl) {
    process.stderr.write('audit-verify reads a durable store: set COURTCAST_STATE_STORE=redis and COURTCAST_REDIS_URL\n');
    return 2;
  }
  const state = await RedisStateStore.connect(config.stores.redisUrl);
  try {
    const named = process.argv.slice(2);
    const ids = named.length > 0 ? named : (await state.list<Hearing>('hearings')).map((h) => h.id);
    let bad = 0;
    for (const id of ids) {
      const v = await verifyStoredChain(state, id);
      if (v.ok) process.stdout.write(`ok       ${id}  ${v.entries} entries\n`);
      else {
        bad++;
        process.stdout.write(`TAMPERED ${id}  entry ${v.badSeq} of ${v.entries}: ${v.problem}\n`);
      }
    }
    return bad > 0 ? 1 : 0;
  } finally {
    await state.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`audit-verify failed: ${String(err)}\n`);
    process.exit(2);
  },
);
