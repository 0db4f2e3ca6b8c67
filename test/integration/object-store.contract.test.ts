import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../server/store/local-object-store.ts';
import type { ObjectStore } from '../../server/store/object-store.ts';

/**
 * Every implementation of the object store must pass this one suite (the S3 store joins it with
 * s3rver in-process). Each gets a fresh, empty store and a scratch directory for putFile.
 */
const implementations: [string, (dir: string) => Promise<ObjectStore>][] = [['local directory', async (dir) => new LocalObjectStore(path.join(dir, 'store'))]];

describe.each(implementations)('object store contract: %s', (_name, make) => {
  let dir: string;
  let store: ObjectStore;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cc-objects-'));
    store = await make(dir);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores, reads, heads, streams and deletes objects', async () => {
    expect(await store.get('a/b.txt')).toBeNull();
    expect(await store.head('a/b.txt')).toBeNull();
    expect(await store.stream('a/b.txt')).toBeNull();
    await store.put('a/b.txt', 'hello');
    expect((await store.get('a/b.txt'))?.toString()).toBe('hello');
    expect(await store.head('a/b.txt')).toMatchObject({ key: 'a/b.txt', size: 5 });
    const streamed = await store.stream('a/b.txt');
    expect(streamed?.info.size).toBe(5);
    expect(await text(streamed!.body)).toBe('hello');
    await store.delete('a/b.txt');
    expect(await store.get('a/b.txt')).toBeNull();
    // Deleting what is not there is not an error.
    await store.delete('a/b.txt');
  });

  it('replaces an object whole, and copies a local file in', async () => {
    await store.put('x.bin', Buffer.alloc(10_000, 1));
    await store.put('x.bin', Buffer.from('short'));
    expect((await store.get('x.bin'))?.toString()).toBe('short');
    const src = path.join(dir, 'src.ts');
    writeFileSync(src, Buffer.alloc(2048, 7));
    await store.putFile('h/360p/0.ts', src);
    expect((await store.get('h/360p/0.ts'))?.equals(Buffer.alloc(2048, 7))).toBe(true);
  });

  it('lists by prefix, sorted, with sizes, and only whole objects', async () => {
    await store.put('h1/360p/1.ts', 'bb');
    await store.put('h1/360p/0.ts', 'a');
    await store.put('h1/master.m3u8', 'ccc');
    await store.put('h2/360p/0.ts', 'd');
    expect((await store.list('h1/')).map((o) => [o.key, o.size])).toEqual([
      ['h1/360p/0.ts', 1],
      ['h1/360p/1.ts', 2],
      ['h1/master.m3u8', 3],
    ]);
    expect(await store.list('nothing/')).toEqual([]);
  });

  it('never reads half an object while it is being replaced', async () => {
    const big = (fill: number) => Buffer.alloc(2 * 1024 * 1024, fill);
    await store.put('seg.ts', big(1));
    const reads: Promise<Buffer | null>[] = [];
    const writes: Promise<void>[] = [];
    for (let i = 2; i < 8; i++) {
      writes.push(store.put('seg.ts', big(i)));
      reads.push(store.get('seg.ts'));
    }
    await Promise.all(writes);
    for (const r of await Promise.all(reads)) {
      expect(r?.length).toBe(2 * 1024 * 1024);
      expect(r!.every((b) => b === r![0])).toBe(true);
    }
  });

  it('refuses keys that could climb out or are not plain paths', async () => {
    for (const key of ['../escape', 'a/../../b', '/abs', 'a//b', '.hidden', 'a/./b', '', 'with space', 'a\\b']) {
      await expect(store.put(key, 'x'), key).rejects.toThrow();
      await expect(store.get(key), key).rejects.toThrow();
    }
  });
});
