import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_MS } from '../support/encoder.ts';
import { decodeCounters, decodeFeed, type DecodedEntry } from '../support/public-feed.ts';
import { startLiveHearing, type LiveHearing } from '../support/live-hearing.ts';
import { heardMs, soundMadeWithin } from '../support/timecode.ts';
import { elapse, waitFor } from '../support/wait.ts';

const D = 6_000;

describe('cut dumps the unreleased window', () => {
  let live: LiveHearing;
  let decoded: DecodedEntry[];
  let releasedAtCut = 0;
  let cutAt = { before: 0, after: 0 };
  let resumeAt = { before: 0, after: 0 };
  const masterCounters: number[] = [];
  const reason = { reason: 'protected witness named' };

  beforeAll(async () => {
    live = await startLiveHearing({ delaySeconds: D / 1000, begin: 'open' });
    const { s, hearingId, feed } = live;
    await live.command('start', reason);
    // Wait until program media is public, so the cut has both released and unreleased content.
    await waitFor(async () => {
      await feed.poll();
      return (await decodeFeed(feed, { hear: false })).some((e) => e.program);
    }, 'program media in public', 30_000, 500);
    await elapse(2_000);
    cutAt = await live.command('cut', reason);
    // Whatever program media the public can see right after the cut was released before it.
    await feed.poll();
    const atCut = await decodeFeed(feed, { hear: false });
    releasedAtCut = Math.max(0, ...atCut.filter((e) => e.program).flatMap((e) => e.counters));
    await elapse(4_000);
    resumeAt = await live.command('resume', reason);
    await elapse(D + 6_000);
    await live.end(D + 15_000);
    decoded = await decodeFeed(feed);
    const masterDir = path.join(s.cc.dirs.master, hearingId);
    for (const run of await readdir(masterDir)) {
      if (!/^[rm]\d+$/.test(run)) continue;
      for (const f of (await readdir(path.join(masterDir, run))).filter((x) => x.endsWith('.ts')).sort()) {
        masterCounters.push(...(await decodeCounters(await readFile(path.join(masterDir, run, f)))));
      }
    }
  }, 150_000);

  afterAll(() => live?.close());

  it('had captured content inside the delay window when the cut came (the test is not vacuous)', () => {
    expect(releasedAtCut).toBeGreaterThan(0);
    // At least two seconds of captured picture were still unreleased when the clerk cut.
    expect(cutAt.before - live.encoder.timeOf(releasedAtCut)).toBeGreaterThan(2_000);
    const dumpedInMaster = masterCounters.filter((c) => c > releasedAtCut && live.encoder.timeOf(c) < cutAt.before);
    expect(dumpedInMaster.length).toBeGreaterThan(60);
  });

  it('never airs a frame captured between the last release and the resume', () => {
    const resumeEstimate = resumeAt.before - 600; // counter estimates run early by up to 0.6 s
    const leaked = decoded
      .flatMap((e) => e.counters)
      .filter((c) => c > releasedAtCut && live.encoder.timeOf(c) < resumeEstimate);
    expect(leaked).toEqual([]);
  });

  it('never airs sound made between the last release and the resume, on the picture’s rung or the audio-only one', () => {
    expect(heardMs(decoded)).toBeGreaterThan(5_000);
    const dumped = { name: 'the dumped window', start: live.encoder.timeOf(releasedAtCut) + FRAME_MS, end: resumeAt.before - 600 };
    expect(soundMadeWithin(decoded, live.encoder.epoch, dumped)).toEqual([]);
  });

  it('switches the public to the slate at once and back to the picture after resume + D', () => {
    const afterCut = decoded.filter((e) => e.appearedAt > cutAt.after);
    const firstProgramAfterCut = afterCut.find((e) => e.program);
    expect(afterCut[0]?.program).toBe(false);
    expect(firstProgramAfterCut).toBeDefined();
    expect(firstProgramAfterCut!.appearedAt).toBeGreaterThanOrEqual(resumeAt.before + D);
  });

  it('keeps the master complete through the cut: no frame is missing from it', () => {
    const sorted = [...new Set(masterCounters.filter((c) => c > 0))].sort((a, b) => a - b);
    const gaps = sorted.slice(1).filter((c, i) => c - sorted[i]! !== 1);
    expect(gaps).toEqual([]);
  });
});
