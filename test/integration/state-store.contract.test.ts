import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedStateStore } from '../../server/store/embedded-state-store.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';
import { RedisStateStore } from '../../server/store/redis-state-store.ts';
import type { StateStore } from '../../server/store/state-store.ts';
import { TestRedis } from '../support/redis.ts';

const redis = new TestRedis();
let prefixCounter = 0;
/** The embedded store's directories, removed when the file is done (one per test). */
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-state-'));
  dirs.push(dir);
  return dir;
};

/** Every implementation of the state store must pass this one suite. */
const implementations: [string, () => Promise<StateStore>][] = [
  ['memory', async () => new MemoryStateStore()],
  ['embedded', async () => EmbeddedStateStore.open(tempDir())],
  ['redis', async () => RedisStateStore.connect(redis.url, `contract${++prefixCounter}`)],
];

beforeAll(async () => {
  await redis.start();
}, 20_000);

afterAll(async () => {
  await redis.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe.each(implementations)('state store contract: %s', (_name, make) => {
  let store: StateStore;

  beforeEach(async () => {
    store = await make();
    return async () => store.close();
  });

  it('stores, reads, lists and deletes JSON records by namespace', async () => {
    expect(await store.get('hearings', 'a')).toBeNull();
    await store.put('hearings', 'a', { id: 'a', n: 1, nested: { ok: true } });
    await store.put('hearings', 'b', { id: 'b', n: 2 });
    await store.put('courts', 'a', { other: true });
    expect(await store.get('hearings', 'a')).toEqual({ id: 'a', n: 1, nested: { ok: true } });
    expect(((await store.list('hearings')) as { id: string }[]).map((h) => h.id).sort()).toEqual(['a', 'b']);
    await store.delete('hearings', 'a');
    expect(await store.get('hearings', 'a')).toBeNull();
    expect(await store.list('hearings')).toHaveLength(1);
    expect(await store.get('courts', 'a')).toEqual({ other: true });
  });

  it('never shares objects with callers', async () => {
    const value = { list: [1] };
    await store.put('programs', 'p', value);
    value.list.push(2);
    const read = (await store.get('programs', 'p')) as { list: number[] } | null;
    expect(read).toEqual({ list: [1] });
    read!.list.push(3);
    expect(await store.get('programs', 'p')).toEqual({ list: [1] });
  });

  it('overwrites on put', async () => {
    await store.put('users', 'u', { v: 1 });
    await store.put('users', 'u', { v: 2 });
    expect(await store.get('users', 'u')).toEqual({ v: 2 });
  });

  it('stores only the first of concurrent putIfAbsent calls', async () => {
    const results = await Promise.all([1, 2, 3, 4, 5].map((v) => store.putIfAbsent('idempotency', 'k', { v })));
    const stored = results.filter((r) => r === null);
    expect(stored).toHaveLength(1);
    const winner = (await store.get('idempotency', 'k')) as { v: number } | null;
    for (const r of results) if (r !== null) expect(r).toEqual(winner);
  });

  it('sets a versioned record only from the version its writer read: of writers racing, one wins each round and none is lost', async () => {
    // Absent, and written before versions, both count as version 0.
    expect(await store.putIfVersion('hearings', 'v', { n: 1, version: 1 }, 1)).toBe(false);
    expect(await store.putIfVersion('hearings', 'v', { n: 1, version: 1 }, 0)).toBe(true);
    expect(await store.putIfVersion('hearings', 'v', { n: 2, version: 2 }, 0)).toBe(false);
    expect(await store.get('hearings', 'v')).toEqual({ n: 1, version: 1 });
    await store.put('hearings', 'old', { n: 0 });
    expect(await store.putIfVersion('hearings', 'old', { n: 1, version: 1 }, 0)).toBe(true);
    // Ten writers each add their name through read, change, compare-and-set, retrying when beaten.
    const names = Array.from({ length: 10 }, (_, i) => `w${i}`);
    await Promise.all(
      names.map(async (name) => {
        for (;;) {
          const cur = ((await store.get('governance', 'race')) as { names: string[]; version?: number } | null) ?? { names: [] };
          const v = cur.version ?? 0;
          if (await store.putIfVersion('governance', 'race', { names: [...cur.names, name], version: v + 1 }, v)) return;
        }
      }),
    );
    const final = (await store.get('governance', 'race')) as { names: string[]; version: number } | null;
    expect(final?.names.sort()).toEqual([...names].sort());
    expect(final?.version).toBe(10);
  });

  it('expires putIfAbsent records after their time to live', async () => {
    expect(await store.putIfAbsent('idempotency', 't', { v: 1 }, 150)).toBeNull();
    expect(await store.putIfAbsent('idempotency', 't', { v: 2 }, 150)).toEqual({ v: 1 });
    await new Promise((r) => setTimeout(r, 300)); // real time must pass for a TTL to lapse
    expect(await store.get('idempotency', 't')).toBeNull();
    expect(await store.putIfAbsent('idempotency', 't', { v: 3 }, 150)).toBeNull();
  });

  it('appends to logs in order and reads them whole', async () => {
    expect(await store.readLog('audit:x')).toEqual([]);
    expect(await store.append('audit:x', 'one')).toBe(1);
    expect(await store.append('audit:x', 'two')).toBe(2);
    await store.append('audit:y', 'other');
    expect(await store.readLog('audit:x')).toEqual(['one', 'two']);
  });

  it('reads the last entries of a log, and appends to several logs together', async () => {
    for (const e of ['a', 'b', 'c', 'd']) await store.append('audit:z', e);
    expect(await store.readLog('audit:z', 2)).toEqual(['c', 'd']);
    expect(await store.readLog('audit:z', 10)).toEqual(['a', 'b', 'c', 'd']);
    // From a position on: what a reader that has the rest lacks.
    expect(await store.readLogFrom('audit:z', 0)).toEqual(['a', 'b', 'c', 'd']);
    expect(await store.readLogFrom('audit:z', 3)).toEqual(['d']);
    expect(await store.readLogFrom('audit:z', 4)).toEqual([]);
    expect(await store.readLogFrom('audit:z', 9)).toEqual([]);
    expect(await store.readLogFrom('audit:none', 0)).toEqual([]);
    await store.appendAll([
      { log: 'audit:z', entry: 'e' },
      { log: 'anchor:z', entry: 'head-e' },
    ]);
    expect(await store.readLog('audit:z', 1)).toEqual(['e']);
    expect(await store.readLog('anchor:z')).toEqual(['head-e']);
    // Many concurrent appends keep every entry, each once.
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.append('audit:c', String(i))));
    expect((await store.readLog('audit:c')).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
  });

  it('extends a chain only from the length its writer read: of two writers racing, one wins', async () => {
    await store.append('audit:r', 'e0');
    const racing = await Promise.all(['a', 'b'].map((w) => store.appendAllIf({ log: 'audit:r', length: 1 }, [{ log: 'audit:r', entry: `e1-${w}` }, { log: 'anchor:r', entry: `h1-${w}` }])));
    expect(racing.filter(Boolean)).toHaveLength(1);
    const log = await store.readLog('audit:r');
    expect(log).toHaveLength(2);
    // The anchor that went in belongs to the entry that went in: all or nothing.
    expect((await store.readLog('anchor:r'))[0]?.slice(-1)).toBe(log[1]?.slice(-1));
    expect(await store.appendAllIf({ log: 'audit:r', length: 1 }, [{ log: 'audit:r', entry: 'late' }])).toBe(false);
    expect(await store.readLog('audit:r')).toHaveLength(2);
  });

  it('gives a hearing’s lease to one node at a time, and fences writes of an older holder', async () => {
    const first = await store.leases.acquire('hg_l', 'node-a', 300);
    expect(first).toEqual(expect.any(Number));
    expect(await store.leases.acquire('hg_l', 'node-b', 300)).toBeNull();
    expect(await store.leases.holder('hg_l')).toEqual({ nodeId: 'node-a', token: first });
    await store.putFenced('programs', 'hg_l', { by: 'a' }, { hearingId: 'hg_l', token: first as number });
    expect(await store.leases.renew('hg_l', { nodeId: 'node-a', token: first as number }, 300)).toBe(true);
    // Not renewed: the lease lapses and the other node takes it with a newer token.
    await new Promise((r) => setTimeout(r, 450));
    expect(await store.leases.holder('hg_l')).toBeNull();
    const second = await store.leases.acquire('hg_l', 'node-b', 5_000);
    expect(second).toBeGreaterThan(first as number);
    expect(await store.leases.renew('hg_l', { nodeId: 'node-a', token: first as number }, 300)).toBe(false);
    await expect(store.putFenced('programs', 'hg_l', { by: 'a, late' }, { hearingId: 'hg_l', token: first as number })).rejects.toThrow(/newer holder/);
    await store.putFenced('programs', 'hg_l', { by: 'b' }, { hearingId: 'hg_l', token: second as number });
    expect(await store.get('programs', 'hg_l')).toEqual({ by: 'b' });
    // Releasing with a lease that is not the holder's changes nothing; the holder's own frees it.
    await store.leases.release('hg_l', { nodeId: 'node-a', token: first as number });
    expect(await store.leases.holder('hg_l')).toEqual({ nodeId: 'node-b', token: second });
    // The holder restarted: it takes its lease back at once, with a token that fences its past.
    const third = await store.leases.acquire('hg_l', 'node-b', 5_000);
    expect(third).toBeGreaterThan(second as number);
    await store.leases.release('hg_l', { nodeId: 'node-b', token: third as number });
    expect(await store.leases.holder('hg_l')).toBeNull();
  });

  it('lists every lasting record with its id, and every log by name, for moving to another store', async () => {
    await store.put('programs', 'hg_1', { phase: 'cut' });
    await store.put('programs', 'hg_2', { phase: 'on-air' });
    await store.putIfAbsent('idempotency', 'k', { done: true }, 60_000);
    await store.append('audit:hg_1', 'e1');
    await store.append('audit-anchor:hg_1', 'a1');
    expect((await store.entries('programs')).sort()).toEqual([
      ['hg_1', { phase: 'cut' }],
      ['hg_2', { phase: 'on-air' }],
    ]);
    expect(await store.entries('idempotency')).toEqual([]);
    expect((await store.logNames()).filter((n) => n.endsWith('hg_1')).sort()).toEqual(['audit-anchor:hg_1', 'audit:hg_1']);
  });
});
