import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { shotPath } from '../support/screenshot.ts';
import { startLiveHearing, type LiveHearing } from '../support/live-hearing.ts';
import { decodeCounters, type PublicFeed } from '../support/public-feed.ts';
import type { TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

describe('clerk console in Chromium: sign in, watch both players, cut', () => {
  let s: TestServer;
  let live: LiveHearing;
  let browser: Browser;
  let feed: PublicFeed;
  let hearingId = '';

  beforeAll(async () => {
    live = await startLiveHearing({ delaySeconds: 4, pollMs: 250 });
    ({ s, feed, hearingId } = live);
    await s.api('POST', '/api/users', { username: 'clerk', displayName: 'Clerk One', password: 'clerk-long-password', roles: ['clerk'], courtroomIds: [live.courtroomId] });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await live?.close();
  });

  const isProgram = async (uri: string): Promise<boolean> => {
    const res = await fetch(uri);
    return (await decodeCounters(Buffer.from(await res.arrayBuffer()))).some((c) => c > 0);
  };

  it('cuts from the console and the public playlist switches to the slate', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    // A policy refusal (hls.js's worker under a CSP without worker-src blob:) is only a console error.
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy/i.test(m.text()) && pageErrors.push(m.text()));
    await page.goto(`${s.base}/console/`);
    await page.fill('#username', 'clerk');
    await page.fill('#password', 'clerk-long-password');
    await page.click('#login-form button[type=submit]');
    await page.click(`button[data-hearing="${hearingId}"]`);
    await page.waitForFunction(() => document.getElementById('phase')?.textContent === 'ON AIR', undefined, { timeout: 15_000 });

    // Both players play: the undelayed preview and the public output.
    const playing = (id: string) =>
      page.waitForFunction((v) => {
        const el = document.getElementById(v) as HTMLVideoElement;
        return !el.paused && el.currentTime > 1 && el.readyState >= 2;
      }, id, { timeout: 45_000, polling: 250 });
    await Promise.all([playing('preview'), playing('public')]);
    // The audio meter follows the courtroom's 440 Hz tone.
    await page.waitForFunction(() => parseFloat((document.getElementById('meter-fill') as HTMLElement).style.width) > 20, undefined, { timeout: 10_000 });

    // Draw a region on the preview and mask it from now; the mask list shows it active; lift it.
    const box = (await page.locator('#draw').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.6, { steps: 5 });
    await page.mouse.up();
    await page.selectOption('#mask-kind', 'black');
    await page.click('#mask-region');
    await page.waitForFunction(() => /ACTIVE\s*black/.test(document.getElementById('mask-list')?.textContent ?? ''), undefined, { timeout: 10_000 });
    const masked = await s.api<{ hearing: unknown }>('GET', `/api/hearings/${hearingId}/audit`);
    expect(JSON.stringify(masked.body)).toContain('"action":"mask"');
    await page.click('#mask-list button');
    await page.waitForFunction(() => (document.getElementById('mask-list')?.textContent ?? '').includes('ended'), undefined, { timeout: 10_000 });

    // The public has the picture before the cut.
    await waitFor(async () => {
      await feed.poll();
      const last = feed.sorted().at(-1);
      return last && (await isProgram(last.uri));
    }, 'the picture in public', 30_000, 500);

    // X arms the cut, a second X fires it.
    await page.keyboard.press('x');
    await page.waitForSelector('#cut.armed');
    await page.keyboard.press('x');
    await page.waitForFunction(() => document.getElementById('phase')?.textContent === 'CUT', undefined, { timeout: 10_000 });
    const live = await s.api<{ live: { phase: string } }>('GET', `/api/hearings/${hearingId}`);
    expect(live.body.live.phase).toBe('cut');
    // The cut dumped everything from where the release decisions had reached: a slot decided just
    // before it may still be published (and polled) just after it, rightly.
    const dumpedFrom = s.cc.broadcasts.live(hearingId)!.program.dumped.at(-1)!.start;

    // Every slot from there on is the slate.
    const after = await waitFor(async () => {
      await feed.poll();
      const fresh = feed.sorted().filter((e) => e.programDateTime !== null && e.programDateTime >= dumpedFrom);
      return fresh.length >= 3 && fresh;
    }, 'three public entries after the cut', 20_000, 250);
    for (const e of after) expect(await isProgram(e.uri), `entry ${e.seq}`).toBe(false);

    await page.waitForFunction(() => (document.getElementById('audit')?.textContent ?? '').includes('cut'), undefined, { timeout: 10_000 });
    expect(pageErrors).toEqual([]);
    const shot = shotPath('console');
    await page.screenshot({ path: shot, fullPage: true });
  });
});
