import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { transcodeSpec, type RungOptions } from '../server/media/args.ts';
import { specToArgs } from '../server/media/spec.ts';

/** What opening a hearing needs of an API client (the tests' server, or a bench's own caller). */
interface ApiCaller {
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

/** Opens and starts a cleared hearing over the API, as a clerk does; any refusal ends the bench. */
export async function openAndStart(s: ApiCaller, hearingId: string): Promise<void> {
  for (const step of ['open', 'start']) {
    const res = await s.api('POST', `/api/hearings/${hearingId}/broadcast/${step}`, {});
    if (res.status !== 200) throw new Error(`${step}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** FFmpeg's own RTMP listener as an input: the bare baselines take the encoder with no server between. */
export function rtmpListenInput(port: number): { args: string[]; url: string } {
  const url = `rtmp://127.0.0.1:${port}/live/bench`;
  return { args: ['-hide_banner', '-nostdin', '-loglevel', 'error', '-listen', '1', '-f', 'flv', '-i', url], url };
}

/**
 * Bare FFmpeg running the live transcode's filter graph and outputs for `ladder` (no slots, no
 * overlay, no kept timestamps) from its own RTMP listener on `port`, into `dir`/RUNG.
 */
export function bareListeningLadder(o: { port: number; ladder: readonly RungOptions[]; fps: number; dir: string }): ChildProcess {
  const spec = transcodeSpec({ input: { url: 'x', options: [] }, ladder: o.ladder, segmentSeconds: 2, fps: o.fps, pendingDir: (r) => (mkdirSync(`${o.dir}/${r}`, { recursive: true }), `${o.dir}/${r}`) });
  const args = specToArgs(spec);
  return spawn('ffmpeg', [...rtmpListenInput(o.port).args, ...args.slice(args.indexOf('-i') + 2)], { stdio: 'ignore' });
}

/** Whether something listens on TCP `port`, read from the kernel's socket table so no connection is spent on asking. */
function listensOn(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].some((table) => {
    try {
      // Columns: sl local_address rem_address st …; st 0A is LISTEN.
      return readFileSync(table, 'utf8').split('\n').some((row) => {
        const cols = row.trim().split(/\s+/);
        return cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A';
      });
    } catch {
      return false;
    }
  });
}

/**
 * Waits until a bare ladder writing into `dir` has completed its first segment of `rung`: it has
 * an encoder and is transcoding. On a loaded machine the encoder's own FFmpeg may take longer to
 * start sending than a smoke's warm-up lasts, and a baseline measured before then is an idle
 * process (ci80: 0.000 cores, with the port already listening).
 */
export async function untilTranscoding(dir: string, rung: string, limitMs = 30_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!existsSync(path.join(dir, rung, 'index.m3u8'))) {
    if (Date.now() > until) throw new Error(`the bare ladder wrote no ${rung} segment in ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until a bare FFmpeg listens on `port`. FFmpeg's listener accepts one connection, so a
 * probe cannot connect; and an encoder that connects too early fails and leaves the baseline
 * measuring an idle process (the pipeline smoke's zero baseline, on a loaded CI machine).
 */
export async function untilListening(port: number, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!listensOn(port)) {
    if (Date.now() > until) throw new Error(`nothing listens on port ${port} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
