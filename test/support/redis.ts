import { spawn, type ChildProcess } from 'node:child_process';
import { createClient } from 'redis';
import { freeLoopbackPort } from '../../server/media/ports.ts';
import { waitFor } from './wait.ts';

/** A TCP port that is free right now. */
export const freeTcpPort = freeLoopbackPort;

/** A private redis-server for one test file, on a free port, with persistence off. */
export class TestRedis {
  private child: ChildProcess | null = null;
  port = 0;

  /** With `persistDir`, the server keeps an append-only file there, so a restart keeps the data. */
  constructor(private readonly persistDir?: string) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    // A restart keeps the port, so clients reconnect to the same URL.
    if (this.port === 0) this.port = await freeTcpPort();
    // Port 0 would turn TCP off rather than pick a port (FIELD-NOTES), hence the free port above.
    const persistence = this.persistDir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.persistDir] : ['--appendonly', 'no'];
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence], { stdio: 'ignore' });
    await waitFor(async () => {
      const c = createClient({ url: this.url });
      c.on('error', () => {});
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } finally {
        if (c.isOpen) await c.quit();
      }
    }, 'redis-server to answer', 10_000);
    return this;
  }

  /** Stops the server answering without closing its connections, as a stalled Redis does. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    const exited = new Promise((r) => this.child?.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
    this.child = null;
  }
}
