/**
 * Verifies a Courtcast hearing archive with nothing but the deployment's public key:
 *
 *   npx tsx scripts/verify-archive.ts <hearing directory | manifest.json | s3://bucket/key-prefix/hearings/ID> --key archive-key.pem
 *
 * The key can also come from a URL (--key https://courts.example/.well-known/courtcast-archive-key.pem).
 * For s3:// the usual AWS environment applies (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_REGION), and --endpoint URL reaches an S3-compatible service. Exit status: 0 when everything
 * verifies, 1 when something does not (each finding is printed, the first one first), 2 on bad usage.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { S3ObjectStore } from '../server/store/s3-object-store.ts';
import type { Verdict } from '../recorder/manifest.ts';
import { publicKeyFrom, verifyLocal, verifyStoredHearing } from '../recorder/verify.ts';

async function readKey(where: string): Promise<string> {
  if (/^https?:\/\//.test(where)) {
    const res = await fetch(where);
    if (!res.ok) throw new Error(`${where} answered ${res.status}`);
    return res.text();
  }
  return readFile(where, 'utf8');
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { key: { type: 'string' }, endpoint: { type: 'string' }, region: { type: 'string' }, json: { type: 'boolean' } },
  });
  const target = positionals[0];
  const keyAt = values.key ?? process.env.COURTCAST_ARCHIVE_PUBLIC_KEY;
  if (!target || !keyAt) {
    console.error('usage: verify-archive <hearing directory | manifest.json | s3://bucket/prefix/hearings/ID> --key <public key PEM file or URL> [--endpoint URL] [--json]');
    return 2;
  }
  const publicKey = publicKeyFrom(await readKey(keyAt));
  let verdict: Verdict;
  const s3 = /^s3:\/\/([^/]+)\/(.+?)\/?$/.exec(target);
  if (s3) {
    const store = new S3ObjectStore({
      bucket: s3[1] as string,
      region: values.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(values.endpoint ? { endpoint: values.endpoint, forcePathStyle: true } : {}),
    });
    try {
      verdict = await verifyStoredHearing(store, s3[2] as string, publicKey);
    } finally {
      store.close();
    }
  } else {
    verdict = await verifyLocal(target, publicKey);
  }
  if (values.json) console.log(JSON.stringify(verdict, null, 1));
  else {
    console.log(`signature: ${verdict.signature}; ${verdict.entries} entries; ${verdict.checkedObjects} objects hashed`);
    for (const f of verdict.findings) console.log(`${f.n === null ? 'manifest' : `entry ${f.n}`}${f.key ? ` (${f.key})` : ''}: ${f.problem}`);
    for (const l of verdict.lost) console.log(`entry ${l.n} (${l.key}): declared lost in entry ${l.declaredIn}`);
    console.log(verdict.ok ? 'VERIFIED' : 'NOT VERIFIED');
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
