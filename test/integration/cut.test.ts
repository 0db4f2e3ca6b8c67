import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_MS, TestEncoder } from '../support/encoder.ts';
import { decodeCounters, decodeFeed, PublicFeed, type DecodedEntry } from '../support/public-feed.ts';
import { seedHearing, startTestServer, type TestServer, waitForEncoder } from '../support/server.ts';
import { heardMs, soundMadeWithin } from '../support/timecode.ts';
import { elapse, waitFor } from '../support/wait.ts';

const D = 6_000;

describe('cut dumps the unreleased window', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let feed: PublicFeed;
  let decoded: DecodedEntry[];
  let hearingId = '';
  let releasedAtCut = 0;
  let cutAt = { before: 0, after: 0 };
  let resumeAt = { before: 0, after: 0 };
  const masterCounters: number[] = [];

  const command = async (cmd: string) => {
    const before = Date.now();
    const res = await s.api('POST', `/api/hearings/${hearingId}/broadcast/${cmd}`, { reason: 'protected witness named' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return { before, after: Date.now() };
  };

  beforeAll(async () => {
    s = await startTestServer();
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    hearingId = seeded.hearingId;
    await command('open');
    feed = new PublicFeed(`${s.base}/hls/hearings/${hearingId}/360p/index.m3u8`).start();
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    await waitForEncoder(s, hearingId);
    await command('start');
    // Wait until program media is public, so the cut has both released and unreleased content.
    await waitFor(async () => {
      await feed.poll();
      return (await decodeFeed(feed, { hear: false })).some((e) => e.program);
    }, 'program media in public', 30_000, 500);
    await elapse(2_000);
    cutAt = await command('cut');
    // Whatever program media the public can see right after the cut was released before it.
    await feed.poll();
    const atCut = await decodeFeed(feed, { hear: false });
    releasedAtCut = Math.max(0, ...atCut.filter((e) => e.program).flatMap((e) => e.counters));
    await elapse(4_000);
    resumeAt = await command('resume');
    await elapse(D + 6_000);
    await command('end');
    await feed.untilEnded(D + 15_000);
    decoded = await decodeFeed(feed);
    const masterDir = path.join(s.cc.dirs.master, hearingId);
    for (const run of await readdir(masterDir)) {
      if (!/^[rm]\d+$/.test(run)) continue;
      for (const f of (await readdir(path.join(masterDir, run))).filter((x) => x.endsWith('.ts')).sort()) {
        masterCounters.push(...(await decodeCounters(await readFile(path.join(masterDir, run, f)))));
      }
    }
  }, 150_000);

  afterAll(async () => {
    feed?.stop();
    await encoder?.kill();
    await s?.close();
  });

  it('had captured content inside the delay window when the cut came (the test is not vacuous)', () => {
    expect(releasedAtCut).toBeGreaterThan(0);
    // At least two seconds of captured picture were still unreleased when the clerk cut.
    expect(cutAt.before - encoder.timeOf(releasedAtCut)).toBeGreaterThan(2_000);
    const dumpedInMaster = masterCounters.filter((c) => c > releasedAtCut && encoder.timeOf(c) < cutAt.before);
    expect(dumpedInMaster.length).toBeGreaterThan(60);
  });

  it('never airs a frame captured between the last release and the resume', () => {
    const resumeEstimate = resumeAt.before - 600; // counter estimates run early by up to 0.6 s
    const leaked = decoded
      .flatMap((e) => e.counters)
      .filter((c) => c > releasedAtCut && encoder.timeOf(c) < resumeEstimate);
    expect(leaked).toEqual([]);
  });

  it('never airs sound made between the last release and the resume, on the picture’s rung or the audio-only one', () => {
    expect(heardMs(decoded)).toBeGreaterThan(5_000);
    const dumped = { name: 'the dumped window', start: encoder.timeOf(releasedAtCut) + FRAME_MS, end: resumeAt.before - 600 };
    expect(soundMadeWithin(decoded, encoder.epoch, dumped)).toEqual([]);
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
