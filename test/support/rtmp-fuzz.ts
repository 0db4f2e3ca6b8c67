import { connect, type Socket } from 'node:net';

/** A small seeded PRNG (mulberry32), so a failing corpus case can be replayed by its number. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An AMF0 value as the fuzzer writes it. */
export type Amf = number | string | boolean | null | undefined | { [k: string]: Amf } | Amf[];

/** AMF0 encoding of one value (numbers, strings, booleans, null, undefined, objects, strict arrays). */
export function amf0(v: Amf): Buffer {
  if (typeof v === 'number') {
    const b = Buffer.alloc(9);
    b[0] = 0x00;
    b.writeDoubleBE(v, 1);
    return b;
  }
  if (typeof v === 'boolean') return Buffer.from([0x01, v ? 1 : 0]);
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    const h = Buffer.alloc(3);
    h[0] = 0x02;
    h.writeUInt16BE(Math.min(s.length, 0xffff), 1);
    return Buffer.concat([h, s.subarray(0, 0xffff)]);
  }
  if (v === null) return Buffer.from([0x05]);
  if (v === undefined) return Buffer.from([0x06]);
  if (Array.isArray(v)) {
    const h = Buffer.alloc(5);
    h[0] = 0x0a;
    h.writeUInt32BE(v.length, 1);
    return Buffer.concat([h, ...v.map(amf0)]);
  }
  const parts: Buffer[] = [Buffer.from([0x03])];
  for (const [k, x] of Object.entries(v)) {
    const key = Buffer.from(k, 'utf8');
    const kl = Buffer.alloc(2);
    kl.writeUInt16BE(key.length);
    parts.push(kl, key, amf0(x));
  }
  parts.push(Buffer.from([0x00, 0x00, 0x09]));
  return Buffer.concat(parts);
}

/** An AMF0 command message body: name, transaction id, then arguments. */
export const command = (name: string, txn: number, ...args: Amf[]): Buffer => Buffer.concat([amf0(name), amf0(txn), ...args.map(amf0)]);

/**
 * One RTMP message as type-0 chunks on chunk stream 3, split at the default chunk size of 128
 * with type-3 continuation headers. `declaredLength` lets a case lie about the length.
 */
export function chunked(type: number, payload: Buffer, o: { streamId?: number; declaredLength?: number; csid?: number } = {}): Buffer {
  const csid = o.csid ?? 3;
  const header = Buffer.alloc(12);
  header[0] = csid & 0x3f;
  header.writeUIntBE(0, 1, 3);
  header.writeUIntBE(Math.min(o.declaredLength ?? payload.length, 0xffffff), 4, 3);
  header[7] = type & 0xff;
  header.writeUInt32LE(o.streamId ?? 0, 8);
  const parts: Buffer[] = [header];
  for (let off = 0; off < payload.length; off += 128) {
    if (off > 0) parts.push(Buffer.from([0xc0 | (csid & 0x3f)]));
    parts.push(payload.subarray(off, off + 128));
  }
  return Buffer.concat(parts);
}

/** One fuzz case: whether to do a proper handshake first, then the bytes to send after it. */
export interface FuzzCase {
  readonly name: string;
  readonly handshake: boolean;
  readonly bytes: Buffer;
}

const AMF_TYPE = 0x14;
/** The packet that ended the whole process under node-media-server 2.7: a connect with no `app`. */
export const CONNECT_WITHOUT_APP: FuzzCase = { name: 'connect without app', handshake: true, bytes: chunked(AMF_TYPE, command('connect', 1, {})) };

/**
 * A corpus of malformed and hostile RTMP sessions, reproducible from its seed: broken handshakes,
 * connects whose `app` is missing or of the wrong type, publishes and plays with odd names,
 * unknown commands, lying lengths, chunk-size abuse, random message types, orphan continuation
 * chunks, and bit-flipped copies of a valid connect-publish exchange.
 */
export function rtmpCorpus(count: number, seed = 7): FuzzCase[] {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const oddValues: Amf[] = [null, undefined, 0, -1, 1e308, NaN, '', '/', '../../etc', 'x'.repeat(2000), true, {}, [], { app: null }, [1, 'a', null]];
  const connect = (app: Amf) => chunked(AMF_TYPE, command('connect', 1, { app, tcUrl: 'rtmp://x/live', flashVer: 'FMLE/3.0' }));
  const validConnect = connect('live');
  const publish = (name: Amf) => chunked(AMF_TYPE, command('publish', 5, null, name, 'live'), { streamId: 1 });
  const play = (name: Amf) => chunked(AMF_TYPE, command('play', 4, null, name), { streamId: 1 });
  const createStream = chunked(AMF_TYPE, command('createStream', 2, null));
  const makers: ((i: number) => FuzzCase)[] = [
    () => CONNECT_WITHOUT_APP,
    () => ({ name: 'connect with odd app', handshake: true, bytes: connect(pick(oddValues)) }),
    () => ({ name: 'connect with odd command object', handshake: true, bytes: chunked(AMF_TYPE, command('connect', 1, pick(oddValues))) }),
    () => ({ name: 'publish odd name', handshake: true, bytes: Buffer.concat([validConnect, createStream, publish(pick(oddValues))]) }),
    () => ({ name: 'publish without connect', handshake: true, bytes: Buffer.concat([createStream, publish('some-key')]) }),
    () => ({ name: 'play odd name', handshake: true, bytes: Buffer.concat([validConnect, createStream, play(pick([...oddValues, 'courtroom-cr_x?token=guess']))]) }),
    () => ({ name: 'unknown command', handshake: true, bytes: Buffer.concat([validConnect, chunked(AMF_TYPE, command(bytes(1 + int(20)).toString('latin1'), int(9), pick(oddValues), pick(oddValues)))]) }),
    () => ({ name: 'lying length', handshake: true, bytes: chunked(AMF_TYPE, command('connect', 1, { app: 'live' }), { declaredLength: pick([0, 1, 0xffffff, 0x7fffff, 70_000]) }) }),
    () => ({ name: 'chunk size abuse', handshake: true, bytes: Buffer.concat([chunked(1, Buffer.from([int(256), int(256), int(256), int(256)]), { csid: 2 }), validConnect]) }),
    () => ({ name: 'random message type', handshake: true, bytes: Buffer.concat([validConnect, chunked(int(256), bytes(int(600)), { streamId: int(3) })]) }),
    () => ({ name: 'media before publish', handshake: true, bytes: Buffer.concat([validConnect, chunked(pick([8, 9, 18, 15]), bytes(int(400)), { streamId: 1 })]) }),
    () => ({ name: 'orphan continuation chunks', handshake: true, bytes: Buffer.concat([Buffer.from([0xc3, 0x83, 0x43]), bytes(int(300))]) }),
    () => ({ name: 'random bytes after handshake', handshake: true, bytes: bytes(1 + int(2000)) }),
    () => ({ name: 'broken handshake', handshake: false, bytes: Buffer.concat([Buffer.from([pick([0, 3, 6, 0xff])]), bytes(int(4000))]) }),
    () => {
      const good = Buffer.concat([validConnect, createStream, publish('not-a-key')]);
      const flipped = Buffer.from(good);
      for (let k = 0; k < 1 + int(6); k++) {
        const at = int(flipped.length);
        flipped[at] = (flipped[at] ?? 0) ^ (1 << int(8));
      }
      return { name: 'bit-flipped publish', handshake: true, bytes: flipped };
    },
  ];
  return Array.from({ length: count }, (_, i) => (makers[i % makers.length] as (i: number) => FuzzCase)(i));
}

/** The handshake a client sends: C0 (version 3) and C1 (1536 bytes); C2 echoes S1. */
async function handshake(socket: Socket, timeoutMs: number): Promise<boolean> {
  const c1 = Buffer.alloc(1536);
  socket.write(Buffer.concat([Buffer.from([3]), c1]));
  let got = Buffer.alloc(0);
  const ok = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 3073) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    socket.once('close', () => resolve(false));
  });
  if (ok) socket.write(got.subarray(1, 1537));
  return ok;
}

/**
 * Plays one case against an RTMP port: connect, handshake if asked, send the bytes, then wait a
 * little for the server to answer or hang up. Resolves whatever happens; it only reports.
 */
export async function playCase(port: number, c: FuzzCase, host = '127.0.0.1', waitMs = 150): Promise<'closed' | 'open'> {
  const socket = connect(port, host);
  socket.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    if (c.handshake && !(await handshake(socket, 2000))) return 'closed';
    socket.write(c.bytes);
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve('open'), waitMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve('closed');
      });
    });
  } catch {
    return 'closed';
  } finally {
    socket.destroy();
  }
}
