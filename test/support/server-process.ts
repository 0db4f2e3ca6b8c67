import { spawn, type ChildProcess } from 'node:child_process';
import { freeTcpPort } from './redis.ts';
import { TEST_LADDER, TEST_SCRYPT_LOG_N, TEST_SLATE_CACHE } from './server.ts';
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

/**
 * A server process on free loopback ports with the tests' ladder and short delays, its data in
 * `dataDir`, plus `env` (the store, the bootstrap admin). Not started yet.
 */
export async function serverOnFreePorts(dataDir: string, env: NodeJS.ProcessEnv): Promise<{ server: ServerProcess; base: string; rtmpPort: number }> {
  const httpPort = await freeTcpPort();
  const rtmpPort = await freeTcpPort();
  const server = new ServerProcess({
    COURTCAST_HTTP_HOST: '127.0.0.1',
    COURTCAST_HTTP_PORT: String(httpPort),
    COURTCAST_RTMP_PORT: String(rtmpPort),
    COURTCAST_DATA_DIR: dataDir,
    COURTCAST_LADDER: JSON.stringify(TEST_LADDER),
    // The in-process test servers' slates (same ladder): a server process starts without rendering them.
    COURTCAST_SLATE_CACHE_DIR: TEST_SLATE_CACHE,
    COURTCAST_SCRYPT_LOG_N: String(TEST_SCRYPT_LOG_N),
    COURTCAST_DELAY_MIN: '2',
    COURTCAST_LOG_LEVEL: 'warn',
    ...env,
  });
  return { server, base: `http://127.0.0.1:${httpPort}`, rtmpPort };
}

