import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait.ts';

/** Courtcast as its own process, so it can be killed with SIGKILL like a crashed server. */
export class ServerProcess {
  child: ChildProcess | null = null;
  log = '';
  constructor(readonly env: NodeJS.ProcessEnv) {}

  async start(base: string): Promise<void> {
    // One node process (tsx as a loader, not its CLI wrapper), so SIGKILL hits exactly the server.
    this.child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => (this.log = (this.log + d.toString()).slice(-20_000));
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok, 'the server to answer', 60_000, 200);
  }

  /** SIGKILL to the server alone: its FFmpeg children are orphaned, as in a real crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    this.child = null;
  }
}

