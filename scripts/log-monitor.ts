/**
 * Watches a court's transparency log, as another court, a newsroom or anyone may:
 *
 *   npx tsx scripts/log-monitor.ts --server https://courts.example --key archive-key.pem --state monitor-head.json [--json]
 *
 * Each run fetches the log's newest signed tree head, checks its signature with the court's public
 * key (a file or a URL, as verify-archive takes it), and, when the state file holds a head seen
 * before, asks the log for a consistency proof from that one to the new one and checks it with the
 * RFC 9162 algorithm: a log whose history was rewritten, forked or cut back cannot give one. The
 * new head is kept only when it is consistent. Exit status: 0 consistent (or the first head seen),
 * 1 not consistent or not signed (said loudly, the old and new heads printed), 2 bad usage or a log
 * that cannot be reached.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { verifyConsistency } from '../server/domain/merkle.ts';
import { treeHeadSigned, type SignedTreeHead } from '../server/domain/tree-head.ts';
import { readPublicKey } from '../recorder/verify.ts';

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** Why a new head is not consistent with the one kept, or null when it is. */
async function inconsistency(base: string, seen: SignedTreeHead, now: SignedTreeHead): Promise<string | null> {
  if (now.treeSize < seen.treeSize) return `the log shrank from ${seen.treeSize} entries to ${now.treeSize}`;
  if (now.treeSize === seen.treeSize) return now.rootHash === seen.rootHash ? null : `the log's ${now.treeSize} entries have another root than before: its history was rewritten`;
  const { proof } = await getJson<{ proof: string[] }>(`${base}/transparency/proof/consistency?first=${seen.treeSize}&second=${now.treeSize}`);
  const ok = Array.isArray(proof) && proof.every((p) => /^[0-9a-f]{64}$/.test(p)) && verifyConsistency(seen.treeSize, now.treeSize, Buffer.from(seen.rootHash, 'hex'), Buffer.from(now.rootHash, 'hex'), proof.map((p) => Buffer.from(p, 'hex')));
  return ok ? null : `the log of ${now.treeSize} entries does not extend the one of ${seen.treeSize} it showed before: its history was rewritten`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { server: { type: 'string' }, key: { type: 'string' }, state: { type: 'string' }, json: { type: 'boolean' } } });
  const keyAt = values.key ?? process.env.COURTCAST_ARCHIVE_PUBLIC_KEY;
  if (!values.server || !keyAt || !values.state) {
    console.error('usage: log-monitor --server URL --key <public key PEM file or URL> --state <file that keeps the last head> [--json]');
    return 2;
  }
  const base = values.server.replace(/\/+$/, '');
  const publicKey = await readPublicKey(keyAt);
  const now = await getJson<SignedTreeHead>(`${base}/transparency/head`);
  const seen = await readFile(values.state, 'utf8').then((t) => JSON.parse(t) as SignedTreeHead, (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
  const problem = !treeHeadSigned(now, publicKey) ? "the log's newest head is not signed with the court's key" : seen ? await inconsistency(base, seen, now) : null;
  const report = { consistent: problem === null, problem, seen: seen ? { treeSize: seen.treeSize, rootHash: seen.rootHash, timestamp: seen.timestamp } : null, now: { treeSize: now.treeSize, rootHash: now.rootHash, timestamp: now.timestamp } };
  if (values.json) console.log(JSON.stringify(report, null, 1));
  else if (problem) console.error(`LOG NOT CONSISTENT: ${problem}\n  kept: ${seen ? `${seen.treeSize} entries, root ${seen.rootHash} (${seen.timestamp})` : 'none'}\n  now:  ${now.treeSize} entries, root ${now.rootHash} (${now.timestamp})`);
  else console.log(seen ? `consistent: ${seen.treeSize} → ${now.treeSize} entries, root ${now.rootHash}` : `first head kept: ${now.treeSize} entries, root ${now.rootHash}`);
  if (problem) return 1;
  // Kept whole or not at all: a monitor killed while writing must not lose the head it trusted.
  await writeFile(`${values.state}.tmp`, JSON.stringify(now, null, 1));
  await rename(`${values.state}.tmp`, values.state);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`log-monitor: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
