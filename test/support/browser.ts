import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Launches Debian's Chromium headless, with the flags this machine needs (FIELD-NOTES). Playwright
 * gives every launch a fresh, throwaway profile directory.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.COURTCAST_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** Signs in on a staff page (the console or the archive) through its sign-in form. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-form button');
}
