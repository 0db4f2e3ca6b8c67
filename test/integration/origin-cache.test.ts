import { mkdtempSync } from 'node:fs';
import { rm, unlink, writeFile } from 'node:fs/promises';
import { Agent, createServer, get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originRouter } from '../../server/http/origin.ts';
import { answerHot } from '../../server/http/hot-answer.ts';
import type { Hearing } from '../../server/domain/courts.ts';
import { CourtcastError } from '../../server/domain/errors.ts';
import { PublicationGate } from '../../server/service/publicity/publication-gate.ts';
import { HotObjectStore } from '../../server/store/hot-object-store.ts';
import { LocalObjectStore } from '../../server/store/local-object-store.ts';

/**
 * The origin as an HLS client meets it: validators make an unchanged playlist a 304, segments
 * honour byte ranges (and refuse impossible ones with 416), what this process published is served
 * from memory, and what it did not (after a restart) from the store, alike.
 */
describe('HLS origin: memory, validators and ranges', () => {
  let dir = '';
  let server: Server;
  let base = '';
  let store: HotObjectStore;
  const segment = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
  // hr_x is a published hearing; hr_y exists but is not (yet) publishable.
  const hearings = new Map([['hr_x', true], ['hr_y', false]]);
  let gate: PublicationGate;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cc-origin-'));
    // Room for one segment only: the next one pushes the oldest out of memory.
    store = new HotObjectStore(new LocalObjectStore(dir), 150_000);
    const app = express();
    gate = new PublicationGate({
      hearing: async (id) => {
        if (!hearings.has(id)) throw new CourtcastError('NOT_FOUND', `no hearing ${id}`);
        return { id } as Hearing;
      },
      isPublishable: async (h) => hearings.get(h.id) ?? false,
    });
    app.use('/hls', originRouter(store, gate, undefined, (k) => store.hot(k)));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hls`;
    await store.put('hearings/hr_x/360p/000001.ts', segment);
    await store.put('hearings/hr_x/360p/index.m3u8', '#EXTM3U\n#EXT-X-VERSION:3\n');
  });

  afterAll(async () => {
    server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a poll of an unchanged playlist with 304, and a changed one with the new text', async () => {
    const url = `${base}/hearings/hr_x/360p/index.m3u8`;
    const first = await fetch(url);
    const etag = first.headers.get('etag') as string;
    expect(first.status).toBe(200);
    expect(etag).toMatch(/^"/);
    expect((await fetch(url, { headers: { 'if-none-match': etag } })).status).toBe(304);
    await store.put('hearings/hr_x/360p/index.m3u8', '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:1\n');
    const changed = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toContain('MEDIA-SEQUENCE:1');
  });

  it('serves single byte ranges, and 416 beyond the end', async () => {
    const url = `${base}/hearings/hr_x/360p/000001.ts`;
    const part = await fetch(url, { headers: { range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${segment.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(segment.subarray(1000, 2000))).toBe(true);
    const tail = await fetch(url, { headers: { range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(segment.subarray(-10))).toBe(true);
    const beyond = await fetch(url, { headers: { range: `bytes=${segment.length + 5}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${segment.length}`);
  });

  it('serves what it published from memory, and the rest from the store with the same answers', async () => {
    const key = 'hearings/hr_x/360p/000001.ts';
    // Gone from the disk, still in memory: proof the answer does not touch the store.
    await unlink(path.join(dir, key));
    const fromMemory = await fetch(`${base}/${key}`);
    expect(fromMemory.status).toBe(200);
    expect(Buffer.from(await fromMemory.arrayBuffer()).equals(segment)).toBe(true);
    // A newer segment pushes it out; now it is truly gone.
    await store.put('hearings/hr_x/360p/000002.ts', segment);
    expect((await fetch(`${base}/${key}`)).status).toBe(404);
    // An object written by an earlier process is read from the store, ranges and validators too.
    await writeFile(path.join(dir, 'hearings/hr_x/360p/000000.ts'), segment);
    const cold = await fetch(`${base}/hearings/hr_x/360p/000000.ts`, { headers: { range: 'bytes=10-19' } });
    expect(cold.status).toBe(206);
    expect(Buffer.from(await cold.arrayBuffer()).equals(segment.subarray(10, 20))).toBe(true);
    const etag = cold.headers.get('etag') as string;
    expect((await fetch(`${base}/hearings/hr_x/360p/000000.ts`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // Deleting through the store takes it out of memory too.
    await store.delete('hearings/hr_x/360p/000002.ts');
    expect((await fetch(`${base}/hearings/hr_x/360p/000002.ts`)).status).toBe(404);
  });

  it('sends a held playlist byte for byte, and reports a connection’s polls to the viewer counter about once a second', async () => {
    // Bytes beyond ASCII (a title in a comment) come back exactly: the text is held as latin1.
    const text = Buffer.concat([Buffer.from('#EXTM3U\n#EXT-X-VERSION:3\n# '), Buffer.from('庭审 – ü', 'utf8'), Buffer.from('\n')]);
    await store.put('hearings/hr_x/480p/index.m3u8', text);
    const polls: string[] = [];
    const counted = createServer((req, res) => {
      if (!answerHot(req, res, gate, (k) => store.hot(k), (hearing, client) => polls.push(`${hearing} ${client.split('|')[1]}`))) res.writeHead(404).end();
    });
    counted.listen(0, '127.0.0.1');
    await new Promise((r) => counted.once('listening', r));
    const url = `http://127.0.0.1:${(counted.address() as AddressInfo).port}/hls/hearings/hr_x/480p/index.m3u8`;
    try {
      await gate.allows('hr_x');
      // One keep-alive connection, as a player polls: the same client within a second counts once,
      // another user agent on it at once.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const get = (ua: string) =>
        new Promise<Buffer>((resolve, reject) => {
          httpGet(url, { agent, headers: { 'user-agent': ua } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
          }).on('error', reject);
        });
      expect((await get('player-a')).equals(text)).toBe(true);
      await get('player-a');
      await get('player-a');
      await get('player-b');
      expect(polls).toEqual(['hr_x player-a', 'hr_x player-b']);
      agent.destroy();
    } finally {
      counted.close();
    }
  });

  it('serves a hearing’s media only while the public pages’ rule allows it, from memory or not', async () => {
    await store.put('hearings/hr_y/360p/index.m3u8', '#EXTM3U\n#EXT-X-VERSION:3\n');
    await store.put('hearings/hr_y/360p/000001.ts', segment);
    for (const key of ['hearings/hr_y/360p/index.m3u8', 'hearings/hr_y/360p/000001.ts', 'hearings/hr_nobody/360p/index.m3u8']) expect((await fetch(`${base}/${key}`)).status).toBe(404);
    // A published hearing whose review lapses is gone from the origin as from the pages.
    const url = `${base}/hearings/hr_x/360p/index.m3u8`;
    expect((await fetch(url)).status).toBe(200);
    hearings.set('hr_x', false);
    gate.forget('hr_x');
    expect((await fetch(url)).status).toBe(404);
    hearings.set('hr_x', true);
    gate.forget('hr_x');
    expect((await fetch(url)).status).toBe(200);
    hearings.set('hr_y', true);
    gate.forget('hr_y');
    expect((await fetch(`${base}/hearings/hr_y/360p/000001.ts`)).status).toBe(200);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await fetch(`${base}/hearings/hr_x/360p/index.m3u8`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await res.text()).toBe('');
  });
});
