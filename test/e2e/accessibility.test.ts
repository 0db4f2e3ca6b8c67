import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { englishWords, seriousViolations } from '../support/axe.ts';
import { launchChromium, signIn } from '../support/browser.ts';
import { regeneratingShots, shotPath } from '../support/screenshot.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';

/**
 * axe-core finds no serious or critical accessibility violation in what the public and staff
 * use: the portal, the embeddable player, the clerk console and the archive page, each in the
 * views a user meets first.
 */
describe('accessibility (axe-core)', () => {
  let s: TestServer;
  let browser: Browser;
  let hearingId = '';

  beforeAll(async () => {
    s = await startTestServer();
    hearingId = (await seedHearing(s, { scheduledStart: new Date(Date.now() + 3_600_000) })).hearingId;
    expect((await s.api('POST', '/api/users', { username: 'archivist', password: 'archivist-password', roles: ['archivist'] })).status).toBe(201);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('the player, in Chinese and in English', async () => {
    for (const lang of ['zh-CN', 'en']) {
      const page = await browser.newPage();
      await page.goto(`${s.base}/embed/${hearingId}?lang=${lang}`);
      await page.waitForSelector('courtcast-player[state="scheduled"]');
      expect(await seriousViolations(page), lang).toEqual([]);
      await page.close();
    }
  });

  it('the player of a hearing that is not there: its controls named, and those that play disabled', async () => {
    for (const lang of ['zh-CN', 'en']) {
      const page = await browser.newPage();
      await page.goto(`${s.base}/embed/hr_nosuchhearing?lang=${lang}`);
      await page.waitForFunction(() => document.querySelector('courtcast-player')?.shadowRoot?.querySelector('.card .big')?.textContent?.length);
      expect(await seriousViolations(page), lang).toEqual([]);
      const controls = await page.evaluate(() =>
        Array.from(document.querySelector('courtcast-player')?.shadowRoot?.querySelectorAll('.bar button:not([hidden]), .bar select') ?? []).map((c) => ({
          name: c.getAttribute('aria-label') ?? c.closest('label')?.textContent?.trim() ?? '',
          disabled: (c as HTMLButtonElement).disabled,
          cls: c.className,
        })),
      );
      expect(controls.every((c) => c.name.length > 0), JSON.stringify(controls)).toBe(true);
      // Play, quality and picture-in-picture (where the browser offers it) wait for something to play; sound and full screen do not.
      const disabled = controls.filter((c) => c.disabled).map((c) => c.cls);
      expect(disabled, lang).toEqual(expect.arrayContaining(['play', 'quality']));
      expect(disabled.every((c) => ['play', 'quality', 'pip'].includes(c)), lang).toBe(true);
      await page.close();
    }
  });

  it('the portal pages, in English and in Chinese', async () => {
    for (const lang of ['en', 'zh-CN']) {
      for (const p of ['/', '/hearings', `/hearings/${hearingId}`, '/replays', '/stats', '/courts', '/legal', '/accessibility']) {
        const page = await browser.newPage();
        await page.goto(`${s.base}${p}${p.includes('?') ? '&' : '?'}lang=${lang}`);
        if (p.startsWith('/hearings/')) await page.waitForSelector('courtcast-player[state="scheduled"]');
        expect(await seriousViolations(page), `${p} ${lang}`).toEqual([]);
        if (regeneratingShots() && ['/', `/hearings/${hearingId}`, '/courts'].includes(p)) await page.screenshot({ path: shotPath(`portal-${p === '/' ? 'home' : p.split('/')[1]}-${lang}`), fullPage: true });
        await page.close();
      }
    }
  });

  for (const locale of ['en', 'zh-CN']) {
    it(`the clerk console in ${locale}: sign-in, the list and a hearing`, async () => {
      const context = await browser.newContext({ locale });
      const page = await context.newPage();
      await page.goto(`${s.base}/console/`);
      await page.waitForSelector('#login-view:not([hidden])');
      expect(await page.evaluate(() => document.documentElement.lang)).toBe(locale);
      expect(await seriousViolations(page)).toEqual([]);
      await signIn(page, 'admin', 'test-admin-password');
      await page.waitForSelector('#list-view:not([hidden])');
      expect(await seriousViolations(page)).toEqual([]);
      await page.click('#hearings button');
      await page.waitForSelector('#hearing-view:not([hidden])');
      await page.waitForSelector('#gov-status');
      expect(await seriousViolations(page)).toEqual([]);
      // A Chinese clerk reads Chinese everywhere: no English word is left on the hearing's page.
      if (locale === 'zh-CN') {
        expect(await page.textContent('#btn-start')).toBe('开始直播');
        expect(await englishWords(page)).toEqual([]);
        if (regeneratingShots()) await page.screenshot({ path: shotPath('console-zh-CN'), fullPage: true });
      }
      await context.close();
    });

    it(`the archive page in ${locale}: sign-in and search`, async () => {
      const context = await browser.newContext({ locale });
      const page = await context.newPage();
      await page.goto(`${s.base}/console/archive.html`);
      await page.waitForSelector('#login-view:not([hidden])');
      expect(await seriousViolations(page)).toEqual([]);
      await signIn(page, 'archivist', 'archivist-password');
      await page.waitForSelector('#search-view:not([hidden])');
      expect(await seriousViolations(page)).toEqual([]);
      if (locale === 'zh-CN') expect(await englishWords(page)).toEqual([]);
      await context.close();
    });
  }
});
