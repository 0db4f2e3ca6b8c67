import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../server/audit/trail.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';

/** A real memory store whose log writes can be switched off, as Redis going away would. */
class FlakyStore extends MemoryStateStore {
  down = false;
  override async appendAll(entries: readonly { log: string; entry: string }[]): Promise<void> {
    if (this.down) throw new Error('store down');
    return super.appendAll(entries);
  }
  override async readLog(log: string, last?: number): Promise<string[]> {
    if (this.down) throw new Error('store down');
    return super.readLog(log, last);
  }
}

const H = 'hg_spooltest00001';
const logger = pino({ level: 'silent' });
const dirs: string[] = [];
const spool = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'courtcast-spool-'));
  dirs.push(d);
  return d;
};

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('audit spool', () => {
  it('keeps entries on local disk while the store is down and flushes them in order when it returns', async () => {
    const store = new FlakyStore();
    const dir = spool();
    const trail = new AuditTrail(store, { spoolDir: dir, logger, storeWaitMs: 200 });
    await trail.start();
    expect((await trail.append(H, { actor: { kind: 'system' }, action: 'open' })).stored).toBe(true);
    store.down = true;
    const cut = await trail.append(H, { actor: { kind: 'system' }, action: 'cut', reason: 'minor named' });
    expect(cut.stored).toBe(false);
    expect(cut.entry.seq).toBe(1);
    expect(trail.recent(H, 5).map((e) => e.action)).toEqual(['open', 'cut']);
    expect(await readdir(dir)).toEqual([`${H}.jsonl`]);
    store.down = false;
    const end = await trail.append(H, { actor: { kind: 'system' }, action: 'end' });
    expect(end.stored).toBe(true);
    expect((await trail.list(H)).map((e) => e.action)).toEqual(['open', 'cut', 'end']);
    expect(await trail.verify(H)).toMatchObject({ ok: true, entries: 3 });
    expect(await readdir(dir)).toEqual([]);
    trail.close();
  });

  it('flushes what a crashed process spooled when the next one starts', async () => {
    const store = new FlakyStore();
    const dir = spool();
    const first = new AuditTrail(store, { spoolDir: dir, logger, storeWaitMs: 100 });
    await first.start();
    await first.append(H, { actor: { kind: 'system' }, action: 'open' });
    store.down = true;
    await first.append(H, { actor: { kind: 'system' }, action: 'pause', reason: 'recess' });
    await first.append(H, { actor: { kind: 'system' }, action: 'cut', reason: 'witness' });
    first.close(); // the process dies here, the store still down
    store.down = false;
    const second = new AuditTrail(store, { spoolDir: dir, logger });
    await second.start();
    const next = await second.append(H, { actor: { kind: 'system' }, action: 'recovered-after-restart' });
    expect(next.entry.seq).toBe(3);
    expect((await second.list(H)).map((e) => e.action)).toEqual(['open', 'pause', 'cut', 'recovered-after-restart']);
    expect(await second.verify(H)).toMatchObject({ ok: true, entries: 4 });
    second.close();
  });

  it('refuses to record when it cannot know the chain head', async () => {
    const store = new FlakyStore();
    store.down = true;
    const trail = new AuditTrail(store, { spoolDir: spool(), logger });
    await trail.start();
    expect(await trail.ready(H)).toBe(false);
    await expect(trail.append(H, { actor: { kind: 'system' }, action: 'open' })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    trail.close();
  });

  it('keeps one valid chain when two nodes append to it, the later writer linking after the other', async () => {
    const store = new MemoryStateStore();
    const a = new AuditTrail(store, { spoolDir: spool(), logger, storeWaitMs: 1_000 });
    const b = new AuditTrail(store, { spoolDir: spool(), logger, storeWaitMs: 1_000 });
    await a.append(H, { actor: { kind: 'system' }, action: 'open' });
    // b reads the head (seq 0) now; a moves on before b writes, so b's first entry must move.
    await b.append(H, { actor: { kind: 'system' }, action: 'approved-elsewhere' });
    await a.append(H, { actor: { kind: 'system' }, action: 'cut' });
    await b.append(H, { actor: { kind: 'system' }, action: 'revoked-elsewhere' });
    await Promise.all([a.append(H, { actor: { kind: 'system' }, action: 'mask' }), b.append(H, { actor: { kind: 'system' }, action: 'objection' })]);
    await waitForEntries(store, 6);
    expect(await a.verify(H)).toMatchObject({ ok: true, entries: 6 });
    expect((await a.list(H)).map((e) => e.action).sort()).toEqual(['approved-elsewhere', 'cut', 'mask', 'objection', 'open', 'revoked-elsewhere']);
    // Nothing is left waiting in either spool.
    expect(a.backlog + b.backlog).toBe(0);
    a.close();
    b.close();
  });
});

async function waitForEntries(store: MemoryStateStore, n: number): Promise<void> {
  for (let i = 0; i < 100 && (await store.readLog(`audit:${H}`)).length < n; i++) await new Promise((r) => setTimeout(r, 50));
}
