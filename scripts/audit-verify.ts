/**
 * Verifies hearings' audit chains straight from the state store.
 * Usage: npx tsx scripts/audit-verify.ts [HEARING_ID ...]   (all hearings when none is named)
 * Reads the same configuration as the server (the embedded store in COURTCAST_DATA_DIR, or
 * COURTCAST_STATE_STORE=redis with COURTCAST_REDIS_URL); run it with the server stopped for the
 * embedded store.
 * Exits 0 when every chain verifies, 1 when one does not, 2 on a usage or connection error.
 */
import { loadConfig } from '../config/load.ts';
import { verifyStoredChain } from '../server/audit/trail.ts';
import { hearingCodec } from '../server/domain/codecs.ts';
import { Records } from '../server/store/records.ts';
import { openStateStore } from '../server/store/open-state-store.ts';

async function main(): Promise<number> {
  const config = loadConfig();
  if (config.stores.state === 'memory') {
    process.stderr.write('audit-verify reads a durable store: the embedded one (the default) or Redis\n');
    return 2;
  }
  const state = await openStateStore(config);
  try {
    const named = process.argv.slice(2);
    const ids = named.length > 0 ? named : (await new Records(state, 'hearings', hearingCodec).list()).map((h) => h.id);
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
