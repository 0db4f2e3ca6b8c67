import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { shotPath } from '../support/screenshot.ts';
import { startOtherSite, type OtherSite } from '../support/site.ts';
import { TestEncoder } from '../support/encoder.ts';
import { archiveRecords } from '../../recorder/archive-record.ts';
import { seedHearing, startTestServer, waitForEncoder, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The player embedded in a page on another origin, with one script tag: before the start it
 * counts down, then plays the live hearing, shows the paused card when the paused slate airs and
 * the ended state at the end, in Chinese and in English.
 */
describe('<courtcast-player> on another site', () => {
  let s: TestServer;
  let site: OtherSite;
  let siteBase = '';
  let browser: Browser;
  let encoder: TestEncoder | null = null;
  let hearingId = '';
  let streamKey = '';

  beforeAll(async () => {
    // One state stream per address: of two players on this machine, one is refused one and must
    // follow the hearing by asking for its state.
    s = await startTestServer({ media: { ladder: [{ name: '180p', height: 180, videoKbps: 250, audioKbps: 64 }, { name: 'audio', audioKbps: 64 }], segmentSeconds: 2, fps: 30, liveMaskSlots: 0 } }, { maxEventStreamsPerClient: 1 });
    const seeded = await seedHearing(s, { delaySeconds: 4, scheduledStart: new Date(Date.now() + 3_600_000) });
    hearingId = seeded.hearingId;
    streamKey = seeded.streamKey;
    // Another origin: a news site's article with the player in it.
    site = await startOtherSite(async (url) => {
      if (url.pathname === '/iframe') {
        // What a CMS does with a pasted link: asks oEmbed, pastes the html it answers.
        const o = (await (await fetch(`${s.base}/oembed?url=${encodeURIComponent(`${s.base}/hearings/${hearingId}`)}`)).json()) as { html: string };
        return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CMS</title></head><body>${o.html}</body></html>`;
      }
      const lang = url.pathname.includes('en') || url.search.includes('en') ? 'en' : 'zh-CN';
      // /nolang names no language: the reader's browser decides.
      return `<!doctype html><html${url.pathname === '/nolang' ? '' : ` lang="${lang}"`}><head><meta charset="utf-8"><title>Court news</title></head><body><main><h1>Court news</h1>
<courtcast-player hearing="${hearingId}" style="max-width:720px"></courtcast-player>
<script type="module" src="${s.base}/player/courtcast-player.js"></script></main></body></html>`;
    });
    siteBase = site.base;
    expect(new URL(siteBase).origin).not.toBe(new URL(s.base).origin);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await encoder?.kill();
    await site?.close();
    await s?.close();
  });

  /** State streams the server refused a player (429): that player polls. */
  let refusedStreams = 0;
  const open = async (lang: 'zh' | 'en'): Promise<{ page: Page; errors: string[] }> => {
    const page = await browser.newPage({ viewport: { width: 800, height: 700 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('response', (r) => r.url().endsWith('/events') && r.status() === 429 && refusedStreams++);
    await page.goto(`${siteBase}/${lang}`);
    return { page, errors };
  };
  const inShadow = (page: Page, sel: string) => page.evaluate((q) => document.querySelector('courtcast-player')?.shadowRoot?.querySelector(q)?.textContent ?? '', sel);
  const untilState = (page: Page, state: string, timeout = 30_000) =>
    page.waitForFunction((st) => document.querySelector('courtcast-player')?.getAttribute('state') === st, state, { timeout, polling: 200 });

  it('counts down to the scheduled start, in the page language', async () => {
    const zh = await open('zh');
    await untilState(zh.page, 'scheduled');
    await zh.page.waitForFunction(() => /距开庭还有 \d+:\d\d/.test(document.querySelector('courtcast-player')?.shadowRoot?.querySelector('.card')?.textContent ?? ''), undefined, { timeout: 5_000 });
    expect(await inShadow(zh.page, '.state')).toBe('已排期');
    await zh.page.screenshot({ path: shotPath('player-scheduled-zh') });
    const en = await open('en');
    await untilState(en.page, 'scheduled');
    await en.page.waitForFunction(() => /Starts in \d+:\d\d/.test(document.querySelector('courtcast-player')?.shadowRoot?.querySelector('.card')?.textContent ?? ''), undefined, { timeout: 5_000 });
    expect(zh.errors.concat(en.errors)).toEqual([]);
    await Promise.all([zh.page.close(), en.page.close()]);
  });

  it('speaks the reader’s language when the page names none (zh-Hans-CN, en-US), with one locale fetch and no 404', async () => {
    for (const [locale, label] of [['zh-Hans-CN', '已排期'], ['en-US', 'Scheduled']] as const) {
      const context = await browser.newContext({ locale });
      const page = await context.newPage();
      const locales: string[] = [];
      page.on('response', (r) => r.url().includes('/player/locales/') && locales.push(`${r.status()} ${r.url().split('/').at(-1)}`));
      await page.goto(`${siteBase}/nolang`);
      await untilState(page, 'scheduled');
      expect(await inShadow(page, '.state'), locale).toBe(label);
      expect(locales, locale).toEqual([`200 ${locale.startsWith('zh') ? 'zh-CN' : 'en'}.json`]);
      await context.close();
    }
  });

  it('answers oEmbed for a hearing link (404 problem+json otherwise), and its iframe snippet plays on another site', async () => {
    const o = await fetch(`${s.base}/oembed?url=${encodeURIComponent(`${s.base}/hearings/${hearingId}`)}&maxwidth=480`);
    expect(o.status).toBe(200);
    const body = (await o.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ version: '1.0', type: 'video', width: 480, title: 'Test v. Test' });
    expect(body.html).toContain(`${s.base}/embed/${hearingId}`);
    for (const url of ['https://example.com/watch/x', `${s.base}/console/`, 'not a url']) {
      const r = await fetch(`${s.base}/oembed?url=${encodeURIComponent(url)}`);
      expect(r.status, url).toBe(404);
      expect(r.headers.get('content-type')).toContain('problem+json');
    }
    const hidden = await seedHearing(s, { isPublic: false });
    expect((await fetch(`${s.base}/oembed?url=${encodeURIComponent(`${s.base}/watch/${hidden.hearingId}`)}`)).status).toBe(404);

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${siteBase}/iframe`);
    const frame = page.frameLocator('iframe');
    await frame.locator('courtcast-player[state="scheduled"]').waitFor({ timeout: 15_000 });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('plays the live hearing, shows paused and ended as they air, then the published replay (from a linked time too)', async () => {
    const zh = await open('zh');
    const en = await open('en');
    await untilState(zh.page, 'scheduled');
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/open`, {})).status).toBe(200);
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`, 'flv', Date.now()).start();
    await waitForEncoder(s, hearingId);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    for (const p of [zh.page, en.page]) {
      await untilState(p, 'live');
      await p.waitForFunction(() => {
        const v = document.querySelector('courtcast-player')?.shadowRoot?.querySelector('video') as HTMLVideoElement | undefined;
        return !!v && !v.paused && v.currentTime > 1 && v.readyState >= 2;
      }, undefined, { timeout: 45_000, polling: 250 });
    }
    expect(await inShadow(zh.page, '.state')).toBe('直播中');
    expect(await inShadow(zh.page, '.delay')).toBe('延时 4 秒播出');

    // Audio only, which hls.js never offers beside video rungs: the player plays the audio rung's
    // own playlist (sound advancing, no picture), and Automatic brings the picture back.
    const playlists: string[] = [];
    en.page.on('request', (r) => r.url().endsWith('.m3u8') && playlists.push(new URL(r.url()).pathname.split('/').slice(-2).join('/')));
    const video = (p: Page) => p.evaluate(() => {
      const v = document.querySelector('courtcast-player')?.shadowRoot?.querySelector('video') as HTMLVideoElement;
      return { width: v.videoWidth, time: v.currentTime, paused: v.paused };
    });
    expect(await en.page.evaluate(() => Array.from((document.querySelector('courtcast-player')?.shadowRoot?.querySelector('.quality') as HTMLSelectElement).options).map((o) => o.value))).toEqual(['-1', '0', 'audio']);
    await en.page.selectOption('courtcast-player .quality', 'audio');
    await en.page.waitForFunction(() => {
      const v = document.querySelector('courtcast-player')?.shadowRoot?.querySelector('video') as HTMLVideoElement;
      return v.videoWidth === 0 && !v.paused && v.readyState >= 2 && (v as HTMLVideoElement & { webkitAudioDecodedByteCount: number }).webkitAudioDecodedByteCount > 0;
    }, undefined, { timeout: 30_000, polling: 250 });
    const heardFrom = (await video(en.page)).time;
    await en.page.waitForFunction((t) => (document.querySelector('courtcast-player')?.shadowRoot?.querySelector('video') as HTMLVideoElement).currentTime > t + 1, heardFrom, { timeout: 15_000, polling: 250 });
    expect(playlists).toContain('audio/index.m3u8');
    expect(await inShadow(en.page, '.card')).toContain('Audio only');
    await en.page.selectOption('courtcast-player .quality', '-1');
    await en.page.waitForFunction(() => {
      const v = document.querySelector('courtcast-player')?.shadowRoot?.querySelector('video') as HTMLVideoElement;
      return v.videoWidth > 0 && !v.paused && v.readyState >= 2;
    }, undefined, { timeout: 30_000, polling: 250 });
    expect(await en.page.evaluate(() => (document.querySelector('courtcast-player')?.shadowRoot?.querySelector('.card') as HTMLElement).hidden)).toBe(true);
    expect(await inShadow(en.page, '.delay')).toBe('Delayed by 4 s');
    await zh.page.screenshot({ path: shotPath('player-live-zh') });

    // One of the two follows by polling: both must still show every state as it airs.
    expect(refusedStreams).toBeGreaterThanOrEqual(1);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/pause`, { reason: 'recess' })).status).toBe(200);
    // Each player changes its label when it reaches the paused card, so each is waited for.
    await untilState(zh.page, 'paused');
    await untilState(en.page, 'paused');
    expect(await inShadow(zh.page, '.state')).toBe('暂停');
    expect(await inShadow(en.page, '.state')).toBe('Paused');
    await zh.page.screenshot({ path: shotPath('player-paused-zh') });

    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {})).status).toBe(200);
    await untilState(en.page, 'ended');
    await untilState(zh.page, 'ended');
    expect(await inShadow(zh.page, '.card')).toContain('已结束');
    expect(await inShadow(en.page, '.card')).toContain('Ended');
    await en.page.screenshot({ path: shotPath('player-ended-en') });

    // The supervisor publishes the replay: open players switch to it without a reload.
    await waitFor(async () => (await archiveRecords(s.cc.state).get(hearingId))?.status === 'complete', 'the archive', 60_000);
    expect((await s.api('POST', `/api/hearings/${hearingId}/replay`, { decision: 'published' })).status).toBe(200);
    await untilState(zh.page, 'replay');
    await zh.page.waitForFunction(() => {
      const v = document.querySelector('courtcast-player')?.shadowRoot?.querySelector('video') as HTMLVideoElement | undefined;
      return !!v && !v.paused && v.currentTime > 1;
    }, undefined, { timeout: 30_000, polling: 250 });
    expect(await inShadow(zh.page, '.state')).toBe('回放');
    // It opened where the broadcast began, past the slates aired between the opening and the start.
    const rungList = await (await fetch(`${s.base}/public/hearings/${hearingId}/replay/180p/index.m3u8`)).text();
    const startOffset = Number(/#EXT-X-START:TIME-OFFSET=([\d.]+)/.exec(rungList)?.[1] ?? 0);
    expect(startOffset).toBeGreaterThan(0);
    expect(await zh.page.evaluate(() => (document.querySelector('courtcast-player')?.shadowRoot?.querySelector('video') as HTMLVideoElement).currentTime)).toBeGreaterThanOrEqual(startOffset);
    await zh.page.screenshot({ path: shotPath('player-replay-zh') });
    // A link to a time in the replay starts there.
    const linked = await browser.newPage();
    await linked.goto(`${siteBase}/en?t=8`);
    await linked.waitForFunction(() => {
      const v = document.querySelector('courtcast-player')?.shadowRoot?.querySelector('video') as HTMLVideoElement | undefined;
      return !!v && v.readyState >= 2 && v.currentTime >= 8;
    }, undefined, { timeout: 30_000, polling: 250 });
    await linked.close();
    // Statistics count what happened, with nothing about who: two players watched, replays started.
    const stats = await (await fetch(`${s.base}/stats?lang=en`)).text();
    expect(Number(/Hearings streamed: <strong>(\d+)/.exec(stats)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/Replay views: <strong>(\d+)/.exec(stats)?.[1])).toBeGreaterThanOrEqual(2);
    const byCourt = /<h2>By court<\/h2><table>.*?<tbody><tr><td>Test Court<\/td><td>(\d+)<\/td><td>(\d+)<\/td>/s.exec(stats);
    expect(Number(byCourt?.[2])).toBeGreaterThanOrEqual(1);
    expect(zh.errors.concat(en.errors)).toEqual([]);
  });
});
