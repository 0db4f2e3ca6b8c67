import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_MS } from '../support/encoder.ts';
import { decodeFeed, delayViolations, PublicFeed, type DecodedEntry } from '../support/public-feed.ts';
import { RtspCamera } from '../support/rtsp-camera.ts';
import { firstRunDating } from '../support/master-clock.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

const D = 4_000;
const PASSWORD = 'camera-pa55word-7f3k';

/**
 * An IP camera pulled over RTSP: the courtroom names the camera's URL with its credentials, the
 * server pulls it while a hearing is live and airs it like a pushed encoder, and the credentials
 * are never shown, logged or put on a command line. A camera that hangs is pulled again.
 */
describe('RTSP: an IP camera pulled, its credentials kept secret', () => {
  let s: TestServer;
  let camera: RtspCamera;
  let feed: PublicFeed;
  let decoded: DecodedEntry[] = [];
  let epoch = 0;
  const logs: string[] = [];
  let shown = '';
  let shownTo = '';
  let commandLine = '';
  let stallEndedAt = 0;
  let pullsBeforeStall = 0;
  const datedAfterSent: number[] = [];

  beforeAll(async () => {
    s = await startTestServer({}, {}, { logs });
    epoch = Date.now();
    camera = await RtspCamera.start({ epoch, user: 'court', password: PASSWORD });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000, ingest: 'rtsp', camera: { url: camera.urlWith('court', PASSWORD), transport: 'tcp' } });
    shown = JSON.stringify((await s.api('GET', `/api/courtrooms/${seeded.courtroomId}`)).body);
    expect((await s.api('POST', '/api/users', { username: 'clerk-rtsp', password: 'clerk-rtsp-password', roles: ['clerk'], courtroomIds: [seeded.courtroomId] })).status).toBe(201);
    shownTo = JSON.stringify((await s.api('GET', `/api/courtrooms/${seeded.courtroomId}`, undefined, await s.login('clerk-rtsp', 'clerk-rtsp-password'))).body);
    expect((await s.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/start`, {})).status).toBe(200);
    feed = new PublicFeed(`${s.base}/hls/hearings/${seeded.hearingId}/180p/index.m3u8`).start();
    const pid = await waitFor(() => s.cc.broadcasts.live(seeded.hearingId)?.gatewayPid, 'the camera relay', 10_000);
    commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
    const programs = async () => {
      await feed.poll();
      return (await decodeFeed(feed, { hear: false })).filter((e) => e.program);
    };
    const madeAfter = async (t: number) => (await programs()).flatMap((e) => e.counters).filter((c) => c > 0 && epoch + c * FRAME_MS > t).length;
    await waitFor(async () => (await programs()).length >= 3, 'three program segments from the camera', 45_000, 1_000);
    // When the ingest dated each frame of the first master run, less when the camera sent it.
    const clock = s.cc.ingest.clockOf(seeded.courtroomId)!;
    const masterDir = path.join(s.cc.dirs.master, seeded.hearingId);
    for (const { counter: c, dated } of await firstRunDating(masterDir, clock)) {
      const sent = camera.sentAt(c);
      if (sent !== undefined && dated !== null) datedAfterSent.push(dated - sent);
    }
    // The camera hangs with its connection open: the relay gives up on it and pulls it again.
    pullsBeforeStall = camera.asked.filter((a) => a === 'PLAY 200').length;
    camera.stall(9_000);
    await elapse(9_000);
    stallEndedAt = Date.now();
    await waitFor(async () => (await madeAfter(stallEndedAt)) > 60, 'the camera on the air again after it hung', 45_000, 1_000);
    await s.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/end`, {});
    await feed.untilEnded(D + 15_000);
    decoded = await decodeFeed(feed, { hear: false });
  }, 150_000);

  afterAll(async () => {
    feed?.stop();
    await s?.close();
    await camera?.close();
  });

  it('shows the camera without its credentials, to admins and clerks alike', () => {
    for (const body of [shown, shownTo]) {
      expect(body).toContain(camera.url);
      expect(body).toContain('"credentials":true');
      expect(body).not.toContain(PASSWORD);
    }
  });

  it('pulls the camera with its credentials, which are on no command line and in no log line', () => {
    expect(camera.asked).toContain('DESCRIBE 200');
    expect(commandLine).toContain('concat');
    expect(commandLine).not.toContain(PASSWORD);
    expect(commandLine).not.toContain('rtsp://');
    expect(logs.length).toBeGreaterThan(3);
    expect(logs.filter((l) => l.includes(PASSWORD))).toEqual([]);
  });

  it('airs the camera in order, never before capture + D', () => {
    expect(feed.errors).toEqual([]);
    const counters = decoded.filter((e) => e.program).flatMap((e) => e.counters).filter((c) => c > 0);
    expect(counters.length).toBeGreaterThan(150);
    expect(delayViolations(decoded, (c) => epoch + c * FRAME_MS, D)).toEqual([]);
  });

  it('dates the camera\'s frames never before the camera sent them, and a few frames after at most, from the first', () => {
    expect(datedAfterSent.length).toBeGreaterThan(60);
    const sorted = [...datedAfterSent].sort((a, b) => a - b);
    // Dated on arrival at the ingest, after the relay: late by its passage (about 65 ms here), so
    // media sent just before a start may air, by that much. Its tail is the machine's load (p95
    // 224 and 481 ms in CI beside a composed hearing's FFmpegs), which a test does not time; the
    // typical passage and the first second's are held. Before the relay stopped buffering while it
    // probed the camera, its first second came in a burst up to 1.2 s later than the rest; load
    // alone has put it 398 ms later (CI, beside the three-camera composed hearing).
    const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    expect(sorted[0]).toBeGreaterThanOrEqual(0);
    expect(median(datedAfterSent)).toBeLessThan(200);
    expect(median(datedAfterSent.slice(0, 30)) - median(datedAfterSent)).toBeLessThan(600);
  });

  it('pulls a camera that hung again, and airs it again', () => {
    expect(camera.asked.filter((a) => a === 'PLAY 200').length).toBeGreaterThan(pullsBeforeStall);
    // Pictures made after the stall aired.
    const after = decoded.filter((e) => e.program).flatMap((e) => e.counters).filter((c) => epoch + c * FRAME_MS > stallEndedAt);
    expect(after.length).toBeGreaterThan(60);
  });
});

describe('RTSP: a camera that refuses the courtroom\'s credentials', () => {
  let s: TestServer;
  let camera: RtspCamera;
  const logs: string[] = [];
  let encoder = '';

  beforeAll(async () => {
    s = await startTestServer({}, {}, { logs });
    camera = await RtspCamera.start({ epoch: Date.now(), user: 'court', password: PASSWORD });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000, ingest: 'rtsp', camera: { url: camera.urlWith('court', 'not-the-password'), transport: 'udp' } });
    expect((await s.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/start`, {})).status).toBe(200);
    await waitFor(() => camera.asked.filter((a) => a === 'DESCRIBE 401').length >= 4, 'the relay to be refused again and again', 30_000, 200);
    encoder = (await s.api<{ live: { encoder: string } | null }>('GET', `/api/hearings/${seeded.hearingId}`)).body.live?.encoder ?? '';
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    await camera?.close();
  });

  it('is asked again with backoff, never plays, says why in the log, and never logs the password', () => {
    expect(camera.asked).not.toContain('PLAY 200');
    expect(encoder).not.toBe('connected');
    expect(logs.some((l) => l.includes('refused the courtroom\'s credentials'))).toBe(true);
    expect(logs.filter((l) => l.includes('not-the-password'))).toEqual([]);
  });
});

describe('RTSP courtrooms are checked at the edge', () => {
  let s: TestServer;
  const statuses: Record<string, number> = {};

  beforeAll(async () => {
    s = await startTestServer();
    const court = await s.api<{ id: string }>('POST', '/api/courts', { name: 'Court', timezone: 'Europe/London' });
    const create = async (name: string, body: Record<string, unknown>) => (statuses[name] = (await s.api('POST', `/api/courts/${court.body.id}/courtrooms`, { name: 'Room', ...body })).status);
    await create('no camera', { ingest: 'rtsp' });
    await create('a camera on an RTMP room', { ingest: 'rtmp', camera: { url: 'rtsp://10.0.0.9/stream1' } });
    await create('not rtsp', { ingest: 'rtsp', camera: { url: 'http://10.0.0.9/stream1' } });
    await create('a quote', { ingest: 'rtsp', camera: { url: "rtsp://u:p'x@10.0.0.9/s" } });
    await create('a space', { ingest: 'rtsp', camera: { url: 'rtsp://10.0.0.9/a b' } });
    await create('no host', { ingest: 'rtsp', camera: { url: 'rtsp:///stream1' } });
    await create('a bad transport', { ingest: 'rtsp', camera: { url: 'rtsp://10.0.0.9/s', transport: 'sctp' } });
    await create('fine', { ingest: 'rtsp', camera: { url: 'rtsp://admin:p%40ss@10.0.0.9:554/Streaming/Channels/101', transport: 'udp' } });
  });

  afterAll(async () => {
    await s?.close();
  });

  it('refuses a camera URL that is not a plain rtsp:// URL with a host, and takes one that is', () => {
    const { fine, ...refused } = statuses;
    for (const [name, status] of Object.entries(refused)) expect(status, name).toBe(400);
    expect(fine).toBe(201);
  });
});
