import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn } from '../support/browser.ts';
import { shotPath } from '../support/screenshot.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The composed program on the clerk's console: the card says what the program shows, the layout
 * buttons (and keys 1–5) and a camera per tile put a switch together, and the switch is one
 * command on the record. No camera needs to publish for the console to switch.
 */
describe('switching the composed program from the console', () => {
  let s: TestServer;
  let browser: Browser;
  let hearingId = '';
  let ownFeedHearing = '';

  beforeAll(async () => {
    s = await startTestServer();
    const seeded = await seedHearing(s, { delaySeconds: 4 });
    hearingId = seeded.hearingId;
    const room = `/api/courtrooms/${seeded.courtroomId}`;
    expect((await s.api('PUT', `${room}/sources`, [{ name: 'bench', label: 'Bench' }, { name: 'witness', label: 'Witness box' }])).status).toBe(200);
    expect((await s.api('PUT', `${room}/program`, { layout: 'side-by-side', cameras: ['main', 'bench'], sound: 'main' })).status).toBe(200);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/open`, {})).status).toBe(200);
    // A courtroom whose program is its own feed has nothing to switch.
    const plain = await seedHearing(s, { delaySeconds: 4 });
    ownFeedHearing = plain.hearingId;
    expect((await s.api('POST', `/api/hearings/${ownFeedHearing}/broadcast/open`, {})).status).toBe(200);
    expect((await s.api('POST', `/api/hearings/${ownFeedHearing}/program/switch`, { layout: 'single', cameras: ['main'] })).status).toBe(409);
    await s.api('POST', '/api/users', { username: 'clerk', password: 'clerk-long-password', roles: ['clerk'], courtroomIds: [seeded.courtroomId, plain.courtroomId] });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('shows the program’s layout and cameras, and switches to the one the clerk puts together', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${s.base}/console/`);
    await signIn(page, 'clerk', 'clerk-long-password');
    await page.click(`button[data-hearing="${hearingId}"]`);
    await page.waitForSelector('#program-box:not([hidden])');
    expect(await page.textContent('#program-now')).toBe('On the program: Side by side — courtroom feed · bench');
    expect(await page.getAttribute('#program-layouts button[data-layout="side-by-side"]', 'aria-pressed')).toBe('true');
    // Key 3: one large, three small, the cameras chosen so far kept in order; the witness into the third tile.
    await page.keyboard.press('3');
    expect(await page.locator('#program-tiles select').count()).toBe(4);
    await page.selectOption('#program-tiles select >> nth=2', 'witness');
    await page.click('#program-switch');
    await page.waitForFunction(() => (document.getElementById('program-now')?.textContent ?? '').includes('One large, three small'), undefined, { timeout: 10_000 });
    expect(await page.textContent('#program-now')).toBe('On the program: One large, three small — courtroom feed · bench · witness');
    await page.locator('#program-box').screenshot({ path: shotPath('console-program') });
    const trail = await waitFor(async () => {
      const entries = (await s.api<{ action: string; params: unknown }[]>('GET', `/api/hearings/${hearingId}/audit`)).body.filter((e) => e.action === 'switch');
      return entries.length > 0 && entries;
    }, 'the switch on the record', 10_000, 200);
    expect(trail.map((e) => e.params)).toEqual([{ layout: 'one-plus-three', cameras: ['main', 'bench', 'witness'] }]);
    // The program's own feed: no card.
    await page.click('#back');
    await page.click(`button[data-hearing="${ownFeedHearing}"]`);
    await page.waitForFunction(() => document.getElementById('h-title')?.textContent !== '' && document.getElementById('program-box')?.hidden === true, undefined, { timeout: 10_000 });
    expect(errors).toEqual([]);
  });
});
