import type { Browser, BrowserContext, Frame } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { TestEncoder } from '../support/encoder.ts';
import { regeneratingShots, shotPath } from '../support/screenshot.ts';
import { startOtherSite, type OtherSite } from '../support/site.ts';
import { seedHearing, startTestServer, waitForEncoder, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

/** A box the embed is put in: the iframe's size, and the page (a phone's viewport) around it. */
interface Box {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly phone?: boolean;
}

/** What a reader of an embed must always see and reach, measured inside the iframe. */
interface Fit {
  readonly outside: string[];
  readonly pictureHeight: number;
  readonly state: string;
  readonly delay: string;
}

/**
 * The iframe embed in the boxes oEmbed hands out (640 × 410, 480 × 320 as a CMS asks with maxwidth
 * and maxheight, a 390 px phone), in both languages, before the hearing and live: the state label,
 * the delay (live) and the play and sound buttons are whole inside the box, and the picture keeps
 * a useful share of it.
 */
describe('the embed fits its box', () => {
  let s: TestServer;
  let browser: Browser;
  let encoder: TestEncoder | null = null;
  let hearingId = '';
  let streamKey = '';
  let phone: Box;
  let site: OtherSite;
  let siteBase = '';

  beforeAll(async () => {
    s = await startTestServer();
    ({ hearingId, streamKey } = await seedHearing(s, { delaySeconds: 4 }));
    const o = (await (await fetch(`${s.base}/oembed?url=${encodeURIComponent(`${s.base}/hearings/${hearingId}`)}&maxwidth=390`)).json()) as { width: number; height: number };
    phone = { name: 'phone', width: o.width, height: o.height, phone: true };
    // Another origin, as a news site is: /box?w=&h=&lang= is a page with the embed's iframe.
    site = await startOtherSite((url) => {
      const q = url.searchParams;
      const [w, h, lang] = [Number(q.get('w')), Number(q.get('h')), q.get('lang') === 'zh-CN' ? 'zh-CN' : 'en'];
      return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>News</title></head><body style="margin:0"><iframe src="${s.base}/embed/${hearingId}?lang=${lang}" width="${w}" height="${h}" style="border:0" title="hearing"></iframe></body></html>`;
    });
    siteBase = site.base;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await encoder?.kill();
    await site?.close();
    await s?.close();
  });

  const policyErrors: string[] = [];
  const boxes = (): Box[] => [{ name: 'default', width: 640, height: 410 }, { name: 'small', width: 480, height: 320 }, phone];

  /** Opens the embed in a box on a page of another origin and measures it once the player is in `state`. */
  async function measure(box: Box, lang: string, state: string): Promise<Fit> {
    const context: BrowserContext = await browser.newContext(box.phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : { viewport: { width: 1024, height: 768 } });
    try {
      const page = await context.newPage();
      // hls.js's worker and the poster must not be refused by the embed's CSP (only a console error).
      page.on('console', (m) => m.type() === 'error' && /Content Security Policy/i.test(m.text()) && policyErrors.push(m.text()));
      await page.goto(`${siteBase}/box?w=${box.width}&h=${box.height}&lang=${lang}`);
      const frame = (await (await page.waitForSelector('iframe')).contentFrame()) as Frame;
      await frame.waitForSelector(`courtcast-player[state="${state}"]`, { timeout: 30_000 });
      if (regeneratingShots()) {
        await frame.waitForTimeout(state === 'live' ? 3_000 : 500);
        await page.screenshot({ path: shotPath(`embed-${box.name}-${state}-${lang}`), clip: { x: 0, y: 0, width: box.width, height: box.height } });
      }
      return await frame.evaluate((live) => {
        const root = document.querySelector('courtcast-player')!.shadowRoot!;
        const outside: string[] = [];
        for (const q of ['.state', '.play', '.mute', ...(live ? ['.delay'] : [])]) {
          const el = root.querySelector(q)!;
          const b = el.getBoundingClientRect();
          const whole = el.checkVisibility() && b.width > 0 && b.height > 0 && b.left >= 0 && b.top >= 0 && b.right <= innerWidth + 0.5 && b.bottom <= innerHeight + 0.5;
          if (!whole) outside.push(`${q} ${JSON.stringify({ l: b.left, t: b.top, r: b.right, b: b.bottom })} in ${innerWidth}x${innerHeight}`);
        }
        return { outside, pictureHeight: root.querySelector('.frame')!.getBoundingClientRect().height, state: root.querySelector('.state')!.textContent ?? '', delay: root.querySelector('.delay')!.textContent ?? '' };
      }, state === 'live');
    } finally {
      await context.close();
    }
  }

  it('answers oEmbed within maxwidth and maxheight, or 501 when no player fits', async () => {
    const ask = (q: string) => fetch(`${s.base}/oembed?url=${encodeURIComponent(`${s.base}/hearings/${hearingId}`)}${q}`);
    expect(await (await ask('')).json()).toMatchObject({ width: 640, height: 410 });
    const small = (await (await ask('&maxwidth=480&maxheight=320')).json()) as { width: number; height: number; html: string };
    expect(small.width).toBeLessThanOrEqual(480);
    expect(small.height).toBeLessThanOrEqual(320);
    expect(small.html).toContain(`width="${small.width}" height="${small.height}"`);
    expect(phone.width).toBe(390);
    const none = await ask('&maxheight=60');
    expect(none.status).toBe(501);
    expect(none.headers.get('content-type')).toContain('problem+json');
  });

  it('shows the state and the play and sound buttons whole in every box before the hearing, in both languages', async () => {
    for (const box of boxes()) {
      for (const lang of ['en', 'zh-CN']) {
        const fit = await measure(box, lang, 'scheduled');
        expect(fit.outside, `${box.name} ${lang}`).toEqual([]);
        expect(fit.state, `${box.name} ${lang}`).toBe(lang === 'en' ? 'Scheduled' : '已排期');
        expect(fit.pictureHeight, `${box.name} ${lang}`).toBeGreaterThan(box.height * 0.45);
      }
    }
  });

  it("lays the hearing's page out for a 390 px phone: nothing wider than the screen, the player's controls whole", async () => {
    for (const lang of ['en', 'zh-CN']) {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
      const page = await context.newPage();
      await page.goto(`${s.base}/hearings/${hearingId}?lang=${lang}`);
      await page.waitForSelector('courtcast-player[state]');
      const layout = await page.evaluate(() => {
        const root = document.querySelector('courtcast-player')!.shadowRoot!;
        const bar = root.querySelector('.bar')!.getBoundingClientRect();
        const controls = ['.state', '.play', '.mute', '.fs'].map((q) => root.querySelector(q)!.getBoundingClientRect());
        return { scroll: document.documentElement.scrollWidth, width: innerWidth, barRows: Math.round(bar.height / controls[1]!.height), outside: controls.filter((b) => b.left < 0 || b.right > innerWidth + 0.5 || b.width === 0).length };
      });
      expect(layout.scroll, lang).toBeLessThanOrEqual(layout.width);
      expect(layout.outside, lang).toBe(0);
      // One row of controls (with the state and the delay), not a column of wrapped pieces.
      expect(layout.barRows, lang).toBeLessThanOrEqual(2);
      await context.close();
    }
  });

  it('joins a hearing just after it went live saying "starting soon" over the starting slate, and "live" once the picture is live', async () => {
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/open`, {})).status).toBe(200);
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`, 'flv', Date.now()).start();
    await waitForEncoder(s, hearingId);
    // A few starting slates air before the start, so a player that joins late enough behind the
    // edge has the slate to show.
    await new Promise((r) => setTimeout(r, 4_000));
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    const state = async () => ((await (await fetch(`${s.base}/public/hearings/${hearingId}`)).json()) as { state: string; previousState: string | null; stateSinceSlot: number | null });
    await waitFor(async () => (await state()).state === 'live', 'the hearing to go live for the public', 30_000, 100);
    expect((await state()).previousState).toBe('starting');
    // The slot that first aired the picture: a player that joins now tells when it reaches it by that.
    const firstLiveSlot = (await state()).stateSinceSlot!;
    expect(Number.isInteger(firstLiveSlot)).toBe(true);
    expect(await (await fetch(`${s.base}/hls/hearings/${hearingId}/180p/index.m3u8`)).text()).toContain(`\n${firstLiveSlot}.ts`);
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    await page.goto(`${siteBase}/box?w=640&h=410&lang=en`);
    const frame = (await (await page.waitForSelector('iframe')).contentFrame()) as Frame;
    // What the player says and what its picture is, five times a second: a slate is the slates'
    // flat blue-grey nearly everywhere, the test picture is colour bars.
    const samples: { label: string; slate: boolean; at: number }[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 14_000) {
      const sample = await frame.evaluate(() => {
        const root = document.querySelector('courtcast-player')?.shadowRoot;
        const video = root?.querySelector('video');
        if (!root || !video || video.readyState < 2 || video.paused) return null;
        const c = document.createElement('canvas');
        [c.width, c.height] = [64, 36];
        const g = c.getContext('2d')!;
        g.drawImage(video, 0, 0, 64, 36);
        const px = g.getImageData(0, 0, 64, 36).data;
        let flat = 0;
        for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i]! - 0x1b) < 20 && Math.abs(px[i + 1]! - 0x2a) < 20 && Math.abs(px[i + 2]! - 0x3a) < 20) flat++;
        return { label: root.querySelector('.state')?.textContent ?? '', slate: flat > 0.7 * 64 * 36 };
      });
      if (sample) samples.push({ ...sample, at: Date.now() - t0 });
      await new Promise((r) => setTimeout(r, 200));
    }
    await page.close();
    const firstLive = samples.findIndex((x) => x.label === 'Live');
    // It joined on the slate, said so, and went live with the picture; never "live" over the slate
    // (one sample's grace at the switch: hls.js's latency is known to a fraction of a second).
    expect(samples.some((x) => x.slate && x.label === 'Starting soon'), JSON.stringify(samples)).toBe(true);
    expect(firstLive, JSON.stringify(samples)).toBeGreaterThan(0);
    expect(samples.slice(firstLive + 1).filter((x) => x.slate), JSON.stringify(samples)).toEqual([]);
    expect(samples.slice(firstLive).some((x) => !x.slate)).toBe(true);
  }, 90_000);

  it('shows live and the delay too, whole in every box, once the hearing airs', async () => {
    for (const box of boxes()) {
      for (const lang of ['en', 'zh-CN']) {
        const fit = await measure(box, lang, 'live');
        expect(fit.outside, `${box.name} ${lang}`).toEqual([]);
        expect(fit.delay, `${box.name} ${lang}`).toMatch(/4/);
        expect(policyErrors).toEqual([]);
        expect(fit.pictureHeight, `${box.name} ${lang}`).toBeGreaterThan(box.height * 0.45);
      }
    }
  }, 120_000);
});
