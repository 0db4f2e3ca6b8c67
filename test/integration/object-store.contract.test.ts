import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../server/store/local-object-store.ts';
import type { ObjectStore } from '../../server/store/object-store.ts';
import { S3Peer } from '../support/s3.ts';

/**
 * Every implementation of the object store must pass this one suite (the S3 store joins it with
 * s3rver in-process). Each gets a fresh, empty store and a scratch directory for putFile.
 */
const peer = new S3Peer();
beforeAll(() => peer.start());
afterAll(() => peer.dispose());
let bucketRun = 0;

/**
 * [name, make, whether the peer replaces objects atomically]. S3 does; s3rver rewrites its files
 * in place, so the atomic-replacement case is only asked of the local store (whose own code does it).
 */
const implementations: [string, (dir: string) => Promise<ObjectStore>, boolean][] = [
  ['local directory', async (dir) => new LocalObjectStore(path.join(dir, 'store')), true],
  // A fresh key prefix per test stands in for a fresh bucket; small parts exercise multipart.
  ['S3 (s3rver)', async () => peer.store({ prefix: `t${++bucketRun}`, partSizeBytes: 5 * 1024 * 1024 }), false],
];

describe.each(implementations)('object store contract: %s', (_name, make, atomicPeer) => {
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

  it.runIf(atomicPeer)('never reads half an object while it is being replaced', async () => {
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

  it('takes a file larger than one upload part whole, and serves byte ranges of it', async () => {
    const src = path.join(dir, 'big.ts');
    const big = Buffer.alloc(11 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    writeFileSync(src, big);
    await store.putFile('h/master.mp4', src);
    expect(await store.head('h/master.mp4')).toMatchObject({ size: big.length });
    const part = await store.stream('h/master.mp4', { start: 8192, end: 8192 + 9999 });
    expect(part?.info.size).toBe(big.length);
    const chunks: Buffer[] = [];
    for await (const c of part!.body as AsyncIterable<Buffer>) chunks.push(c);
    expect(Buffer.concat(chunks).equals(big.subarray(8192, 8192 + 10_000))).toBe(true);
  });

  it('refuses keys that could climb out or are not plain paths', async () => {
    for (const key of ['../escape', 'a/../../b', '/abs', 'a//b', '.hidden', 'a/./b', '', 'with space', 'a\\b']) {
      await expect(store.put(key, 'x'), key).rejects.toThrow();
      await expect(store.get(key), key).rejects.toThrow();
    }
  });
});
