import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveHearing, type LiveHearing } from '../support/live-hearing.ts';
import { decodeFeed, type DecodedEntry } from '../support/public-feed.ts';
import { elapse } from '../support/wait.ts';

const D = 14_000;
/** Counter estimates run early by up to this much (FFmpeg starts emitting after it spawns). */
const EARLY = 600;

/**
 * The transcoder falls seconds behind (stopped with SIGSTOP, as an overloaded machine would hold
 * it), and the clerk ends the hearing just as it resumes: everything captured before the end
 * must still air, so the transcoder runs on until it has produced it.
 */
describe('end with a backlog in the transcoder', () => {
  let live: LiveHearing;
  let decoded: DecodedEntry[] = [];
  let endBefore = 0;

  beforeAll(async () => {
    live = await startLiveHearing({ delaySeconds: D / 1000, begin: 'open', pollMs: 250, config: { media: { liveMaskSlots: 0 } } });
    const { s, hearingId, feed } = live;
    await live.command('start');
    await elapse(4_000);
    const pid = s.cc.broadcasts.live(hearingId)?.ffmpegPid;
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGSTOP');
    await elapse(4_000);
    endBefore = Date.now();
    await live.command('end');
    // For 6 s more it runs a tenth of the time: the backlog cannot clear soon after the end.
    // Once it has produced everything before the end, the server stops it: the loop ends there.
    const signal = (sig: NodeJS.Signals): boolean => {
      try {
        return process.kill(pid!, sig);
      } catch {
        return false;
      }
    };
    for (const until = Date.now() + 6_000; Date.now() < until && signal('SIGSTOP'); ) {
      await elapse(900);
      signal('SIGCONT');
      await elapse(100);
    }
    signal('SIGCONT');
    await feed.untilEnded(D + 60_000);
    decoded = await decodeFeed(feed);
  }, 150_000);

  afterAll(() => live?.close());

  it('airs every frame captured before the end, with no hole, however far behind the transcoder was', () => {
    const aired = new Set(decoded.flatMap((e) => e.counters).filter((c) => c > 0));
    expect(aired.size).toBeGreaterThan(100);
    const first = Math.min(...aired);
    // Emitted (so captured) safely before the end command.
    const due: number[] = [];
    for (let c = first; live.encoder.timeOf(c) + EARLY + 200 < endBefore; c++) due.push(c);
    expect(due.length).toBeGreaterThan(150);
    expect(due.filter((c) => !aired.has(c))).toEqual([]);
  });

  it('ends the public playlist with the end card', () => {
    expect(live.feed.ended).toBe(true);
    const last = decoded.at(-1)!;
    expect(last.program).toBe(false);
  });
});
