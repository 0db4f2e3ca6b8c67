import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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
