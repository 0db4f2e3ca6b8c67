import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCounter } from '../../server/media/synthetic.ts';
import { videoPts } from '../../server/media/ts-continuity.ts';
import { FRAME_MS } from '../support/encoder.ts';
import { startLiveHearing, type LiveHearing } from '../support/live-hearing.ts';
import { masterSegmentFiles } from '../support/server.ts';
import { decodeFeed, decodeFrames, type DecodedEntry } from '../support/public-feed.ts';
import { elapse } from '../support/wait.ts';

const D = 14_000;

/**
 * The transcoder falls seconds behind (stopped with SIGSTOP, as an overloaded machine would hold
 * it), the clerk ends the hearing, and the encoder leaves right after, while the transcoder is
 * still held: everything captured before the end must still air, so the transcoder works off what
 * reached the ingest after the encoder has gone, and only then is the hearing closed.
 */
describe('end with a backlog in the transcoder', () => {
  let live: LiveHearing;
  let decoded: DecodedEntry[] = [];
  /** The newest encoder timestamp at ingest just before the end was asked for: every frame up to it was captured before the end. */
  let endBefore = 0;
  /** For each frame of a master segment, its timestamp less its counter's time: one constant, which maps counters onto the encoder's clock. */
  const stamps: number[] = [];

  beforeAll(async () => {
    live = await startLiveHearing({ delaySeconds: D / 1000, begin: 'open', pollMs: 250, config: { media: { liveMaskSlots: 0 } } });
    const { s, hearingId, feed } = live;
    await live.command('start');
    await elapse(4_000);
    const pid = s.cc.broadcasts.live(hearingId)?.ffmpegPid;
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGSTOP');
    await elapse(4_000);
    endBefore = s.cc.ingest.clockOf(live.courtroomId)!.latest!;
    await live.command('end');
    // The courtroom stops its encoder once the clerk ends; the transcoder is still held, 8 s behind.
    await elapse(500);
    await live.encoder.kill();
    await elapse(1_500);
    process.kill(pid!, 'SIGCONT');
    await feed.untilEnded(D + 60_000);
    decoded = await decodeFeed(feed);
    // The master keeps the encoder's timestamps: one of its segments relates counters to them.
    const body = await readFile((await masterSegmentFiles(s, hearingId))[1]!);
    const pts = videoPts(body).sort((a, b) => a - b);
    (await decodeFrames(body)).forEach((f, k) => {
      const c = readCounter(f.subarray(0, 640 * 40));
      if (c > 0 && pts[k] !== undefined) stamps.push(pts[k]! * 1000 - c * FRAME_MS);
    });
  }, 150_000);

  afterAll(() => live?.close());

  it('airs every frame captured before the end, with no hole, however far behind the transcoder was', () => {
    const aired = new Set(decoded.flatMap((e) => e.counters).filter((c) => c > 0));
    expect(aired.size).toBeGreaterThan(100);
    const first = Math.min(...aired);
    // Counters map onto the encoder's clock by one constant (half a frame of jitter at most).
    expect(stamps.length).toBeGreaterThan(30);
    expect(Math.max(...stamps) - Math.min(...stamps)).toBeLessThan(FRAME_MS / 2);
    // Every frame at ingest before the end was asked for (less one, for the edge's rounding).
    const due: number[] = [];
    for (let c = first; c * FRAME_MS + stamps[0]! <= endBefore - FRAME_MS; c++) due.push(c);
    expect(due.length).toBeGreaterThan(150);
    // On failure, say which entries aired around the hole (their sequence, first and last counter, frames).
    const missing = due.filter((c) => !aired.has(c));
    const around = decoded.filter((e) => e.counters.some((c) => c > 0 && Math.abs(c - (missing[0] ?? 0)) < 90)).map((e) => `${e.seq}:${e.counters[0]}..${e.counters.at(-1)}(${e.counters.length})`);
    expect(missing, around.join(' ')).toEqual([]);
  });

  it('ends the public playlist with the end card', () => {
    expect(live.feed.ended).toBe(true);
    const last = decoded.at(-1)!;
    expect(last.program).toBe(false);
  });
});
