import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { shownFrames, type ShownFrame } from '../support/counter-probe.ts';
import { TestEncoder } from '../support/encoder.ts';
import { alignCues, DRAFT, sendFrameCues, type FrameCue } from '../support/frame-cues.ts';
import { startOtherSite, type OtherSite } from '../support/site.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

/** How far a caption may appear or go from the frames it belongs to, in frames (issue 30: a frame or two). */
const TOLERANCE_FRAMES = 3;

/**
 * hls.js in Chromium, through `<courtcast-player>` on another site, showing a hearing's captions:
 * a feed sends cues that each cover a known run of the camera's frames (dated by the ingest clock
 * as those frames were), and the frames the page paints with each cue showing are read by their
 * counters. The viewer turns captions on from the player's menu, and the choice holds on reload.
 */
describe('captions in <courtcast-player>', () => {
  let s: TestServer;
  let site: OtherSite;
  let browser: Browser;
  let page: Page;
  let encoder: TestEncoder;
  let hearingId = '';
  let sending: { stop: () => void } | null = null;
  /** The cues sent: the text, and the counters of the first and last frame each covers. */
  let cues: FrameCue[] = [];
  let drafted = () => 0;
  let feedReport = () => '';
  let frames: ShownFrame[] = [];

  beforeAll(async () => {
    s = await startTestServer({ media: { ladder: [{ name: '180p', height: 180, videoKbps: 250, audioKbps: 64 }, { name: 'audio', audioKbps: 64 }], segmentSeconds: 2, fps: 30, liveMaskSlots: 0 } });
    const seeded = await seedHearing(s, { delaySeconds: 4, captions: { languages: ['en', 'zh-CN'] } });
    hearingId = seeded.hearingId;
    site = await startOtherSite(
      async () =>
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Court news</title></head><body><courtcast-player hearing="${hearingId}" style="max-width:640px"></courtcast-player><script type="module" src="${s.base}/player/courtcast-player.js"></script></body></html>`,
    );
    browser = await launchChromium();
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/open`, {})).status).toBe(200);
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    const clock = () => s.cc.ingest.clockOf(seeded.courtroomId);
    await waitFor(() => (clock()?.latest ?? 0) > 1_000, 'the encoder to publish', 20_000, 50);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    // A cue every second over the newest 0.8 s of frames the ingest has, every other one sent as a
    // draft first and corrected at once.
    const feed = sendFrameCues(s, hearingId, seeded.courtroomId, encoder, { draftEvery: 2 });
    sending = feed;
    cues = feed.cues;
    drafted = () => feed.drafted;
    feedReport = () => `${feed.cues.length} cues taken, ${feed.skipped} sends without new frames, refused: ${feed.refused.slice(0, 5).join(' | ') || 'none'}`;
    page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    await page.goto(site.base);
    await page.waitForFunction(() => document.querySelector('courtcast-player')?.getAttribute('state') === 'live', undefined, { timeout: 30_000, polling: 200 });
    // The viewer turns English captions on from the player's own menu.
    await page.locator('courtcast-player .captions').waitFor({ state: 'visible', timeout: 15_000 });
    await page.locator('courtcast-player .captions').selectOption('en');
    await elapse(2_000);
    frames = await shownFrames(page, 'video', 14_000, { shadowHost: 'courtcast-player', captions: true });
  }, 120_000);

  afterAll(async () => {
    sending?.stop();
    await browser?.close();
    await encoder?.kill();
    await site?.close();
    await s?.close();
  });

  it('lists the court’s languages by name, off until the viewer chooses', async () => {
    const options = await page.locator('courtcast-player .captions option').allTextContents();
    expect(options).toEqual(['Off', 'English', '中文']);
  });

  it('shows each caption with the frames it belongs to, within a frame or two', () => {
    const painted = frames.filter((f) => f.counter > 0);
    expect(painted.length).toBeGreaterThan(200);
    const { aligned, unseen } = alignCues(frames, cues);
    expect(unseen.map((c) => c.text)).toEqual([]);
    for (const { cue, shownFirst, shownLast } of aligned) {
      expect(Math.abs(shownFirst - cue.first), `${cue.text}: first shown with frame ${shownFirst}`).toBeLessThanOrEqual(TOLERANCE_FRAMES);
      expect(Math.abs(shownLast - cue.last), `${cue.text}: last shown with frame ${shownLast}`).toBeLessThanOrEqual(TOLERANCE_FRAMES);
    }
    const judged = aligned.length;
    expect(judged, `painted ${painted[0]?.counter}…${painted.at(-1)?.counter} (${painted.length}), cues ${cues.map((c) => `${c.first}-${c.last}`).join(' ')}; ${feedReport()}`).toBeGreaterThanOrEqual(3);
  });

  it('shows a correction sent while its cue was in the delay window, and never the draft it replaced', () => {
    expect(drafted(), feedReport()).toBeGreaterThanOrEqual(3);
    const painted = frames.filter((f) => f.counter > 0);
    expect(painted.filter((f) => f.cues?.some((c) => c.startsWith(DRAFT))).map((f) => `${f.counter}: ${f.cues?.join(' | ')}`)).toEqual([]);
    // The corrected cues painted in full showed, each with its frames (judged above with the rest).
    const { aligned } = alignCues(frames, cues.filter((c) => c.drafted));
    expect(aligned.length).toBeGreaterThanOrEqual(1);
  });

  it('keeps the viewer’s choice on this browser', async () => {
    await page.reload();
    await page.waitForFunction(() => (document.querySelector('courtcast-player')?.shadowRoot?.querySelector('.captions') as HTMLSelectElement | null)?.value === 'en', undefined, { timeout: 30_000, polling: 200 });
    // And the C key turns them off.
    await page.locator('courtcast-player').focus();
    await page.keyboard.press('c');
    expect(await page.evaluate(() => localStorage.getItem('courtcast.captions'))).toBe('off');
    expect(await page.evaluate(() => (document.querySelector('courtcast-player')?.shadowRoot?.querySelector('.captions') as HTMLSelectElement).value)).toBe('off');
    // Shown again with C: the language chosen last.
    await page.keyboard.press('c');
    expect(await page.evaluate(() => localStorage.getItem('courtcast.captions'))).toBe('en');
  });
});
