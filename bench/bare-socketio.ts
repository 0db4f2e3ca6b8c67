/**
 * Baseline for the control benchmark: a bare Socket.IO server with the same shape of traffic
 * (auth in io.use, one room, ack per command, a broadcast per command) and no Courtcast work.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 0);
const http = createServer();
const io = new Server(http, { serveClient: false });
const nsp = io.of('/control');
nsp.use((socket, next) => (typeof socket.handshake.auth?.token === 'string' ? next() : next(new Error('UNAUTHORIZED'))));
nsp.on('connection', (socket) => {
  socket.on('join', (p: { hearingId: string }, ack: (a: unknown) => void) => {
    void socket.join(`hearing:${p.hearingId}`);
    ack({ ok: true, state: { hearing: { id: p.hearingId }, live: { phase: 'on-air' } } });
  });
  for (const cmd of ['pause', 'resume']) {
    socket.on(cmd, (p: { hearingId: string }, ack: (a: unknown) => void) => {
      const state = { phase: cmd === 'pause' ? 'paused' : 'on-air', at: Date.now() };
      ack({ ok: true, state });
      nsp.to(`hearing:${p.hearingId}`).emit('state', { hearing: { id: p.hearingId }, live: state });
    });
  }
});
http.listen(port, '127.0.0.1', () => process.stdout.write(`READY ${(http.address() as { port: number }).port}\n`));
