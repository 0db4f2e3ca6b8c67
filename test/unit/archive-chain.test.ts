import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { appendFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ArchiveChain, archiveLog } from '../../recorder/archive-chain.ts';
import { signManifest, verifyManifest, type EntryBody, type ManifestEntry } from '../../recorder/manifest.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';

/** A real memory store that can go away (calls fail) or stall (calls never answer), as Redis can. */
class FaultyStore extends MemoryStateStore {
  mode: 'up' | 'down' | 'stalled' = 'up';
  private gate<T>(work: () => Promise<T>): Promise<T> {
    if (this.mode === 'down') return Promise.reject(new Error('store down'));
    if (this.mode === 'stalled') return new Promise<T>(() => {});
    return work();
  }
  override appendAllIf(at: { log: string; length: number }, entries: readonly { log: string; entry: string }[]): Promise<boolean> {
    return this.gate(() => super.appendAllIf(at, entries));
  }
  override readLog(log: string, last?: number): Promise<string[]> {
    return this.gate(() => super.readLog(log, last));
  }
}

const H = 'hg_chaintest00001';
const logger = pino({ level: 'silent' });
const dirs: string[] = [];
const journalIn = (name: string): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), `courtcast-chain-${name}-`));
  dirs.push(d);
  return path.join(d, 'journal', `${H}.jsonl`);
};
const master = (run: number, index: number): EntryBody => ({ kind: 'master', key: `master/m${String(run).padStart(4, '0')}/${String(index).padStart(6, '0')}.ts`, size: 100 + index, sha256: `${run}`.padStart(64, String(index % 10)), run, index });
const open = (state: MemoryStateStore, journalFile: string) => ArchiveChain.open({ hearingId: H, journalFile, state, logger, storeWaitMs: 200 });
const stored = async (state: MemoryStateStore): Promise<ManifestEntry[]> => (await state.readLog(archiveLog(H))).map((r) => JSON.parse(r) as ManifestEntry);
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const verdictOf = (entries: readonly ManifestEntry[]) => verifyManifest(signManifest(H, entries, privateKey, true, new Date()), publicKey);

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('archive chain shared by the nodes that record a hearing', () => {
  it('keeps one verifiable chain when two nodes enter objects in turn and at once', async () => {
    const state = new FaultyStore();
    const a = await open(state, journalIn('a'));
    for (let i = 0; i < 3; i++) await a.enter(master(0, i));
    expect(await a.flush()).toBe(true);
    // The node taking over reads the chain so far and continues it.
    const b = await open(state, journalIn('b'));
    expect(b.list().map((e) => e.key)).toEqual(a.list().map((e) => e.key));
    expect(b.has(master(0, 2).key)).toBe(true);
    await b.enter(master(100, 0));
    // The first node, not knowing, seals its last segments after the handover: same links.
    await Promise.all([a.enter(master(0, 3)), a.enter(master(0, 4)), b.enter(master(100, 1))]);
    expect(await a.flush()).toBe(true);
    expect(await b.flush()).toBe(true);
    // b's last entry may land after a's flush read the store: a reads on at its next flush.
    expect(await a.flush()).toBe(true);
    const chain = await stored(state);
    expect(chain.map((e) => e.key).sort()).toEqual([...[0, 1, 2, 3, 4].map((i) => master(0, i).key), master(100, 0).key, master(100, 1).key].sort());
    expect(await verdictOf(chain)).toMatchObject({ ok: true, entries: 7 });
    // Each node's view, once synced, is the stored chain.
    expect(a.list()).toEqual(chain);
    expect(b.list()).toEqual(chain);
    expect(a.waiting + b.waiting).toBe(0);
  });

  /** A chain whose store went down after it opened, with two entries waiting in its journal. */
  async function twoWaiting(name: string): Promise<{ state: FaultyStore; journal: string; a: ArchiveChain }> {
    const state = new FaultyStore();
    const journal = journalIn(name);
    const a = await open(state, journal);
    state.mode = 'down';
    await a.enter(master(0, 0));
    await a.enter(master(0, 1));
    return { state, journal, a };
  }

  it('enters objects while the store is down, keeps them through a crash, and stores them when it returns', async () => {
    const state = new FaultyStore();
    const journal = journalIn('down');
    const a = await open(state, journal);
    await a.enter(master(0, 0));
    expect(await a.flush()).toBe(true);
    state.mode = 'down';
    await a.enter(master(0, 1));
    await a.enter(master(0, 2));
    expect(await a.flush()).toBe(false);
    expect(a.waiting).toBe(2);
    // The process dies; the next one reads the journal although the store still does not answer.
    const again = await open(state, journal);
    expect(again.list().map((e) => e.key)).toEqual([master(0, 1).key, master(0, 2).key]);
    state.mode = 'up';
    expect(await again.flush()).toBe(true);
    const chain = await stored(state);
    expect(chain.map((e) => e.key)).toEqual([0, 1, 2].map((i) => master(0, i).key));
    expect(await verdictOf(chain)).toMatchObject({ ok: true });
    expect(existsSync(journal)).toBe(false);
  });

  it('does not enter an object twice when a crash came between storing entries and clearing the journal', async () => {
    const { state, journal, a } = await twoWaiting('crash');
    copyFileSync(journal, `${journal}.before`);
    state.mode = 'up';
    expect(await a.flush()).toBe(true);
    expect(existsSync(journal)).toBe(false);
    copyFileSync(`${journal}.before`, journal);
    const again = await open(state, journal);
    expect(await again.flush()).toBe(true);
    expect((await stored(state)).map((e) => e.key)).toEqual([master(0, 0).key, master(0, 1).key]);
    expect(again.list()).toHaveLength(2);
    expect(existsSync(journal)).toBe(false);
  });

  it('answers entering at once while the store stalls, and reports the flush as not done', async () => {
    const state = new FaultyStore();
    const a = await open(state, journalIn('stall'));
    state.mode = 'stalled';
    await a.enter(master(0, 0));
    expect(await a.flush()).toBe(false);
    expect(a.waiting).toBe(1);
    state.mode = 'up';
    expect(await a.flush()).toBe(true);
    expect(await stored(state)).toHaveLength(1);
  });

  it('drops a torn last journal line and keeps the whole ones', async () => {
    const { state, journal } = await twoWaiting('torn');
    await appendFile(journal, '{"kind":"master","key":"master/m0000/0000');
    const again = await open(state, journal);
    expect(again.list().map((e) => e.key)).toEqual([master(0, 0).key, master(0, 1).key]);
  });
});
