import { createServer } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';

/** `n` distinct free loopback ports, held together while picked so the OS cannot repeat one. */
export async function freeLoopbackPorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  await Promise.all(servers.map((srv) => new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  })));
  const ports = servers.map((srv) => (srv.address() as { port: number }).port);
  await Promise.all(servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
  return ports;
}

/** A loopback TCP port that is free right now (the OS picks it; the caller binds it next). */
export async function freeLoopbackPort(): Promise<number> {
  const [port] = await freeLoopbackPorts(1);
  return port!;
}

/**
 * `n` loopback UDP port pairs (an even RTP port and the RTCP port after it) that are free right
 * now, for an RTP reader to bind next. Each pair is held while the others are picked.
 */
export async function freeUdpPortPairs(n: number): Promise<number[]> {
  const held: Socket[] = [];
  const bind = (port: number) =>
    new Promise<Socket | null>((resolve) => {
      const sock = createSocket('udp4');
      sock.once('error', () => {
        sock.close();
        resolve(null);
      });
      sock.bind(port, '127.0.0.1', () => resolve(sock));
    });
  const pairs: number[] = [];
  try {
    for (let tries = 0; pairs.length < n && tries < 50; tries++) {
      const probe = await bind(0);
      if (!probe) continue;
      const p = probe.address().port & ~1;
      probe.close();
      const rtp = await bind(p);
      const rtcp = rtp ? await bind(p + 1) : null;
      if (rtp) held.push(rtp);
      if (rtcp) held.push(rtcp);
      if (rtp && rtcp) pairs.push(p);
    }
  } finally {
    for (const s of held) s.close();
  }
  if (pairs.length < n) throw new Error('no free UDP port pairs');
  return pairs;
}

/** Resolves once something holds UDP `port` on loopback (a reader bound it), or after `ms`. */
export async function untilUdpPortTaken(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createSocket('udp4');
      probe.once('error', () => {
        probe.close();
        resolve(false);
      });
      probe.bind(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (!free) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}
