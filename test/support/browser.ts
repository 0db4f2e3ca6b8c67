import { chromium, type Browser } from 'playwright-core';

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
