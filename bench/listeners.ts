/**
 * The bench's consoles, in a process of their own so the commander's acks are not queued behind
 * a thousand receipts. Prints one JSON line: for each console, the epoch time (ms, sub-ms
 * resolution) at which it saw each phase change, in order.
 */
import { io, type Socket } from 'socket.io-client';

const [base, token, hearingId, countArg] = process.argv.slice(2);
const count = Number(countArg);
const now = (): number => performance.timeOrigin + performance.now();
const seen: number[][] = [];
const clients: Socket[] = [];

for (let i = 0; i < count; i += 100) {
  const batch = Array.from({ length: Math.min(100, count - i) }, () => io(`${base}/control`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true }));
  await Promise.all(batch.map((c) => new Promise<void>((resolve, reject) => { c.once('connect', () => resolve()); c.once('connect_error', reject); })));
  for (const c of batch) {
    const times: number[] = [];
    seen.push(times);
    let phase: string | undefined;
    const onState = (st: { live?: { phase?: string } }) => {
      const p = st.live?.phase;
      if (phase !== undefined && p !== phase) times.push(now());
      phase = p;
    };
    c.on('state', onState);
    const ack = (await c.timeout(20_000).emitWithAck('join', { hearingId })) as { ok: boolean; state?: { live?: { phase?: string } } };
    if (ack.state) phase = ack.state.live?.phase;
  }
  clients.push(...batch);
}
process.stdout.write('READY\n');
process.stdin.once('data', () => {
  for (const c of clients) c.disconnect();
  // A pipe is written asynchronously: exit only once the whole line is out.
  process.stdout.write(`${JSON.stringify(seen)}\n`, () => process.exit(0));
});
