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
import { startOtherSite } from '../support/site.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

/**
 * A CDN in front of Courtcast, as a news site would use: it passes everything through, and, when
 * told to, flips one byte of the Nth segment it serves of those `tamper` matches (replay or live). The player is loaded through it, so
 * everything it fetches comes that way.
 */
const REPLAY_SEGMENT = /\/replay\/[^/]+\/\d+\.ts$/;
const LIVE_SEGMENT = /^\/hls\/hearings\/[^/]+\/180p\/\d+\.ts$/;

interface Cdn {
  base: string;
  tamper: { readonly match: RegExp; readonly nth: number } | null;
  tampered: string | null;
  /** Served in place of the replay's manifest, when set. */
  seal: string | null;
  /** Answers 404 for the log's proof of the seal, as a log that holds none would. */
  noProof: boolean;
  close(): Promise<void>;
}

async function startCdn(origin: string): Promise<Cdn> {
  let matched = 0;
  const cdn: Cdn = {
    base: '',
    tamper: null,
    tampered: null,
    seal: null,
    noProof: false,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (cdn.noProof && /^\/transparency\/proof\/seal\//.test(req.url ?? '')) {
        res.writeHead(404, { 'content-type': 'application/problem+json', 'access-control-allow-origin': '*' }).end('{"title":"the log holds no seal of this hearing"}');
        return;
      }
      const upstream = await fetch(`${origin}${req.url ?? '/'}`, { headers: { 'accept-language': req.headers['accept-language'] ?? 'en' } });
      let body = Buffer.from(await upstream.arrayBuffer());
      if (/\/seal$/.test(req.url ?? '') && cdn.seal !== null) body = Buffer.from(cdn.seal);
      if (cdn.tamper && cdn.tamper.match.test(req.url ?? '') && upstream.ok && ++matched === cdn.tamper.nth) {
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
 * player checks the court's seal (Ed25519 over the manifest, the hash chain, a final seal), that
 * the court's transparency log holds that seal, and every segment against it with WebCrypto; says
 * "sealed"; and stops and says so plainly when the CDN changed one byte of one segment (before
 * that segment plays) or served a seal re-signed with the court's key that the log does not hold.
 */
describe('<courtcast-player> checks a replay against the court’s seal', () => {
  let s: TestServer;
  let browser: Browser;
  let hearingId = '';

  let encoder: TestEncoder | null = null;
  let replay: Promise<void> | null = null;

  beforeAll(async () => {
    s = await startTestServer({ media: { ladder: [{ name: '180p', height: 180, videoKbps: 250, audioKbps: 64 }, { name: 'audio', audioKbps: 64 }], segmentSeconds: 2, fps: 30, liveMaskSlots: 0 } });
    const seeded = await seedHearing(s, { delaySeconds: 2 });
    hearingId = seeded.hearingId;
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    browser = await launchChromium();
  }, 150_000);

  /** The hearing ended, archived, sealed and its replay published (once, for the tests that need it). */
  const replayPublished = () =>
    (replay ??= (async () => {
      // Long enough a recording for a replay of several segments.
      await waitFor(async () => (await fetch(`${s.base}/hls/hearings/${hearingId}/180p/index.m3u8`)).text().then((t) => (t.match(/\.ts$/gm) ?? []).length >= 6), 'six slots aired', 60_000, 500);
      expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {})).status).toBe(200);
      await waitFor(async () => (await archiveRecords(s.cc.state).get(hearingId))?.status === 'complete', 'the archive to be finalized', 60_000);
      await encoder?.kill();
      encoder = null;
      await s.cc.recorder.uploader.idle(30_000);
      expect((await s.api('POST', `/api/hearings/${hearingId}/replay`, { decision: 'published' })).status).toBe(200);
    })());

  afterAll(async () => {
    await encoder?.kill();
    await browser?.close();
    await s?.close();
  });

  /** A news site's page embedding the replay, with the player and everything it fetches through a CDN set up by `setup`. */
  async function throughCdn(setup: (cdn: Cdn) => void, fn: (page: Page, cdn: Cdn) => Promise<void>): Promise<void> {
    const cdn = await startCdn(s.base);
    setup(cdn);
    const site = await startOtherSite(() => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Court news</title></head><body><courtcast-player hearing="${hearingId}" style="max-width:640px"></courtcast-player><script type="module" src="${cdn.base}/player/courtcast-player.js"></script></body></html>`);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await page.goto(site.base);
      await fn(page, cdn);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await site.close();
      await cdn.close();
    }
  }

  const seal = (page: Page) => page.evaluate(() => {
    const root = document.querySelector('courtcast-player')!.shadowRoot!;
    const mark = root.querySelector('.seal') as HTMLElement;
    const video = root.querySelector('video') as HTMLVideoElement;
    const card = root.querySelector('.card') as HTMLElement;
    return { shown: !mark.hidden, text: mark.textContent ?? '', title: mark.title, card: card.hidden ? '' : (root.querySelector('.card .big')?.textContent ?? ''), detail: card.hidden ? '' : (card.textContent ?? ''), t: video.currentTime, paused: video.paused };
  });
  const playedPast = (page: Page, t: number) => page.waitForFunction((t) => {
    const root = document.querySelector('courtcast-player')?.shadowRoot;
    return ((root?.querySelector('video') as HTMLVideoElement | null)?.currentTime ?? 0) > t && !(root?.querySelector('.seal') as HTMLElement).hidden;
  }, t, { timeout: 30_000, polling: 200 });
  const refused = (page: Page) => page.waitForFunction(() => (document.querySelector('courtcast-player')?.shadowRoot?.querySelector('.card .big')?.textContent ?? '') === "This recording does not match the court's record.", undefined, { timeout: 30_000, polling: 100 });
  const manifest = async () => JSON.parse((await s.cc.archiveStore.get(`hearings/${hearingId}/manifest.json`))!.toString()) as Manifest;

  it('checks a live hearing’s segments against the court’s signed checkpoint as they arrive, and says so', async () => {
    await throughCdn(() => {}, async (page) => {
      await playedPast(page, 2);
      await page.waitForFunction(() => (document.querySelector('courtcast-player')?.shadowRoot?.querySelector('.seal')?.textContent ?? '') === '✓ Checked live', undefined, { timeout: 20_000, polling: 200 });
      const got = await seal(page);
      expect(got.title).toMatch(/^Each segment matches what the court signed as it aired: [1-9]\d* checked \(newest checkpoint \d{4}-\d\d-\d\dT[^,]+, key [0-9a-f]{16}…\)\.$/);
      expect(got.card).toBe('');
    });
  }, 60_000);

  it('stops a live segment a CDN changed by one byte before it is played, and says the broadcast does not match what the court is airing', async () => {
    await throughCdn((cdn) => (cdn.tamper = { match: LIVE_SEGMENT, nth: 3 }), async (page, cdn) => {
      await page.waitForFunction(() => (document.querySelector('courtcast-player')?.shadowRoot?.querySelector('.card .big')?.textContent ?? '') === 'This broadcast does not match what the court is airing.', undefined, { timeout: 30_000, polling: 100 });
      expect(cdn.tampered).not.toBeNull();
      const got = await seal(page);
      expect(got).toMatchObject({ shown: false, paused: true });
      // hls.js never had the changed segment: nothing is buffered from its start on.
      const uri = cdn.tampered!.split('/').pop();
      const where = await page.evaluate((uri) => {
        const player = document.querySelector('courtcast-player') as HTMLElement & { hls: { levels: { details?: { fragments: { relurl?: string; start: number }[] } }[] } | null };
        const video = player.shadowRoot!.querySelector('video') as HTMLVideoElement;
        const frag = player.hls?.levels.flatMap((l) => l.details?.fragments ?? []).find((f) => f.relurl === uri);
        return { start: frag?.start ?? null, buffered: video.buffered.length > 0 ? video.buffered.end(video.buffered.length - 1) : 0 };
      }, uri);
      expect(where.start, 'the changed segment in hls.js’s playlist').not.toBeNull();
      expect(where.buffered).toBeLessThanOrEqual(where.start! + 0.05);
    });
  }, 60_000);

  it('marks an untouched replay as sealed, with the seal’s details and its entry in the court’s log, while it plays', async () => {
    await replayPublished();
    await throughCdn(() => {}, async (page) => {
      await playedPast(page, 3);
      const got = await seal(page);
      expect(got.text).toBe('✓ Sealed');
      expect(got.title).toMatch(/^Verified against the court's seal: [1-9]\d* segments match the signed record \(sealed \d{4}-\d\d-\d\dT.*\)\. Its seal is entry \d+ of the court's public transparency log \(\d+ entries\)\.$/);
      expect(got.card).toBe('');
    });
  }, 150_000);

  it('holds a replay whose seal is not final yet to what that seal lists, and does not call it sealed', async () => {
    await replayPublished();
    const m = await manifest();
    // An interim seal of the first half of the chain, as the recorder signs them while archiving.
    const interim = JSON.stringify(signManifest(hearingId, m.entries.slice(0, Math.floor(m.entries.length / 2)), s.cc.signingKey.privateKey, false, new Date()));
    await throughCdn((cdn) => (cdn.seal = interim), async (page) => {
      await playedPast(page, 3);
      expect(await seal(page)).toMatchObject({ shown: true, text: 'Not checked against the seal', card: '' });
    });
  }, 150_000);

  it('refuses a replay whose seal, signed with the court’s own key, is not the one the court logged, and says so', async () => {
    await replayPublished();
    const m = await manifest();
    // Rewritten: the last entry dropped, the chain sealed again, final, with the court's key.
    const rewritten = JSON.stringify(signManifest(hearingId, m.entries.slice(0, -1), s.cc.signingKey.privateKey, true, new Date()));
    await throughCdn((cdn) => (cdn.seal = rewritten), async (page) => {
      await refused(page);
      const got = await seal(page);
      expect(got.detail).toContain("The court's public transparency log holds a different seal of this hearing");
      expect(got).toMatchObject({ shown: false, paused: true });
      expect(got.t).toBeLessThan(0.5);
    });
  }, 150_000);

  it('plays a sealed replay the court’s log holds no seal of, without calling it sealed', async () => {
    await replayPublished();
    await throughCdn((cdn) => (cdn.noProof = true), async (page) => {
      await playedPast(page, 3);
      const got = await seal(page);
      expect(got).toMatchObject({ shown: true, text: "⚠ Sealed, but not in the court's public log", card: '' });
      expect(got.title).toContain("The court's public transparency log holds no seal of this hearing");
    });
  }, 150_000);

  it('stops, before it plays it, a replay segment a CDN changed by one byte, and says the recording does not match the court’s record', async () => {
    await replayPublished();
    await throughCdn((cdn) => (cdn.tamper = { match: REPLAY_SEGMENT, nth: 3 }), async (page, cdn) => {
      await refused(page);
      expect(cdn.tampered).not.toBeNull();
      const got = await seal(page);
      expect(got.paused).toBe(true);
      expect(got.shown).toBe(false);
      expect(got.detail).toContain('A part of it differs from what the court sealed');
      // Not a frame of the changed segment played: the playhead stopped before its start.
      const rung = /\/replay\/([^/]+)\/(\d+)\.ts$/.exec(cdn.tampered!)!;
      const playlist = HLS.parse(await (await fetch(`${s.base}/public/hearings/${hearingId}/replay/${rung[1]}/index.m3u8`)).text()) as MediaPlaylist;
      const k = playlist.segments.findIndex((x) => x.uri === `${rung[2]}.ts`);
      const startOfChanged = playlist.segments.slice(0, k).reduce((n, x) => n + x.duration, 0);
      await elapse(1_000);
      expect((await seal(page)).t).toBeLessThan(startOfChanged);
    });
  }, 150_000);
});
