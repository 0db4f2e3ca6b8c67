import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Launches Debian's Chromium headless, with the flags this machine needs (FIELD-NOTES). Playwright
 * gives every launch a fresh, throwaway profile directory.
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
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
      ...extraArgs,
    ],
  });
}

/** Signs in on a staff page (the console or the archive) through its sign-in form. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-form button');
}

/**
 * Flags for a Chromium that publishes over WebRTC on this machine: fake camera and microphone fed
 * from files (no device, no permission prompt), and loopback candidates, which Chromium leaves out
 * unless told (the server's werift is told to gather them too: config webrtc.hostAddresses).
 */
export const fakeCaptureArgs = (video: string, audio: string): string[] => [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  `--use-file-for-fake-video-capture=${video}`,
  `--use-file-for-fake-audio-capture=${audio}`,
  '--allow-loopback-in-peer-connection',
];
