import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { HearingArchive } from '../../recorder/hearing-archive.ts';
import { loadSigningKey } from '../../recorder/signing-key.ts';
import { Spool } from '../../recorder/spool.ts';
import { Uploader } from '../../recorder/uploader.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';
import type { ObjectStore } from '../../server/store/object-store.ts';

const exec = promisify(execFile);

/** Runs a script of scripts/ as its users would (npx tsx): its exit status and what it printed. */
export async function runScript(script: string, args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('npx', ['tsx', `scripts/${script}`, ...args], { cwd: process.cwd(), env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs the verifier as an archivist would: the CLI, with only the public key (what it printed; on a failure, its errors too). */
export async function verifyCli(target: string, keyFile: string, extra: string[] = [], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const r = await runScript('verify-archive.ts', [target, '--key', keyFile, ...extra], env);
  return { code: r.code, out: r.code === 0 ? r.stdout : `${r.stdout}${r.stderr}` };
}

/** Archives a small hearing (real recorder modules, real files) into `store`. */
export async function archiveInto(store: ObjectStore, dir: string, hearingId: string): Promise<void> {
  const key = await loadSigningKey(dir);
  const spool = new Spool(path.join(dir, 'spool'));
  const uploader = new Uploader({ store, spool, logger: pino({ level: 'silent' }) });
  const a = await HearingArchive.open({ hearingId, journalFile: path.join(dir, 'journal', `${hearingId}.jsonl`), state: new MemoryStateStore(), logger: pino({ level: 'silent' }), spool, enqueue: (i) => uploader.add(i), key, now: Date.now });
  for (let i = 0; i < 5; i++) {
    const src = path.join(dir, `seg${i}.ts`);
    writeFileSync(src, Buffer.alloc(188 * 50, i + 1));
    await a.addFile({ kind: 'master', key: `master/m0001/00000${i}.ts`, run: 1, index: i, durationSec: 2, captureStart: 1_000 + i * 2_000, captureEnd: 3_000 + i * 2_000 }, src);
  }
  await a.addBytes({ kind: 'record', key: 'record.json' }, Buffer.from('{"hearing":"x"}\n'));
  await a.writeManifest(true);
  await uploader.idle(20_000);
  await uploader.close();
}

