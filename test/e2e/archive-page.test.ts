import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import HLS from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types.js';
import { archiveRecords } from '../../recorder/archive-record.ts';
import { englishWords, seriousViolations } from '../support/axe.ts';
import { launchChromium, signIn } from '../support/browser.ts';
import { shotPath } from '../support/screenshot.ts';
import { TestEncoder } from '../support/encoder.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

/**
 * An archivist with a case number in hand, in Chromium: signs in to the archive page, finds the
 * hearing, opens its record (timeline, trail), replays what aired, downloads the as-aired MP4 and
 * runs the verification. The archive is the embedded default (a local directory).
 */
describe('the archive page in Chromium', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let browser: Browser;
  let hearingId = '';
  /** Each caption line's start, as the server dated it. */
  const cueStarts = new Map<string, number>();

  beforeAll(async () => {
    s = await startTestServer({ media: { ladder: [{ name: '180p', height: 180, videoKbps: 250, audioKbps: 64 }, { name: 'audio', audioKbps: 64 }], segmentSeconds: 2, fps: 30, liveMaskSlots: 0 } });
    const seeded = await seedHearing(s, { delaySeconds: 2, captions: { languages: ['en'] } });
    hearingId = seeded.hearingId;
    expect((await s.api('POST', '/api/users', { username: 'archivist', password: 'archivist-password', roles: ['archivist'] })).status).toBe(201);
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    // Captioned: a line on the air, one corrected, one in the recess (the record keeps it, it never aired).
    const cue = async (id: string, text: string) => {
      const res = await s.api<{ cue: { start: string } }>('POST', `/api/hearings/${hearingId}/captions`, { id, lang: 'en', text, durationMs: 1_500 });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      cueStarts.set(id, Date.parse(res.body.cue.start));
    };
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    await elapse(4_000);
    await cue('called', 'The first witness is callled.');
    await cue('called', 'The first witness is called.');
    await elapse(6_000);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/pause`, { reason: 'recess' })).status).toBe(200);
    await elapse(2_000);
    await cue('recess', 'Said in the recess.');
    await elapse(2_000);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/resume`, {})).status).toBe(200);
    await elapse(2_500);
    await cue('back', 'Back on the record.');
    await elapse(3_500);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {})).status).toBe(200);
    await waitFor(async () => (await archiveRecords(s.cc.state).get(hearingId))?.status === 'complete', 'the archive to be finalized', 60_000);
    await encoder.kill();
    // The recess's edges were spliced into slots of both rungs: listened to, nothing strayed.
    const record = JSON.parse((await s.cc.archiveStore.get(`hearings/${hearingId}/record.json`))!.toString()) as { soundOutsideProgram?: { listenedSlots: number; exposed: unknown[] }; program?: unknown };
    expect(record.soundOutsideProgram?.exposed, JSON.stringify({ sound: record.soundOutsideProgram, program: record.program })).toEqual([]);
    browser = await launchChromium();
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await encoder?.kill();
    await s?.close();
  });

  it('finds the hearing by case number, replays it, downloads the MP4 and verifies it', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${s.base}/console/archive.html`);
    await signIn(page, 'archivist', 'archivist-password');
    await page.waitForSelector('#search-view:not([hidden])');
    await page.fill('#q-case', 'T-1');
    await page.click('#search-form button');
    await page.waitForSelector('#results tbody tr');
    expect(await page.locator('#results tbody tr').count()).toBe(1);
    await page.click('#results tbody tr');
    await page.waitForFunction(() => document.getElementById('r-title')?.textContent === 'Test v. Test', undefined, { timeout: 10_000 });
    // The timeline draws the aired intervals (two: before and after the recess).
    expect(await page.locator('#timeline .aired').count()).toBe(2);
    expect(await page.textContent('#audit')).toContain('pause');
    await page.waitForFunction(() => {
      const v = document.getElementById('replay') as HTMLVideoElement;
      return v.readyState >= 2 && v.duration > 10;
    }, undefined, { timeout: 30_000, polling: 250 });
    await page.evaluate(() => void (document.getElementById('replay') as HTMLVideoElement).play());
    await page.waitForFunction(() => (document.getElementById('replay') as HTMLVideoElement).currentTime > 1, undefined, { timeout: 20_000, polling: 250 });

    // The transcript beside the timeline: each line in its last version, a tick each on the timeline.
    const lines = await page.locator('#transcript li').allTextContents();
    expect(lines.map((l) => l.replace(/^.*?(?=The|Said|Back)/, ''))).toEqual(['The first witness is called. (corrected once)', 'Said in the recess.', 'Back on the record.']);
    expect(await page.locator('#timeline .cue').count()).toBe(3);
    // A line plays the as-aired recording from where it was said, with the captions as they aired.
    await page.locator('#transcript li button', { hasText: 'Back on the record.' }).click();
    const playlist = await s.api<string>('GET', `/api/archive/hearings/${hearingId}/aired/180p/index.m3u8`);
    const segments = (HLS.parse(String(playlist.body)) as MediaPlaylist).segments;
    const back = cueStarts.get('back')!;
    const k = segments.findLastIndex((x) => x.programDateTime !== undefined && x.programDateTime.getTime() <= back);
    const expected = segments.slice(0, k).reduce((n, x) => n + x.duration, 0) + (back - segments[k]!.programDateTime!.getTime()) / 1000;
    await page.waitForFunction((want) => Math.abs((document.getElementById('replay') as HTMLVideoElement).currentTime - want) < 0.6, expected, { timeout: 10_000, polling: 100 });
    // With the captions as they aired: hls.js shows the archive's English rendition (when it loads
    // each cue depends on the playhead and, on a loaded machine, comes late; captions.test reads the
    // archived WebVTT itself).
    await page.waitForFunction(() => Array.from((document.getElementById('replay') as HTMLVideoElement).textTracks).some((x) => x.mode === 'showing' && x.language === 'en'), undefined, { timeout: 10_000, polling: 100 });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-aired')]);
    const saved = path.join(os.tmpdir(), `courtcast-download-${Date.now()}.mp4`);
    await download.saveAs(saved);
    const stored = await s.cc.archiveStore.get(`hearings/${hearingId}/aired.mp4`);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(readFileSync(saved))).toBe(sha(stored!));

    await page.click('#verify');
    await page.waitForFunction(() => (document.getElementById('verify-result')?.textContent ?? '').startsWith('Verified'), undefined, { timeout: 30_000 });
    expect(pageErrors).toEqual([]);
    const shot = shotPath('archive');
    await page.screenshot({ path: shot, fullPage: true });
  });

  it("reads the record in the archivist's language, with nothing axe finds serious, in English and Chinese", async () => {
    for (const locale of ['en', 'zh-CN']) {
      const context = await browser.newContext({ locale, timezoneId: 'America/New_York' });
      const page = await context.newPage();
      await page.goto(`${s.base}/console/archive.html`);
      await signIn(page, 'archivist', 'archivist-password');
      await page.waitForSelector('#search-view:not([hidden])');
      await page.click('#search-form button');
      await page.click('#results tbody tr');
      await page.waitForFunction(() => document.getElementById('r-title')?.textContent === 'Test v. Test', undefined, { timeout: 10_000 });
      expect(await seriousViolations(page), locale).toEqual([]);
      if (locale === 'zh-CN') {
        expect(await page.textContent('#verify')).toBe('校验档案');
        // Times in the court's zone (Europe/London), named since the reader is elsewhere.
        expect(await page.textContent('#master-info')).toMatch(/GMT|UTC|格林尼治/);
        expect(await englishWords(page)).toEqual([]);
      }
      await context.close();
    }
  });

  it('tells a clerk the archive is not theirs', async () => {
    expect((await s.api('POST', '/api/users', { username: 'clerk', password: 'clerk-password', roles: ['clerk'], courtroomIds: [] })).status).toBe(201);
    const page = await browser.newPage();
    await page.goto(`${s.base}/console/archive.html`);
    await signIn(page, 'clerk', 'clerk-password');
    await page.waitForSelector('#search-view:not([hidden])');
    await page.click('#search-form button');
    await page.waitForFunction(() => (document.getElementById('search-error')?.textContent ?? '').includes('role'), undefined, { timeout: 10_000 });
  });
});
