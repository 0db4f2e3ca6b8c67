import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { ReadPulse } from '../../server/media/read-pulse.ts';

const sockets: dgram.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

/** A receiver counting datagrams on the pulse, and a sender that has put `n` datagrams in the kernel's queue for it. */
async function backlog(n: number): Promise<{ pulse: ReadPulse; received: () => number; send: () => void; onRead: (f: () => void) => void }> {
  const pulse = new ReadPulse();
  let received = 0;
  let onRead = () => {};
  const rx = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const tx = dgram.createSocket('udp4');
  sockets.push(rx, tx);
  rx.on('message', () => {
    received++;
    pulse.read();
    onRead();
  });
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
  const { port } = rx.address();
  const one = () => new Promise<void>((r) => tx.send(Buffer.alloc(1200), port, '127.0.0.1', () => r()));
  await Promise.all(Array.from({ length: n }, one));
  return { pulse, received: () => received, send: () => void one(), onRead: (f) => (onRead = f) };
}

/** Holds the event loop, as a busy server does while datagrams queue up. */
const block = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};

describe('waiting until the media that reached us has been read', () => {
  it('reads a backlog of 200 datagrams (several of the loop’s batches) before it settles', async () => {
    const b = await backlog(200);
    block(30);
    expect(b.received()).toBe(0);
    const r = await b.pulse.settled();
    expect(b.received()).toBe(200);
    expect(r.quiet).toBe(true);
    expect(r.turns).toBeGreaterThan(2);
  });

  it('settles in two turns when nothing is waiting', async () => {
    const b = await backlog(0);
    expect(await b.pulse.settled()).toEqual({ turns: 2, quiet: true });
  });

  it('gives up after its bound when media keeps coming, and says so', async () => {
    // Every datagram read sends another: 16 are always on their way.
    const b = await backlog(16);
    let flowing = true;
    b.onRead(() => {
      if (flowing) b.send();
    });
    try {
      const started = Date.now();
      const r = await b.pulse.settled({ maxTurns: 1_000_000, maxMs: 100 });
      expect(Date.now() - started).toBeLessThan(400);
      expect(r.quiet).toBe(false);
    } finally {
      flowing = false;
    }
  });
});
