/**
 * Simulated viewers for the load bench, in a process of their own: each polls a rung's live
 * playlist once per target duration, as hls.js does, and fetches the newest segment when it is
 * new (with `--every-poll`, on every poll: the baseline's static files never change). Viewers
 * start spread over the first ten seconds (half the run, if shorter). Prints one JSON summary when
 * the time is up.
 * Usage: node --import tsx bench/load-viewers.ts BASE_URL PLAYLIST_PATH_PREFIX VIEWERS SECONDS [--every-poll]
 */
import http from 'node:http';
import HLS from 'hls-parser';
import type { MasterPlaylist } from 'hls-parser/types.js';
import { quantile } from './stats.ts';

const [base, prefix, count, secs] = process.argv.slice(2) as [string, string, string, string];
const everyPoll = process.argv.includes('--every-poll');
const VIEWERS = Number(count);
const UNTIL = Date.now() + Number(secs) * 1000;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

const latency = { playlist: [] as number[], segment: [] as number[] };
let bytes = 0;
let errors = 0;
const samples: string[] = [];

function fail(what: string): void {
  errors++;
  if (samples.length < 10) samples.push(what);
}

/** One GET on a kept-alive connection, its body drained: status, body and time to the last byte. */
function get(url: string, keep: boolean): Promise<{ status: number; body: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (keep) parts.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: keep ? Buffer.concat(parts).toString() : '', ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timed out after 10 s')));
    req.on('error', reject);
  });
}

/** The rungs the master playlist offers (read once: the ladder is whatever the server was given). */
async function rungs(): Promise<string[]> {
  const master = await get(`${base}${prefix}/master.m3u8`, true);
  if (master.status !== 200) throw new Error(`master playlist ${master.status}`);
  const pl = HLS.parse(master.body) as MasterPlaylist;
  return pl.variants.map((v) => v.uri.split('/')[0]!);
}
const RUNGS = await rungs();

async function viewer(i: number): Promise<void> {
  const playlist = `${base}${prefix}/${RUNGS[i % RUNGS.length]}/index.m3u8`;
  let last = '';
  await new Promise((r) => setTimeout(r, Math.random() * Math.min(10_000, Number(secs) * 500)));
  while (Date.now() < UNTIL) {
    const started = Date.now();
    try {
      const p = await get(playlist, true);
      if (p.status !== 200) fail(`playlist ${p.status}`);
      else {
        latency.playlist.push(p.ms);
        const newest = p.body.split('\n').filter((l) => l.endsWith('.ts')).at(-1);
        if (newest && (everyPoll || newest !== last)) {
          last = newest;
          const s = await get(new URL(newest, playlist).toString(), false);
          if (s.status !== 200) fail(`segment ${s.status}`);
          else latency.segment.push(s.ms);
        }
      }
    } catch (err) {
      fail(err instanceof Error ? err.message : String(err));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 2_000 - (Date.now() - started))));
  }
}

await Promise.all(Array.from({ length: VIEWERS }, (_, i) => viewer(i)));
const summary = (xs: number[]) => ({ n: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: quantile(xs, 1) });
process.stdout.write(`${JSON.stringify({ viewers: VIEWERS, playlist: summary(latency.playlist), segment: summary(latency.segment), bytes, errors, samples })}\n`);
agent.destroy();
