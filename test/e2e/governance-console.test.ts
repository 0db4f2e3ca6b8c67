import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import { shotPath } from '../support/screenshot.ts';
import { approverOf, seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The approval on the console, as the court uses it: the clerk is told why the broadcast cannot
 * start and files the application; the court's approver approves it and signs off the review on
 * their own console; the clerk starts; the approver revokes and the clerk's console shows the cut.
 */
describe('broadcast approval on the console', () => {
  let s: TestServer;
  let browser: Browser;
  let hearingId = '';
  let approverName = '';

  beforeAll(async () => {
    s = await startTestServer();
    const seeded = await seedHearing(s, { delaySeconds: 4, cleared: false });
    hearingId = seeded.hearingId;
    await s.api('POST', '/api/users', { username: 'clerk', password: 'clerk-long-password', roles: ['clerk'], courtroomIds: [seeded.courtroomId] });
    await approverOf(s, seeded.courtId);
    approverName = `approver-${seeded.courtId.slice(-8).toLowerCase()}`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  const signIn = async (username: string, password: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${s.base}/console/`);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('#login-form button[type=submit]');
    await page.click(`button[data-hearing="${hearingId}"]`);
    await page.waitForSelector('#gov-status');
    return page;
  };
  const text = (page: Page, sel: string) => page.locator(sel).textContent();

  it('takes a hearing from refused, through application, approval and review, to on air and back off', async () => {
    const clerk = await signIn('clerk', 'clerk-long-password');
    const errors: string[] = [];
    clerk.on('pageerror', (e) => errors.push(String(e)));
    expect(await text(clerk, '#gov-status')).toContain('Not approved');
    expect(await text(clerk, '#governance')).toContain('No application to broadcast has been filed');

    // Start is refused, and the clerk reads why.
    await clerk.click('#btn-start');
    await clerk.waitForFunction(() => /not approved for broadcast.*no application/i.test(document.getElementById('banner')?.textContent ?? ''), undefined, { timeout: 10_000 });

    await clerk.fill('.gov-apply textarea[name=grounds]', 'a judgment of wide public interest');
    await clerk.click('.gov-apply button');
    await clerk.waitForFunction(() => document.getElementById('gov-app-status')?.textContent === 'waiting for a decision', undefined, { timeout: 10_000 });
    // A clerk is offered no approve button.
    expect(await clerk.locator('.gov-approve').count()).toBe(0);

    await clerk.fill('.gov-object input[name=name]', 'Li Wei (defendant)');
    await clerk.fill('.gov-object textarea[name=ground]', 'his medical history will be discussed');
    await clerk.click('.gov-object button');
    await clerk.waitForFunction(() => (document.querySelector('.gov-objections')?.textContent ?? '').includes('not yet ruled on'), undefined, { timeout: 10_000 });
    const approver = await signIn(approverName, `${approverName}-password`);
    await approver.fill('.gov-objections input[name=reason] >> nth=1', 'the history is not in issue; the witness box is masked');
    await approver.click('.gov-objections form >> nth=1 >> button');
    await approver.waitForFunction(() => (document.querySelector('.gov-objections')?.textContent ?? '').includes('dismissed by'), undefined, { timeout: 10_000 });
    const shot = shotPath('governance');
    await approver.locator('details.gov').screenshot({ path: shot });
    await approver.fill('.gov-approve input[name=reason]', 'open justice');
    await approver.click('.gov-approve button');
    await approver.waitForFunction(() => (document.getElementById('gov-app-status')?.textContent ?? '').startsWith('approved by'), undefined, { timeout: 10_000 });
    // Approved, it still may not air until the review is signed off, and the console says so.
    expect(await text(approver, '#gov-status')).toContain('Not approved');
    expect(await text(approver, '#governance')).toContain('The confidentiality review has not been signed off');
    await approver.check('.gov-review input[name=personalData]');
    await approver.check('.gov-review input[name=minors]');
    await approver.check('.gov-review input[name=masks]');
    await approver.click('.gov-review button');
    await approver.waitForFunction(() => (document.getElementById('gov-review')?.textContent ?? '').startsWith('Signed off'), undefined, { timeout: 10_000 });
    await approver.waitForFunction(() => (document.getElementById('gov-status')?.textContent ?? '').startsWith('Approved'), undefined, { timeout: 10_000 });
    expect((await fetch(`${s.base}/public/hearings/${hearingId}`)).status).toBe(200);

    await clerk.click('#btn-start');
    await clerk.waitForFunction(() => document.getElementById('phase')?.textContent === 'ON AIR', undefined, { timeout: 15_000 });
    await clerk.waitForFunction(() => (document.getElementById('gov-status')?.textContent ?? '').startsWith('Approved'), undefined, { timeout: 10_000 });

    await approver.fill('.gov-revoke input[name=reason]', 'a protected witness is to be called');
    await approver.click('.gov-revoke button');
    await clerk.waitForFunction(() => document.getElementById('phase')?.textContent === 'CUT', undefined, { timeout: 10_000 });
    await clerk.waitForFunction(() => (document.getElementById('governance')?.textContent ?? '').includes('The approval was revoked.'), undefined, { timeout: 10_000 });
    expect(errors).toEqual([]);

    // The cut acts on the live hearing first; its trail entry is written once that is done, so
    // the console can show CUT a moment before the trail has it.
    let acts: string[] = [];
    await waitFor(async () => {
      const trail = await s.api<{ action: string; actor: { role?: string } }[]>('GET', `/api/hearings/${hearingId}/audit`);
      acts = trail.body.map((e) => `${e.action}:${e.actor.role ?? 'system'}`);
      return acts.includes('withdrawn:approver');
    }, 'the withdrawal in the trail', 10_000);
    for (const a of ['broadcast-applied:clerk', 'broadcast-approved:approver', 'confidentiality-reviewed:approver', 'start:clerk', 'broadcast-approval-revoked:approver', 'withdrawn:approver']) expect(acts).toContain(a);
  });
});
