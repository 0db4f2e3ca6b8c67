/**
 * Simulated clerks' consoles for the load bench, in a process of their own: each connects to the
 * control channel over a WebSocket, joins the hearing, hears its state fan-out, and joins again
 * every thirty seconds (a join answers with the whole console state, read from the node running
 * the hearing). Connections open fifty at a time. Prints one JSON summary when the time is up.
 * Usage: node --import tsx bench/load-consoles.ts BASE_URL TOKEN HEARING_ID CONSOLES SECONDS
 */
import { io, type Socket } from 'socket.io-client';
import { quantile } from './stats.ts';

const [base, token, hearingId, count, secs] = process.argv.slice(2) as [string, string, string, string, string];
const CONSOLES = Number(count);
const UNTIL = Date.now() + Number(secs) * 1000;
const joins: number[] = [];
let states = 0;
let errors = 0;
let connected = 0;
const samples: string[] = [];
const sockets: Socket[] = [];

function fail(what: string): void {
  errors++;
  if (samples.length < 10) samples.push(what);
}

function join(socket: Socket): Promise<void> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    socket.timeout(10_000).emit('join', { hearingId }, (err: unknown, ack: { ok: boolean; error?: { code: string } }) => {
      if (err) fail('join not answered within 10 s');
      else if (!ack.ok) fail(`join refused: ${ack.error?.code}`);
      else joins.push(performance.now() - t0);
      resolve();
    });
  });
}

async function open(): Promise<Socket> {
  const socket = io(`${base}/control`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  socket.on('state', () => states++);
  socket.on('disconnect', (reason) => {
    if (Date.now() < UNTIL) fail(`disconnected: ${reason}`);
  });
  await new Promise<void>((resolve) => {
    socket.once('connect', () => {
      connected++;
      resolve();
    });
    socket.once('connect_error', (err) => {
      fail(`connect: ${err.message}`);
      resolve();
    });
  });
  return socket;
}

for (let i = 0; i < CONSOLES; i += 50) {
  const batch = await Promise.all(Array.from({ length: Math.min(50, CONSOLES - i) }, () => open()));
  sockets.push(...batch);
  await Promise.all(batch.filter((s) => s.connected).map((s) => join(s)));
}
// Each console joins again every thirty seconds, spread so the joins arrive evenly.
const timers = sockets.map((s, i) =>
  setTimeout(function again() {
    if (Date.now() >= UNTIL || !s.connected) return;
    void join(s).then(() => timers.push(setTimeout(again, 30_000)));
  }, (i / sockets.length) * 30_000),
);
await new Promise((r) => setTimeout(r, Math.max(0, UNTIL - Date.now())));
for (const t of timers) clearTimeout(t);
for (const s of sockets) s.disconnect();
const summary = (xs: number[]) => ({ n: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: quantile(xs, 1) });
process.stdout.write(`${JSON.stringify({ consoles: CONSOLES, connected, join: summary(joins), states, errors, samples })}\n`);
process.exit(0);
