import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hearing } from '../../server/domain/courts.ts';
import { CourtcastError } from '../../server/domain/errors.ts';
import { FrontDoor } from '../../server/http/front-door.ts';
import { answerHot, doorAnswerer } from '../../server/http/hot-answer.ts';
import { originRouter } from '../../server/http/origin.ts';
import { PublicationGate } from '../../server/service/publicity/publication-gate.ts';
import { HotObjectStore } from '../../server/store/hot-object-store.ts';
import { LocalObjectStore } from '../../server/store/local-object-store.ts';
import { waitFor } from '../support/wait.ts';

const PLAYLIST = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n';
const LIST = '/hls/hearings/hr_x/360p/index.m3u8';
const SEG = '/hls/hearings/hr_x/360p/000001.ts';

/** Writes raw bytes on a fresh connection and reads (from `readAfterMs` on) until `done` says the answers are all in, or the peer closes. */
function exchange(port: number, bytes: string | Buffer, done: (got: Buffer) => boolean = () => false, readAfterMs = 0): Promise<{ text: string; bytes: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(bytes);
      if (readAfterMs > 0) {
        socket.pause();
        setTimeout(() => socket.resume(), readAfterMs);
      }
    });
    const finish = (closed: boolean) => {
      const all = Buffer.concat(chunks);
      socket.destroy();
      resolve({ text: all.toString('latin1'), bytes: all, closed });
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (done(Buffer.concat(chunks))) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', reject);
  });
}

const answers = (text: string) => text.match(/HTTP\/1\.1 \d{3}(?= [A-Z])/g) ?? [];
const get = (p: string, extra = '') => `GET ${p} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

/**
 * The HTTP port's front door, from a client's bytes: what it answers itself is what Node's path
 * answers, and every connection that asks anything else reaches Node's server with its bytes
 * intact, whatever it sends.
 */
describe('the front door', () => {
  let dir = '';
  let store: HotObjectStore;
  let server: Server;
  let door: FrontDoor;
  let plain: Server;
  let port = 0;
  let plainPort = 0;
  const seenByNode: string[] = [];
  const polls: string[] = [];
  const segment = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
  const hearings = new Map([['hr_x', true]]);
  let gate: PublicationGate;
  /** Moves the gate's clock on, so that what it remembers goes stale without waiting. */
  let skew = 0;
  let storeDown = false;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cc-door-'));
    store = new HotObjectStore(new LocalObjectStore(dir), 10_000_000);
    gate = new PublicationGate({
      hearing: async (id) => {
        if (storeDown) throw new Error('the store is down');
        if (!hearings.has(id)) throw new CourtcastError('NOT_FOUND', `no hearing ${id}`);
        return { id } as Hearing;
      },
      isPublishable: async (h) => hearings.get(h.id) ?? false,
    }, { now: () => Date.now() + skew });
    const hot = (k: string) => store.hot(k);
    const app = express();
    app.use(express.json());
    app.post('/api/echo', (req, res) => void res.json(req.body));
    app.use('/hls', originRouter(store, gate, undefined, hot));
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      seenByNode.push(`${req.method} ${req.url}`);
      if (!answerHot(req, res, gate, hot)) app(req, res);
    };
    server = createServer(handler);
    server.keepAliveTimeout = 1_000;
    door = new FrontDoor(server, { prefix: '/hls/', answer: doorAnswerer(gate, hot, (h, client) => polls.push(`${h} ${client}`)) });
    await door.listen(0, '127.0.0.1');
    port = door.address().port;
    // The same application on Node's server alone: what the door's answers must match.
    plain = createServer(handler).listen(0, '127.0.0.1');
    await new Promise((r) => plain.once('listening', r));
    plainPort = (plain.address() as AddressInfo).port;
    await store.put(LIST.slice(5), PLAYLIST);
    await store.put(SEG.slice(5), segment);
    await gate.allows('hr_x');
  });

  afterAll(async () => {
    await door?.close();
    plain?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers plain, ranged, conditional and HEAD requests from memory exactly as Node’s path does', async () => {
    const etag = (await fetch(`http://127.0.0.1:${plainPort}${LIST}`)).headers.get('etag') as string;
    const asks: [string, Record<string, string>, string?][] = [[LIST, {}], [SEG, {}], [SEG, { range: 'bytes=10-19' }], [SEG, { range: 'bytes=-5' }], [LIST, { 'if-none-match': etag }], [LIST, {}, 'HEAD'], [`${LIST}?v=1`, {}]];
    for (const [p, headers, method] of asks) {
      await gate.allows('hr_x');
      const before = { door: door.answered, node: seenByNode.length };
      const mine = await fetch(`http://127.0.0.1:${port}${p}`, { headers, method: method ?? 'GET' });
      const theirs = await fetch(`http://127.0.0.1:${plainPort}${p}`, { headers, method: method ?? 'GET' });
      expect(door.answered, p).toBe(before.door + 1);
      expect(seenByNode.length).toBe(before.node + 1);
      expect(mine.status).toBe(theirs.status);
      const strip = (h: Headers) => {
        const pairs: string[] = [];
        h.forEach((v, k) => void (['date', 'connection', 'keep-alive'].includes(k) || pairs.push(`${k}: ${v}`)));
        return pairs.sort();
      };
      expect(strip(mine.headers)).toEqual(strip(theirs.headers));
      expect(Buffer.from(await mine.arrayBuffer()).equals(Buffer.from(await theirs.arrayBuffer()))).toBe(true);
    }
    expect(polls.length).toBeGreaterThan(0);
  });

  it('hands a connection to Node at the first request it does not answer, with every byte after it', async () => {
    await gate.allows('hr_x');
    const body = JSON.stringify({ said: 'GET /hls/hearings/hr_x/360p/index.m3u8 HTTP/1.1' });
    const before = { door: door.answered, node: seenByNode.length };
    const { text } = await exchange(port, `${get(LIST)}POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}${get(LIST)}`, (b) => answers(b.toString('latin1')).length === 3 && b.toString('latin1').endsWith(PLAYLIST));
    expect(answers(text)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200']);
    expect(text).toContain(body);
    expect(door.answered).toBe(before.door + 1);
    expect(seenByNode.slice(before.node)).toEqual(['POST /api/echo', `GET ${LIST}`]);
  });

  it('leaves every head it does not fully understand to Node, which judges it', async () => {
    const heads = [
      get(LIST, 'Content-Length: 41\r\n') + get(LIST).slice(0, 41),
      `GET ${LIST} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      get(SEG, 'Range: bytes=0-1\r\nRange: bytes=5-9\r\n'),
      `GET ${LIST} HTTP/1.1\nHost: x\n\n`,
      `GET ${LIST} HTTP/1.0\r\nHost: x\r\n\r\n`,
      `GET http://x${LIST} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET ${LIST} HTTP/1.1\r\n\r\n`,
      get(LIST, 'X-A: 1\r\n  folded\r\n'),
      get(LIST, 'Connection: close, upgrade\r\n'),
      get(LIST, 'Upgrade: websocket\r\nConnection: Upgrade\r\n'),
      get(LIST, `X-Long: ${'a'.repeat(20_000)}\r\n`),
      `DELETE ${LIST} HTTP/1.1\r\nHost: x\r\n\r\n`,
    ];
    for (const head of heads) {
      await gate.allows('hr_x');
      const before = door.answered;
      const { text } = await exchange(port, head, (b) => answers(b.toString('latin1')).length >= 1 && b.includes('\r\n\r\n'));
      expect(door.answered, head.slice(0, 60)).toBe(before);
      expect(answers(text).length, head.slice(0, 60)).toBeGreaterThanOrEqual(1);
    }
  });

  it('asks the gate again about a hearing it has not heard of lately, and serves only what it allows', async () => {
    skew += 5_000;
    expect(gate.cached('hr_x')).toBeNull();
    const before = door.answered;
    const fresh = await fetch(`http://127.0.0.1:${port}${LIST}`);
    expect(fresh.status).toBe(200);
    expect(door.answered).toBe(before + 1);
    hearings.set('hr_x', false);
    gate.forget('hr_x');
    try {
      const gone = await fetch(`http://127.0.0.1:${port}${LIST}`);
      expect(gone.status).toBe(404);
      expect(door.answered).toBe(before + 1);
    } finally {
      hearings.set('hr_x', true);
      gate.forget('hr_x');
    }
  });

  it('leaves a request to Node when the gate still cannot tell after asking (its store is down)', async () => {
    await gate.allows('hr_x');
    skew += 5_000;
    storeDown = true;
    try {
      const before = door.answered;
      // The gate answers from what it knew, but cannot remember a fresh answer: the door asks once,
      // then Node's path answers (it waits on the gate per request), rather than ask forever.
      const res = await fetch(`http://127.0.0.1:${port}${LIST}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(PLAYLIST);
      expect(door.answered).toBe(before);
    } finally {
      storeDown = false;
    }
  });

  it('closes a connection whose head trickles in for longer than Node allows a head (headersTimeout)', async () => {
    const before = server.headersTimeout;
    server.headersTimeout = 1_500;
    try {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      const got: Buffer[] = [];
      socket.on('data', (c: Buffer) => got.push(c));
      const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now())));
      const started = Date.now();
      // A head of the door's own kind, one field every 300 ms: never idle, never finished.
      socket.write(`GET ${LIST} HTTP/1.1\r\nHost: x\r\n`);
      const drip = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 300);
      const at = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 6_000))]);
      clearInterval(drip);
      socket.destroy();
      expect(at, 'the door closed the slow head').toBeGreaterThan(0);
      // Within the timeout and one sweep of the door's timer, and with nothing answered.
      expect(at - started).toBeGreaterThanOrEqual(1_400);
      expect(at - started).toBeLessThan(3_500);
      expect(Buffer.concat(got).length).toBe(0);
    } finally {
      server.headersTimeout = before;
    }
  });

  it('answers pipelined requests in order to a client that reads late, and closes an idle connection', async () => {
    await gate.allows('hr_x');
    const count = 40;
    const started = Date.now();
    const { bytes, closed } = await exchange(port, get(SEG).repeat(count), undefined, 500);
    // Every answer arrived whole (the head's length aside), then the connection idled out.
    expect(closed).toBe(true);
    expect(answers(bytes.toString('latin1')).length).toBe(count);
    expect(bytes.length).toBeGreaterThan(count * segment.length);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('closes its own connections and those it handed to Node when it closes', async () => {
    const mine = net.connect(port, '127.0.0.1');
    const handed = net.connect(port, '127.0.0.1');
    await Promise.all([mine, handed].map((s) => new Promise((r) => s.once('connect', r))));
    mine.write(get(LIST).slice(0, 20));
    handed.write('POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{');
    await waitFor(() => seenByNode.at(-1) === 'POST /api/echo', 'the handed connection’s request at Node', 5_000);
    const closes = [mine, handed].map((s) => new Promise((r) => s.once('close', r)));
    for (const s of [mine, handed]) s.resume();
    await door.close();
    await Promise.all(closes);
  });
});
