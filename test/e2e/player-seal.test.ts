import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import HLS from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveRecords } from '../../recorder/archive-record.ts';
import { signManifest, type Manifest } from '../../recorder/manifest.ts';
import { launchChromium } from '../support/browser.ts';
import { TestEncoder } from '../support/encoder.ts';
import { startOtherSite, type OtherSite } from '../support/site.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

/**
 * A CDN in front of Courtcast, as a news site would use: it passes everything through, and, when
 * told to, flips one byte of the Nth replay segment it serves. The player is loaded through it, so
 * everything it fetches comes that way.
 */
async function startCdn(origin: string): Promise<{ base: string; tamperNth: number | null; tampered: string | null; seal: string | null; close(): Promise<void> }> {
  let replaySegments = 0;
  const cdn = {
    base: '',
    tamperNth: null as number | null,
    tampered: null as string | null,
    /** Served in place of the replay's manifest, when set. */
    seal: null as string | null,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const upstream = await fetch(`${origin}${req.url ?? '/'}`, { headers: { 'accept-language': req.headers['accept-language'] ?? 'en' } });
      let body = Buffer.from(await upstream.arrayBuffer());
      if (/\/seal$/.test(req.url ?? '') && cdn.seal !== null) body = Buffer.from(cdn.seal);
      if (/\/replay\/[^/]+\/\d+\.ts$/.test(req.url ?? '') && upstream.ok && ++replaySegments === cdn.tamperNth) {
        body = Buffer.from(body);
        body[1000] = (body[1000] as number) ^ 0x01;
        cdn.tampered = req.url ?? null;
      }
      const headers: Record<string, string> = {};
      for (const h of ['content-type', 'access-control-allow-origin', 'cache-control']) {
        const v = upstream.headers.get(h);
        if (v) headers[h] = v;
      }
      res.writeHead(upstream.status, headers).end(body);
    })().catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cdn.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return cdn;
}

/**
 * A published replay embedded on another site and served through a CDN, played in Chromium: the
 * player checks the court's seal (Ed25519 over the manifest, the hash chain, a final seal) and
 * every segment against it with WebCrypto, says "sealed", and stops and says so plainly when the
 * CDN changed one byte of one segment, before that segment plays.
 */
describe('<courtcast-player> checks a replay against the court’s seal', () => {
  let s: TestServer;
  let browser: Browser;
  let site: OtherSite;
  let cdn: Awaited<ReturnType<typeof startCdn>>;
  let hearingId = '';

  beforeAll(async () => {
    s = await startTestServer({ media: { ladder: [{ name: '180p', height: 180, videoKbps: 250, audioKbps: 64 }, { name: 'audio', audioKbps: 64 }], segmentSeconds: 2, fps: 30, liveMaskSlots: 0 } });
    const seeded = await seedHearing(s, { delaySeconds: 2 });
    hearingId = seeded.hearingId;
    const encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    await elapse(14_000);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {})).status).toBe(200);
    await waitFor(async () => (await archiveRecords(s.cc.state).get(hearingId))?.status === 'complete', 'the archive to be finalized', 60_000);
    await encoder.kill();
    await s.cc.recorder.uploader.idle(30_000);
    expect((await s.api('POST', `/api/hearings/${hearingId}/replay`, { decision: 'published' })).status).toBe(200);
    cdn = await startCdn(s.base);
    site = await startOtherSite(() => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Court news</title></head><body><courtcast-player hearing="${hearingId}" style="max-width:640px"></courtcast-player><script type="module" src="${cdn.base}/player/courtcast-player.js"></script></body></html>`);
    browser = await launchChromium();
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await cdn?.close();
    await s?.close();
  });

  const seal = (page: Page) => page.evaluate(() => {
    const root = document.querySelector('courtcast-player')!.shadowRoot!;
    const mark = root.querySelector('.seal') as HTMLElement;
    const video = root.querySelector('video') as HTMLVideoElement;
    return { shown: !mark.hidden, text: mark.textContent ?? '', title: mark.title, card: (root.querySelector('.card') as HTMLElement).hidden ? '' : (root.querySelector('.card .big')?.textContent ?? ''), t: video.currentTime, paused: video.paused };
  });

  it('marks an untouched replay as sealed, with the seal’s details, while it plays', async () => {
    cdn.tamperNth = null;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(site.base);
    await page.waitForFunction(() => {
      const root = document.querySelector('courtcast-player')?.shadowRoot;
      return ((root?.querySelector('video') as HTMLVideoElement | null)?.currentTime ?? 0) > 3 && !(root?.querySelector('.seal') as HTMLElement).hidden;
    }, undefined, { timeout: 30_000, polling: 200 });
    const got = await seal(page);
    expect(got.text).toBe('✓ Sealed');
    expect(got.title).toMatch(/Verified against the court's seal: [1-9]\d* segments match the signed record \(sealed \d{4}-\d\d-\d\dT/);
    expect(got.card).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('holds a replay whose seal is not final yet to what that seal lists, and does not call it sealed', async () => {
    const manifest = JSON.parse((await s.cc.archiveStore.get(`hearings/${hearingId}/manifest.json`))!.toString()) as Manifest;
    const fresh = await startCdn(s.base);
    // An interim seal of the first half of the chain, as the recorder signs them while archiving.
    fresh.seal = JSON.stringify(signManifest(hearingId, manifest.entries.slice(0, Math.floor(manifest.entries.length / 2)), s.cc.signingKey.privateKey, false, new Date()));
    const page = await browser.newPage();
    const other = await startOtherSite(() => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Court news</title></head><body><courtcast-player hearing="${hearingId}" style="max-width:640px"></courtcast-player><script type="module" src="${fresh.base}/player/courtcast-player.js"></script></body></html>`);
    try {
      await page.goto(other.base);
      await page.waitForFunction(() => ((document.querySelector('courtcast-player')?.shadowRoot?.querySelector('video') as HTMLVideoElement | null)?.currentTime ?? 0) > 3, undefined, { timeout: 30_000, polling: 200 });
      const got = await seal(page);
      expect(got).toMatchObject({ shown: true, text: 'Not checked against the seal', card: '' });
    } finally {
      await page.close();
      await other.close();
      await fresh.close();
    }
  }, 60_000);

  it('stops, before it plays it, a replay segment a CDN changed by one byte, and says the recording does not match the court’s record', async () => {
    const page = await browser.newPage();
    // A fresh count of segments through the CDN for this page.
    const fresh = await startCdn(s.base);
    fresh.tamperNth = 3;
    await site.close();
    site = await startOtherSite(() => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Court news</title></head><body><courtcast-player hearing="${hearingId}" style="max-width:640px"></courtcast-player><script type="module" src="${fresh.base}/player/courtcast-player.js"></script></body></html>`);
    try {
      await page.goto(site.base);
      await page.waitForFunction(() => (document.querySelector('courtcast-player')?.shadowRoot?.querySelector('.card .big')?.textContent ?? '') === "This recording does not match the court's record.", undefined, { timeout: 30_000, polling: 100 });
      expect(fresh.tampered).not.toBeNull();
      const got = await seal(page);
      expect(got.paused).toBe(true);
      expect(got.shown).toBe(false);
      // Not a frame of the changed segment played: the playhead stopped before its start.
      const rung = /\/replay\/([^/]+)\/(\d+)\.ts$/.exec(fresh.tampered!)!;
      const playlist = HLS.parse(await (await fetch(`${s.base}/public/hearings/${hearingId}/replay/${rung[1]}/index.m3u8`)).text()) as MediaPlaylist;
      const k = playlist.segments.findIndex((x) => x.uri === `${rung[2]}.ts`);
      const startOfChanged = playlist.segments.slice(0, k).reduce((n, x) => n + x.duration, 0);
      await elapse(1_000);
      expect((await seal(page)).t).toBeLessThan(startOfChanged);
    } finally {
      await page.close();
      await fresh.close();
    }
  }, 60_000);
});
