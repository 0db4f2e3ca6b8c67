import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveRecords } from '../../recorder/archive-record.ts';
import type { RecordingLog } from '../../recorder/recording-log.ts';
import { TestEncoder } from '../support/encoder.ts';
import { calibrate } from '../support/master-clock.ts';
import { decodeFeed, delayViolations, PublicFeed, type DecodedEntry } from '../support/public-feed.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const D = 4_000;

describe('ingest and pipeline resilience over RTMP', () => {
  let s: TestServer;
  let feed: PublicFeed;
  let hearingId = '';
  let oldKey = '';
  let courtroomId = '';
  const encoders: TestEncoder[] = [];
  const epoch = Date.now();
  const marks: Record<string, number> = {};
  let wrongKeyExit: number | null = null;
  let oldKeyExit: number | null = null;
  const pids: { before?: number; after?: number } = {};
  let decoded: DecodedEntry[] = [];
  /** The recording log as the archivist's page gives it and as the archived record keeps it, and the hearing's trail. */
  let log: RecordingLog;
  let recordLog: RecordingLog;
  let trail: { action: string; params: Record<string, unknown> }[] = [];
  /** How many master segment files were written since `t` (the newest may still be open). */
  const masterSegmentsSince = async (t: number): Promise<number> => {
    const dir = path.join(s.cc.dirs.master, hearingId);
    let n = 0;
    for (const run of await readdir(dir, { withFileTypes: true })) {
      if (!run.isDirectory()) continue;
      for (const f of await readdir(path.join(dir, run.name))) if (f.endsWith('.ts') && (await stat(path.join(dir, run.name, f))).mtimeMs > t) n++;
    }
    return n;
  };
  const pushUrl = (key: string) => `rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${key}`;
  const encoder = (key: string) => {
    const e = new TestEncoder(pushUrl(key), 'flv', epoch).start();
    encoders.push(e);
    return e;
  };
  /** Waits until the public has aired a frame captured after `t`. */
  const airedAfter = (t: number, what: string) =>
    waitFor(async () => {
      await feed.poll();
      const fresh = feed.sorted().slice(-3);
      for (const e of fresh) {
        const res = await fetch(e.uri);
        const { decodeCounters } = await import('../support/public-feed.ts');
        const counters = await decodeCounters(Buffer.from(await res.arrayBuffer()));
        if (counters.some((c) => c > 0 && encoders[0]!.timeOf(c) > t)) return true;
      }
      return false;
    }, what, 40_000, 500).then((v) => {
      if (process.env.COURTCAST_TEST_LOG) console.log(`${new Date().toISOString()} ${what}`);
      return v;
    });

  beforeAll(async () => {
    s = await startTestServer();
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    ({ hearingId, courtroomId } = seeded);
    oldKey = seeded.streamKey;
    await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {});
    feed = new PublicFeed(`${s.base}/hls/hearings/${hearingId}/180p/index.m3u8`).start();
    const first = encoder(oldKey);
    await airedAfter(epoch, 'the first picture');

    // A stranger with a wrong key is refused while the courtroom keeps streaming.
    const stranger = new TestEncoder(pushUrl('not-the-key-at-all'), 'flv', epoch).start();
    wrongKeyExit = await stranger.exited;
    marks.afterStranger = Date.now();
    await airedAfter(marks.afterStranger, 'the picture after the stranger');

    // The encoder dies and comes back within the grace window: the same hearing continues.
    await first.kill('SIGKILL');
    marks.encoderKilled = Date.now();
    const lost = await waitFor(async () => {
      const live = (await s.api<{ live: { encoder: string; encoderLostAt: string | null } }>('GET', `/api/hearings/${hearingId}`)).body.live;
      return live.encoder === 'lost' && live;
    }, 'the console to see the encoder lost', 10_000);
    expect(lost.encoderLostAt).not.toBeNull();
    await elapse(3_000);
    encoder(oldKey);
    marks.encoderBack = Date.now();
    await airedAfter(marks.encoderBack, 'the picture after the encoder came back');

    // FFmpeg itself is killed: it is restarted and the public sees a slate for the gap.
    pids.before = s.cc.broadcasts.live(hearingId)?.ffmpegPid;
    process.kill(pids.before!, 'SIGKILL');
    marks.ffmpegKilled = Date.now();
    await waitFor(() => {
      const pid = s.cc.broadcasts.live(hearingId)?.ffmpegPid;
      return pid !== undefined && pid !== pids.before && pid;
    }, 'a new FFmpeg', 20_000);
    pids.after = s.cc.broadcasts.live(hearingId)?.ffmpegPid;
    await airedAfter(marks.ffmpegKilled + 1_000, 'the picture after the FFmpeg restart');

    // The master recorder's FFmpeg is killed too: the record must name that hole in the master.
    const masterBefore = await waitFor(() => s.cc.broadcasts.live(hearingId)?.masterPid, 'the master recorder', 20_000);
    process.kill(masterBefore, 'SIGKILL');
    await waitFor(() => {
      const pid = s.cc.broadcasts.live(hearingId)?.masterPid;
      return pid !== undefined && pid !== masterBefore && pid;
    }, 'a new master recorder', 20_000);
    // Until the new recorder has sealed a segment, a loss of the encoder would share its hole.
    const restartedAt = Date.now();
    await waitFor(async () => (await masterSegmentsSince(restartedAt)) >= 2, 'the new master recorder to seal a segment', 20_000, 250);

    // Rotating the key disconnects the encoder; the old key is refused from then on.
    const rotated = await s.api<{ streamKey: string }>('POST', `/api/courtrooms/${courtroomId}/rotate-key`, {});
    const withOld = new TestEncoder(pushUrl(oldKey), 'flv', epoch).start();
    oldKeyExit = await withOld.exited;
    encoder(rotated.body.streamKey);
    marks.rotated = Date.now();
    await airedAfter(marks.rotated, 'the picture with the new key');

    await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {});
    await feed.untilEnded(D + 15_000);
    decoded = await decodeFeed(feed);
    await waitFor(async () => (await archiveRecords(s.cc.state).get(hearingId))?.status === 'complete', 'the archive', 60_000);
    const page = await s.api<{ recording: RecordingLog; audit: typeof trail }>('GET', `/api/archive/hearings/${hearingId}`);
    ({ recording: log, audit: trail } = page.body);
    recordLog = (JSON.parse((await s.cc.archiveStore.get(`hearings/${hearingId}/record.json`))!.toString()) as { recording: RecordingLog }).recording;
  }, 240_000);

  afterAll(async () => {
    feed?.stop();
    await Promise.all(encoders.map((e) => e.kill()));
    await s?.close();
  });

  it('refuses a wrong stream key and a rotated one', () => {
    expect(wrongKeyExit).not.toBe(0);
    expect(oldKeyExit).not.toBe(0);
  });

  it('restarts a killed FFmpeg', () => {
    expect(pids.before).toBeGreaterThan(0);
    expect(pids.after).toBeGreaterThan(0);
    expect(pids.after).not.toBe(pids.before);
  });

  it('keeps one hearing through encoder loss, FFmpeg death and key rotation, with slates for the gaps', async () => {
    const hearing = await s.api<{ hearing: { status: string } }>('GET', `/api/hearings/${hearingId}`);
    expect(hearing.body.hearing.status).toBe('ended');
    const kinds = decoded.map((e) => (e.program ? 'P' : 'S')).join('');
    expect(kinds).toMatch(/^S+P+(S+P+){2,}S+$/);
    // The encoder outage (3 s) and the FFmpeg restart each show a slate between the picture
    // captured before and the picture captured after.
    const t = (e: DecodedEntry) => encoders[0]!.timeOf(Math.max(...e.counters));
    for (const [before, after] of [
      [marks.encoderKilled!, marks.encoderBack!],
      [marks.ffmpegKilled!, marks.ffmpegKilled! + 500],
    ] as const) {
      const lastBefore = decoded.findLastIndex((e) => e.program && t(e) < before);
      const firstAfter = decoded.findIndex((e) => e.program && t(e) > after);
      expect(lastBefore).toBeGreaterThanOrEqual(0);
      expect(firstAfter).toBeGreaterThan(lastBefore);
      expect(decoded.slice(lastBefore + 1, firstAfter).some((e) => !e.program), `slate between ${lastBefore} and ${firstAfter}`).toBe(true);
    }
  });

  it('never showed the public an error: every playlist was valid and every segment decodes cleanly', async () => {
    expect(feed.errors).toEqual([]);
    // Segment by segment: FFmpeg's own HLS reader does not reset timestamps at discontinuities.
    for (const e of feed.sorted()) {
      const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', e.uri, '-f', 'null', '-'], { maxBuffer: 1 << 24 });
      expect(stderr, e.uri).toBe('');
    }
  });

  it('records the master from each connection’s first frame, the first connect’s and every reconnect’s', async () => {
    // One master run per connection (and one after the recorder was killed): each run's first
    // decoded frame, by its counter.
    const firsts = (await calibrate(path.join(s.cc.dirs.master, hearingId))).map((c) => c.firstCounter);
    expect(encoders).toHaveLength(3);
    for (const e of encoders) expect(firsts, `runs begin at ${firsts.join(', ')}`).toContain(e.firstFrame);
  });

  it('never aired a frame earlier than capture + D, through every outage', () => {
    expect(delayViolations(decoded, (c) => encoders[0]!.timeOf(c), D)).toEqual([]);
  });

  describe('the recording log', () => {
    it('names the encoder loss and the master recorder’s restart, each with its cause and a length that fits', () => {
      const causes = log.gaps.map((g) => g.cause);
      expect(causes).toContain('encoder lost');
      expect(causes).toContain('FFmpeg restart');
      // The master cannot hold what the encoder never sent, and the hole is not much longer than that.
      const encoderOffMs = marks.encoderBack! - marks.encoderKilled!;
      const lost = log.gaps.find((g) => g.cause === 'encoder lost')!;
      expect(lost.ms).toBeGreaterThan(encoderOffMs - 2_500);
      expect(lost.ms).toBeLessThan(encoderOffMs + 8_000);
      expect(log.gaps.find((g) => g.cause === 'FFmpeg restart')!.ms).toBeGreaterThan(0);
      expect(log.missingMs).toBe(log.gaps.reduce((n, g) => n + g.ms, 0));
      expect(log.recordedMs).toBeGreaterThan(15_000);
    });

    it('is kept in the archived record, with every interruption of the master on the audit trail', () => {
      expect(recordLog.gaps.map((g) => g.cause)).toEqual(log.gaps.map((g) => g.cause));
      const masterExits = trail.filter((e) => e.action.startsWith('ffmpeg-') && e.params.role === 'master');
      expect(masterExits.length).toBeGreaterThanOrEqual(2);
      expect(trail.map((e) => e.action)).toContain('encoder-lost');
    });
  });
});
