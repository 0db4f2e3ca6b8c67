import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signManifest, type Manifest } from '../../recorder/manifest.ts';
import { loadSigningKey, type SigningKey } from '../../recorder/signing-key.ts';
import { TransparencyLog } from '../../server/audit/transparency-log.ts';
import { sealStatement } from '../../server/domain/tree-head.ts';
import { problemHandler } from '../../server/http/problem.ts';
import { transparencyApi } from '../../server/http/transparency-api.ts';
import { LocalObjectStore } from '../../server/store/local-object-store.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';
import { archiveInto, runScript, verifyCli } from '../support/archive-cli.ts';

/**
 * The court's transparency log served over HTTP by its own routes, checked from outside with only
 * the public key: verify-archive finds a hearing's final seal in it (or says the log holds another
 * seal of the hearing, or none), and log-monitor keeps the last head it saw and fails loudly when a
 * later one does not extend it. The log behind the routes can be swapped, as an operator rewriting
 * history would.
 */
describe('the transparency log, checked by the verifier and the monitor', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-log-'));
  const H1 = 'hg_transparency01';
  const folder = path.join(dir, 'store', 'hearings', H1);
  const keyFile = path.join(dir, 'archive-key.pem');
  const kept = path.join(dir, 'monitor-head.json');
  let key: SigningKey;
  let current: TransparencyLog;
  let server: Server;
  let base = '';
  const freshLog = () => new TransparencyLog({ state: new MemoryStateStore(), privateKey: key.privateKey });
  const monitor = (extra: string[] = []) => runScript('log-monitor.ts', ['--server', base, '--key', keyFile, '--state', kept, ...extra]);

  beforeAll(async () => {
    await archiveInto(new LocalObjectStore(path.join(dir, 'store')), dir, H1);
    key = await loadSigningKey(dir);
    writeFileSync(keyFile, key.publicPem);
    current = freshLog();
    const app = express();
    app.use('/transparency', (req, res, next) => transparencyApi(current)(req, res, next));
    app.use(problemHandler(pino({ level: 'silent' })));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the final seal in the log, and fails an archive whose seal the log does not hold or holds another of', async () => {
    const file = path.join(folder, 'manifest.json');
    const original = readFileSync(file, 'utf8');
    const m = JSON.parse(original) as Manifest;
    const none = await verifyCli(folder, keyFile, ['--log', base]);
    expect(none.code, none.out).toBe(1);
    expect(none.out).toContain("the court's transparency log holds no seal of this hearing");
    await current.append(sealStatement(m.seal));
    const found = await verifyCli(folder, keyFile, ['--log', base]);
    expect(found.code).toBe(0);
    expect(found.out).toContain("log: the seal is entry 0 of the court's transparency log");
    // Rewritten and sealed again, final, with the court's own key: the log holds the original.
    writeFileSync(file, JSON.stringify(signManifest(H1, m.entries.slice(0, -1), key.privateKey, true, new Date())));
    try {
      const rewritten = await verifyCli(folder, keyFile, ['--log', base]);
      expect(rewritten.code).toBe(1);
      expect(rewritten.out).toMatch(/holds another final seal of this hearing \(6 entries, head [0-9a-f]{12}…\): this archive is not the one the court sealed/);
    } finally {
      writeFileSync(file, original);
    }
  }, 60_000);

  it('keeps the first head, accepts a log that grew, and fails loudly on a history rewritten or cut back', async () => {
    const first = await monitor();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/first head kept: 1 entries/);
    await current.append({ kind: 'replay', hearingId: H1, decision: 'published', at: '2026-12-06T09:00:00.000Z' });
    await current.append(sealStatement({ hearingId: 'h2', count: 12, head: 'ab'.repeat(32), keyId: key.keyId }));
    const grown = await monitor();
    expect(grown.code, grown.stderr).toBe(0);
    expect(grown.stdout).toMatch(/consistent: 1 → 3 entries/);
    const trusted = readFileSync(kept, 'utf8');

    // Another history, longer than the one shown before, its first seal an earlier one.
    const forged = freshLog();
    for (const s of [sealStatement({ hearingId: H1, count: 3, head: 'cd'.repeat(32), keyId: key.keyId }), { kind: 'replay' as const, hearingId: H1, decision: 'published', at: '2026-12-06T09:00:00.000Z' }, sealStatement({ hearingId: 'h2', count: 12, head: 'ab'.repeat(32), keyId: key.keyId }), sealStatement({ hearingId: 'h3', count: 2, head: 'ef'.repeat(32), keyId: key.keyId })]) await forged.append(s);
    current = forged;
    const rewritten = await monitor();
    expect(rewritten.code).toBe(1);
    expect(rewritten.stderr).toMatch(/LOG NOT CONSISTENT: the log of 4 entries does not extend the one of 3 it showed before/);
    // The head it trusted stays kept.
    expect(readFileSync(kept, 'utf8')).toBe(trusted);
    const json = JSON.parse((await monitor(['--json'])).stdout) as { consistent: boolean; seen: { treeSize: number } };
    expect(json).toMatchObject({ consistent: false, seen: { treeSize: 3 } });

    // Cut back to fewer entries than it showed.
    const short = freshLog();
    await short.append(sealStatement(JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')).seal as Manifest['seal']));
    current = short;
    const shrunk = await monitor();
    expect(shrunk.code).toBe(1);
    expect(shrunk.stderr).toContain('the log shrank from 3 entries to 1');

    const usage = await runScript('log-monitor.ts', ['--server', base]);
    expect(usage.code).toBe(2);
  }, 90_000);
});
