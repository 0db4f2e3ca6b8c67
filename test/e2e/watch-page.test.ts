import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNTER_LAYOUT } from '../../server/media/synthetic.ts';
import { launchChromium } from '../support/browser.ts';
import { shotPath } from '../support/screenshot.ts';
import { TestEncoder } from '../support/encoder.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';

describe('the hearing’s public page plays the delayed broadcast in Chromium (old /watch links lead there)', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let browser: Browser;
  let hearingId = '';

  beforeAll(async () => {
    s = await startTestServer();
    const seeded = await seedHearing(s, { delaySeconds: 4 });
    hearingId = seeded.hearingId;
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await encoder?.kill();
    await s?.close();
  });

  it('starts on the slate and moves on to the picture, with no fatal player error', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const landed = await page.goto(`${s.base}/watch/${hearingId}?lang=en`);
    expect(new URL(landed?.url() ?? '').pathname).toBe(`/hearings/${hearingId}`);
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Test v. Test', undefined, { timeout: 10_000 });
    // Playback moves from the starting slate, across a discontinuity, into the picture: the
    // frame counter read from the video's decoded pixels turns non-zero.
    const counter = await page.waitForFunction(
      (layout) => {
        const video = document.querySelector('courtcast-player')?.shadowRoot?.querySelector('video') as HTMLVideoElement | null;
        if (!video || video.readyState < 2) return 0;
        const canvas = document.createElement('canvas');
        canvas.width = 640;
        canvas.height = 360;
        const g = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
        g.drawImage(video, 0, 0, 640, 360);
        const px = g.getImageData(0, 0, 640, 40).data;
        let value = 0;
        for (let k = 0; k < 24; k++) {
          const cx = layout.x0 + k * layout.pitch + layout.size / 2;
          const cy = layout.y0 + layout.size / 2;
          const i = (cy * 640 + cx) * 4;
          if (((px[i] ?? 0) + (px[i + 1] ?? 0) + (px[i + 2] ?? 0)) / 3 > 128) value += 2 ** k;
        }
        return value;
      },
      COUNTER_LAYOUT,
      { timeout: 45_000, polling: 500 },
    );
    expect(await counter.jsonValue()).toBeGreaterThan(0);
    // The label follows the picture to "live" (a player that joined just after the start turns it
    // half a second late rather than early, never before the picture).
    await page.waitForFunction(() => document.querySelector('courtcast-player')?.getAttribute('state') === 'live', undefined, { timeout: 3_000, polling: 100 });
    const state = await page.evaluate(() => {
      const player = document.querySelector('courtcast-player');
      return {
        paused: (player?.shadowRoot?.querySelector('video') as HTMLVideoElement).paused,
        state: player?.getAttribute('state'),
        card: (player?.shadowRoot?.querySelector('.card') as HTMLElement).hidden ? '' : (player?.shadowRoot?.querySelector('.card')?.textContent ?? ''),
      };
    });
    expect(state.paused).toBe(false);
    expect(state.state).toBe('live');
    expect(state.card).toBe('');
    expect(errors).toEqual([]);
    const shot = shotPath('watch-page');
    await page.screenshot({ path: shot });
  });
});
