/**
 * Verifies a Courtcast hearing archive with nothing but the deployment's public key:
 *
 *   npx tsx scripts/verify-archive.ts <hearing directory | manifest.json | s3://bucket/key-prefix/hearings/ID> --key archive-key.pem [--in-progress]
 *
 * A finished archive's seal must be final: an interim seal (signed while the archive was still
 * being made, as validly as the final one) fails unless --in-progress says the archive is not
 * finished yet, and even then the output says the seal is not final.
 *
 * With --log URL (the court's server), the seal is also looked for in the court's transparency log:
 * a final seal must be there, proven by an inclusion proof in a tree head signed with the same key;
 * a log that holds another seal of the hearing means this archive is not the one the court sealed
 * (rolled back to an earlier seal, or rewritten and sealed again).
 * The key can also come from a URL (--key https://courts.example/.well-known/courtcast-archive-key.pem).
 * For s3:// the usual AWS environment applies (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_REGION), and --endpoint URL reaches an S3-compatible service. Exit status: 0 when everything
 * verifies, 1 when something does not (each finding is printed, the first one first), 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { S3ObjectStore } from '../server/store/s3-object-store.ts';
import type { KeyObject } from 'node:crypto';
import { sealInLog, type InclusionAnswer, type SealInLog } from '../server/domain/tree-head.ts';
import { judgedByLog, readPublicKey, verifyLocal, verifyStoredHearing, type LoggedVerdict } from '../recorder/verify.ts';

/** Asks the court's transparency log for its proven seals of a hearing, and says which this one is. */
async function askLog(base: string, hearingId: string, seal: { hearingId: string; count: number; head: string; keyId: string }, publicKey: KeyObject): Promise<SealInLog> {
  const res = await fetch(`${base.replace(/\/+$/, '')}/transparency/proof/seal/${encodeURIComponent(hearingId)}`);
  if (res.status === 404) return { found: 'none' };
  if (!res.ok) throw new Error(`the transparency log answered ${res.status}`);
  const { seals } = (await res.json()) as { seals?: InclusionAnswer[] };
  return sealInLog(seal, Array.isArray(seals) ? seals : [], publicKey);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { key: { type: 'string' }, endpoint: { type: 'string' }, region: { type: 'string' }, json: { type: 'boolean' }, 'in-progress': { type: 'boolean' }, log: { type: 'string' } },
  });
  const target = positionals[0];
  const keyAt = values.key ?? process.env.COURTCAST_ARCHIVE_PUBLIC_KEY;
  if (!target || !keyAt) {
    console.error('usage: verify-archive <hearing directory | manifest.json | s3://bucket/prefix/hearings/ID> --key <public key PEM file or URL> [--in-progress] [--log URL] [--endpoint URL] [--json]');
    return 2;
  }
  const publicKey = await readPublicKey(keyAt);
  const options = { inProgress: values['in-progress'] === true };
  let verdict: LoggedVerdict;
  const s3 = /^s3:\/\/([^/]+)\/(.+?)\/?$/.exec(target);
  if (s3) {
    const store = new S3ObjectStore({
      bucket: s3[1] as string,
      region: values.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(values.endpoint ? { endpoint: values.endpoint, forcePathStyle: true } : {}),
    });
    try {
      verdict = await verifyStoredHearing(store, s3[2] as string, publicKey, options);
    } finally {
      store.close();
    }
  } else {
    verdict = await verifyLocal(target, publicKey, options);
  }
  if (values.log && verdict.seal && verdict.final) verdict = judgedByLog(verdict, await askLog(values.log, verdict.seal.hearingId, verdict.seal, publicKey));
  const logged = verdict.log;
  if (values.json) console.log(JSON.stringify(verdict, null, 1));
  else {
    console.log(`signature: ${verdict.signature}; seal: ${verdict.final ? 'final' : 'NOT FINAL (an archive still being made)'}, sealed ${verdict.sealedAt ?? 'at an unknown time'}; ${verdict.entries} entries; ${verdict.checkedObjects} objects hashed`);
    for (const f of verdict.findings) console.log(`${f.n === null ? 'manifest' : `entry ${f.n}`}${f.key ? ` (${f.key})` : ''}: ${f.problem}`);
    for (const l of verdict.lost) console.log(`entry ${l.n} (${l.key}): declared lost in entry ${l.declaredIn}`);
    if (logged?.found === 'this-seal') console.log(`log: the seal is entry ${logged.index} of the court's transparency log (a tree of ${logged.treeSize}, its head signed with this key)`);
    console.log(verdict.ok ? (verdict.final ? 'VERIFIED' : 'VERIFIED AS IN PROGRESS (the seal is not final)') : 'NOT VERIFIED');
  }
  return verdict.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`verify-archive: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
