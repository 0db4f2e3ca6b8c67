import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCounter } from '../../server/media/synthetic.ts';
import { fakeCaptureArgs, launchChromium, signIn } from '../support/browser.ts';
import { shownFrames } from '../support/counter-probe.ts';
import { englishWords, seriousViolations } from '../support/axe.ts';
import { fakeCaptureFiles } from '../support/fake-capture.ts';
import { calibrateSegments, capturedBetween, datedCounters, describeDating } from '../support/master-clock.ts';
import { delayViolations, framesAndTone, PublicFeed, regionStats, type DecodedEntry } from '../support/public-feed.ts';
import { ADMIN, seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { elapse, mapOnCores, waitFor } from '../support/wait.ts';

const D = 4_000;
const BLACK = { x: 0.25, y: 0.3, w: 0.3, h: 0.25 };
/** Frames are placed where the server dated them: a margin at each edge for a segment's rounding. */
const MARGIN = 300;

interface Frame {
  readonly counter: number;
  readonly t: number;
  readonly black: number;
}

/**
 * A courtroom PC's browser publishing over WHIP from the capture page, with Chromium's fake camera
 * playing the frame-counter pattern and its fake microphone the sound time code: the hearing airs
 * with D, a live mask and a cut proven on the decoded public frames, and its master is archived and
 * verifies, as for an RTMP encoder.
 */
describe('the capture page publishes a courtroom over WHIP from Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  let page: Page;
  let feed: PublicFeed;
  let hearingId = '';
  const frames: Frame[] = [];
  const entries: DecodedEntry[] = [];
  const marks: Record<string, number> = {};
  let dumped = { start: 0, end: 0 };
  let timeOf: (c: number) => number = () => 0;
  let undatedAired: () => number[] = () => [-1];
  /** How the master dated its segments and where an undated counter sits in it: what a failure here needs read. */
  let masterDating = '';
  const shown: Record<string, string> = {};
  let verified: { ok: boolean } | null = null;
  let consolePage: Page;
  /** For each frame the console's WebRTC preview showed, how long after the capture page showed it. */
  const previewLag: number[] = [];
  let reconnected: { before: string; after: string | null } | null = null;
  const a11y: Record<string, unknown[]> = {};
  let startLabel = '';
  let chineseLeftovers: string[] = ['unset'];

  beforeAll(async () => {
    const files = await fakeCaptureFiles();
    s = await startTestServer({ webrtc: { hostAddresses: ['127.0.0.1'] } });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    hearingId = seeded.hearingId;
    browser = await launchChromium(fakeCaptureArgs(files.video, files.audio));
    page = await browser.newPage({ locale: 'en-GB' });
    await page.goto(`${s.base}/capture/${seeded.courtroomId}`);
    await page.fill('#key', seeded.streamKey);
    await page.click('#key-form button');
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).readyState >= 2);
    await page.click('#start');
    await page.waitForFunction(() => document.getElementById('link')?.textContent === 'SENDING', undefined, { timeout: 20_000 });
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    feed = new PublicFeed(`${s.base}/hls/hearings/${hearingId}/180p/index.m3u8`).start(500);
    await page.waitForFunction(() => document.getElementById('phase')?.textContent === 'ON AIR', undefined, { timeout: 5_000 });
    // Seconds of clear picture before the mask, for the frames it must not touch; meanwhile the
    // clerk's console shows the courtroom over WebRTC, read beside the capture page's own picture.
    const clear = elapse(4_000);
    consolePage = await browser.newPage({ locale: 'en-GB' });
    await consolePage.goto(`${s.base}/console/`);
    await signIn(consolePage, ADMIN.username, ADMIN.password);
    await consolePage.click(`button[data-hearing="${hearingId}"]`);
    await consolePage.waitForFunction(() => (document.getElementById('preview-via')?.textContent ?? '').includes('WebRTC'), undefined, { timeout: 20_000 }).catch(async (err: unknown) => {
      throw new Error(`the console's preview is ${await consolePage.textContent('#preview-via')} (WHEP: ${await consolePage.getAttribute('#preview-via', 'data-whep-failure')})`, { cause: err });
    });
    await consolePage.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).readyState >= 2, undefined, { timeout: 10_000 });
    // Both pictures, three seconds at a time until they share enough frames to judge: a loaded
    // machine paints fewer frames (in ci83 and ci84 three seconds gave 7 shared frames).
    for (let round = 0; round < 4 && previewLag.length <= 15; round++) {
      const [local, preview] = await Promise.all([shownFrames(page, '#preview', 3_000), shownFrames(consolePage, '#preview', 3_000)]);
      const shownLocally = new Map(local.map((f) => [f.counter, f.at]));
      previewLag.push(...preview.flatMap((f) => (f.counter > 0 && shownLocally.has(f.counter) ? [f.at - shownLocally.get(f.counter)!] : [])));
    }
    await consolePage.close();
    await clear;
    shown.onAir = (await page.textContent('#phase')) ?? '';
    shown.level = (await page.getAttribute('#level', 'aria-valuenow')) ?? '';
    const mask = await s.api<{ mask: { id: string; start: string } }>('POST', `/api/hearings/${hearingId}/masks`, { kind: 'black', region: BLACK });
    expect(mask.status, JSON.stringify(mask.body)).toBe(201);
    marks.maskOn = new Date(mask.body.mask.start).getTime();
    await elapse(3_000);
    marks.maskOff = Date.now();
    expect((await s.api('POST', `/api/hearings/${hearingId}/masks/${mask.body.mask.id}/lift`, {})).status).toBe(200);
    // The masked seconds air before the cut dumps what is still inside the window.
    await elapse(D + 1_500);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/cut`, { reason: 'a name was said' })).status).toBe(200);
    await page.waitForFunction(() => document.getElementById('phase')?.textContent === 'CUT', undefined, { timeout: 5_000 });
    shown.cut = (await page.textContent('#phase')) ?? '';
    await elapse(2_500);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/resume`, {})).status).toBe(200);
    const program = s.cc.broadcasts.live(hearingId)!.program;
    dumped = { start: program.dumped.at(-1)!.start, end: program.onAir.at(-1)!.start };
    await elapse(D + 2_500);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {})).status).toBe(200);
    await feed.untilEnded(D + 20_000);
    // The server drops the session (as a node restart or a network cut would): the page
    // notices and sends again by itself, on a session of its own.
    const before = s.cc.whip!.sessionOf(seeded.courtroomId)!.id;
    s.cc.whip!.kick(seeded.courtroomId);
    await page.waitForFunction(() => document.getElementById('link')?.textContent !== 'SENDING', undefined, { timeout: 10_000 });
    await page.waitForFunction(() => document.getElementById('link')?.textContent === 'SENDING', undefined, { timeout: 20_000 });
    reconnected = { before, after: s.cc.whip!.sessionOf(seeded.courtroomId)?.id ?? null };
    await page.click('#stop');
    await waitFor(() => s.cc.whip!.sessionOf(seeded.courtroomId) === null, 'the session to end on stop', 5_000);
    // Counters placed where the server dated them, read back from the master it sealed.
    const masterDir = path.join(s.dataDir, 'master', hearingId);
    const dated = await datedCounters(masterDir);
    const calibrations = await calibrateSegments(masterDir);
    timeOf = (c) => dated.get(c) ?? capturedBetween(calibrations, c);
    undatedAired = () => frames.filter((f) => !dated.has(f.counter)).map((f) => f.counter);
    masterDating = await describeDating(masterDir);
    const perEntry = await mapOnCores(feed.sorted(), async (e) => {
      const seen = await framesAndTone(Buffer.from(await (await fetch(e.uri)).arrayBuffer()));
      const counters = seen.frames.map((f) => readCounter(f.subarray(0, 640 * 40)));
      return { entry: { ...e, counters, program: counters.some((c) => c > 0), heard: [] } as DecodedEntry, frames: seen.frames.flatMap((f, k) => (counters[k]! > 0 ? [{ counter: counters[k]!, black: regionStats(f, BLACK).mean }] : [])) };
    });
    for (const p of perEntry) {
      entries.push(p.entry);
      frames.push(...p.frames.map((f) => ({ ...f, t: timeOf(f.counter) })));
    }
    // The page signed out and signed in, in English and in Chinese: axe finds nothing serious, and
    // a Chinese courtroom PC reads no English but the names of its devices.
    for (const locale of ['en-GB', 'zh-CN']) {
      const context = await browser.newContext({ locale });
      const p = await context.newPage();
      await p.goto(`${s.base}/capture/${seeded.courtroomId}`);
      await p.waitForSelector('#login-view:not([hidden])');
      a11y[`${locale} sign-in`] = await seriousViolations(p);
      await p.fill('#key', seeded.streamKey);
      await p.click('#key-form button');
      await p.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).readyState >= 2);
      a11y[`${locale} capture`] = await seriousViolations(p);
      if (locale === 'zh-CN') {
        startLabel = (await p.textContent('#start')) ?? '';
        const devices = new Set((await p.$$eval('select option:checked', (os) => os.map((o) => o.textContent ?? ''))).flatMap((t) => t.match(/[A-Za-z]{3,}/g) ?? []));
        chineseLeftovers = (await englishWords(p)).filter((w) => !devices.has(w));
      }
      await context.close();
    }
    // The master is sealed and verifies, as an RTMP hearing's.
    expect((await s.api('POST', '/api/users', { username: 'archivist-w', password: 'archivist-w-password', roles: ['archivist'] })).status).toBe(201);
    const archivist = await s.login('archivist-w', 'archivist-w-password');
    await waitFor(async () => (await s.api<{ archive: { status: string } }>('GET', `/api/archive/hearings/${hearingId}`, undefined, archivist)).body.archive?.status === 'complete', 'the archive to be complete', 60_000, 500);
    verified = (await s.api<{ ok: boolean }>('POST', `/api/archive/hearings/${hearingId}/verify`, undefined, archivist)).body;
  }, 180_000);

  afterAll(async () => {
    feed?.stop();
    await browser?.close();
    await s?.close();
  });

  it('shows the sender what the server says: sending, the hearing on air and cut, and the sound level', () => {
    expect(shown.onAir).toBe('ON AIR');
    expect(shown.cut).toBe('CUT');
    expect(Number(shown.level)).toBeGreaterThan(0);
  });

  it("shows the clerk the courtroom over WebRTC (WHEP), well ahead of the HLS preview, beside the courtroom PC's own picture", () => {
    expect(previewLag.length).toBeGreaterThan(15);
    const sorted = [...previewLag].sort((a, b) => a - b);
    // The bench (npm run bench -- whep) holds the 500 ms goal on a quiet machine. Here two
    // Chromium pages paint beside the suite's other hearings: the median stays within a second
    // and the slowest frames within 1.5 s (p95 was 1.04 s once in CI), far from HLS's 4 s.
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(1_000);
    expect(sorted[Math.floor(sorted.length * 0.95)]).toBeLessThan(1_500);
  });

  it('airs the browser\'s picture, never before capture + D', () => {
    expect(feed.errors).toEqual([]);
    expect(entries.filter((e) => e.program).length).toBeGreaterThanOrEqual(4);
    expect(delayViolations(entries, timeOf, D)).toEqual([]);
  });

  it('blacks out the masked region on every frame captured while the live mask was on, and not well outside it', () => {
    const inside = frames.filter((f) => f.t >= marks.maskOn! + MARGIN && f.t <= marks.maskOff! - MARGIN);
    // 2.4 s at 30 fps is 72 frames; Chromium's capture on a loaded machine sent 28 (ci90, about
    // 12 fps). Fifteen are enough to say the mask held on every one.
    expect(inside.length, masterDating).toBeGreaterThanOrEqual(15);
    for (const f of inside) expect(f.black, `counter ${f.counter}`).toBeLessThan(20);
    const clear = frames.filter((f) => f.t < marks.maskOn! - 2_000 || f.t > marks.maskOff! + 2_000);
    expect(clear.length).toBeGreaterThan(30);
    for (const f of clear) expect(f.black, `counter ${f.counter}`).toBeGreaterThan(40);
  });

  it('airs nothing the cut dumped, and airs on both sides of it', () => {
    expect(dumped.end - dumped.start).toBeGreaterThan(3_000);
    // Everything that aired came from the master, where the server dated it.
    expect(undatedAired(), masterDating).toEqual([]);
    // Each frame is placed where the server dated it (the gate's own view), so a frame dated
    // inside the dumped window that aired is a leak, however late anything painted.
    expect(frames.filter((f) => f.t > dumped.start + MARGIN && f.t < dumped.end - MARGIN).map((f) => `${f.counter}@${Math.round(f.t - dumped.start)}`)).toEqual([]);
    expect(frames.some((f) => f.t < dumped.start - 1_000)).toBe(true);
    expect(frames.some((f) => f.t > dumped.end + 1_000)).toBe(true);
  });

  it('sends again by itself when the server drops its session, and ends it when told to stop', () => {
    expect(reconnected?.after).toBeTruthy();
    expect(reconnected?.after).not.toBe(reconnected?.before);
  });

  it('is accessible signed out and signed in, in English and Chinese, and reads Chinese for a Chinese courtroom PC', () => {
    expect(Object.keys(a11y)).toHaveLength(4);
    for (const [view, found] of Object.entries(a11y)) expect(found, view).toEqual([]);
    expect(startLabel).toBe('开始发送');
    expect(chineseLeftovers).toEqual([]);
  });

  it('archives the master, sealed, and it verifies', () => {
    expect(verified?.ok).toBe(true);
  });
});
