import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn } from '../support/browser.ts';
import { shownFrames, type ShownFrame } from '../support/counter-probe.ts';
import { TestEncoder } from '../support/encoder.ts';
import { shotPath } from '../support/screenshot.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The composed program on the clerk's console: the card says what the program shows, the layout
 * buttons (and keys 1–5) and a camera per tile put a switch together, and the switch is one
 * command on the record. No camera needs to publish for the console to switch. The multiview shows
 * each camera that sends, live over WHEP; the one the clerk picks goes on the preview, and a
 * region drawn there is drawn on that camera.
 */
describe('switching the composed program from the console', () => {
  let s: TestServer;
  let browser: Browser;
  let hearingId = '';
  let ownFeedHearing = '';
  let courtroomId = '';
  let keys: { main: string; bench: string } = { main: '', bench: '' };

  beforeAll(async () => {
    s = await startTestServer({ webrtc: { hostAddresses: ['127.0.0.1'] } });
    const seeded = await seedHearing(s, { delaySeconds: 4 });
    hearingId = seeded.hearingId;
    courtroomId = seeded.courtroomId;
    const room = `/api/courtrooms/${seeded.courtroomId}`;
    const set = await s.api<{ sources: { name: string; streamKey?: string }[] }>('PUT', `${room}/sources`, [{ name: 'bench', label: 'Bench' }, { name: 'witness', label: 'Witness box' }]);
    expect(set.status).toBe(200);
    keys = { main: seeded.streamKey, bench: set.body.sources.find((x) => x.name === 'bench')!.streamKey! };
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

  /** A clerk's console on the composed hearing, with the page's errors collected. */
  const clerkOnHearing = async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // Every peer connection the page makes, so that a tile that paints no frames can say why.
    await page.addInitScript(() => {
      const Native = window.RTCPeerConnection;
      const all: RTCPeerConnection[] = [];
      (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = all;
      window.RTCPeerConnection = class extends Native {
        constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
          super(...args);
          all.push(this);
        }
      };
    });
    await page.goto(`${s.base}/console/`);
    await signIn(page, 'clerk', 'clerk-long-password');
    await page.click(`button[data-hearing="${hearingId}"]`);
    return { page, errors };
  };

  it('shows the program’s layout and cameras, and switches to the one the clerk puts together', async () => {
    const { page, errors } = await clerkOnHearing();
    await page.waitForSelector('#program-box:not([hidden])');
    expect(await page.textContent('#program-now')).toBe('On the program: Side by side — courtroom feed · Bench');
    expect(await page.getAttribute('#program-layouts button[data-layout="side-by-side"]', 'aria-pressed')).toBe('true');
    // Key 3: one large, three small, the cameras chosen so far kept in order; the witness into the third tile.
    await page.keyboard.press('3');
    expect(await page.locator('#program-tiles select').count()).toBe(4);
    await page.selectOption('#program-tiles select >> nth=2', 'witness');
    await page.click('#program-switch');
    await page.waitForFunction(() => (document.getElementById('program-now')?.textContent ?? '').includes('One large, three small'), undefined, { timeout: 10_000 });
    expect(await page.textContent('#program-now')).toBe('On the program: One large, three small — courtroom feed · Bench · Witness box');
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

  it('shows each camera small and live, puts the one chosen on the preview, and draws a region on that camera', async () => {
    // The bench camera's counters run ten minutes of frames ahead of the room's: a picture says whose it is.
    const ingest = `rtmp://127.0.0.1:${s.cc.rtmpPort}/live`;
    const cameras = [new TestEncoder(`${ingest}/${keys.main}`, 'flv', Date.now()).start(), new TestEncoder(`${ingest}/${keys.bench}`, 'flv', Date.now() - 600_000).start()];
    try {
      await waitFor(() => s.cc.ingest.isPublishing(courtroomId) && s.cc.ingest.isPublishing(`${courtroomId}.bench`), 'both cameras sending', 20_000, 50);
      const { page, errors } = await clerkOnHearing();
      const tile = (name: string) => `#program-cameras [data-camera="${name}"]`;
      await page.waitForFunction((sel) => sel.every((x) => (document.querySelector(`${x} video`) as HTMLVideoElement | null)?.readyState === 4), [tile('main'), tile('bench')], { timeout: 30_000 }).catch(async (err: unknown) => {
        throw new Error(`the multiview: ${await page.locator('#program-cameras').innerHTML()}`, { cause: err });
      });
      // Chromium paints (and calls back for) only what is on the screen. A loaded machine paints
      // few frames of a small picture (two in two seconds, beside another browser test): read
      // until a few are in, which is enough to say whose picture it is.
      const framesOf = async (select: string) => {
        const got: ShownFrame[] = [];
        try {
          return await waitFor(async () => (got.push(...(await shownFrames(page, select, 1_000))), got.length > 3 && got), `frames painted in ${select}`, 30_000, 0);
        } catch (err) {
          // ci88: the bench tile painted at most three frames in 20 s once; say what the tile was doing.
          const state = await page.evaluate((sel) => {
            const v = document.querySelector(sel) as HTMLVideoElement;
            const tile = v.closest('.camera-tile') as HTMLElement | null;
            const r = v.getBoundingClientRect();
            return { readyState: v.readyState, currentTime: v.currentTime, paused: v.paused, size: `${v.videoWidth}x${v.videoHeight}`, rect: [r.top, r.bottom, r.width, window.innerHeight], visibility: document.visibilityState, note: tile?.querySelector('.camera-note')?.textContent, failure: tile?.dataset.failure };
          }, select);
          const stats = await page.evaluate(async () => {
            const out: unknown[] = [];
            for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
              if (pc.connectionState === 'closed') continue;
              const report = await pc.getStats();
              report.forEach((r: Record<string, unknown>) => {
                if (r.type === 'inbound-rtp' && r.kind === 'video') out.push({ state: pc.connectionState, ...Object.fromEntries(['packetsReceived', 'packetsLost', 'framesReceived', 'framesDecoded', 'framesDropped', 'keyFramesDecoded', 'pliCount', 'nackCount', 'freezeCount', 'totalFreezesDuration', 'jitterBufferDelay'].map((k) => [k, r[k]])) });
              });
            }
            return out;
          });
          console.error(`console-program: ${select} painted ${got.length} frames; inbound video ${JSON.stringify(stats)}`);
          throw new Error(`${String(err)}; ${got.length} frames; ${JSON.stringify(state)}`, { cause: err });
        }
      };
      await page.locator('#program-cameras').scrollIntoViewIfNeeded();
      const [main, bench] = [await framesOf(`${tile('main')} video`), await framesOf(`${tile('bench')} video`)];
      expect(main.length, 'frames shown on the room camera’s tile').toBeGreaterThan(3);
      expect(main.every((f) => f.counter > 0 && f.counter < 15_000), JSON.stringify(main.map((f) => f.counter))).toBe(true);
      expect(bench.length, 'frames shown on the bench camera’s tile').toBeGreaterThan(3);
      expect(bench.every((f) => f.counter > 15_000), JSON.stringify(bench.map((f) => f.counter))).toBe(true);
      // The witness camera is not sending: its tile says so. Each tile is named as the court calls its camera.
      await page.waitForFunction((sel) => (document.querySelector(`${sel} .camera-note`)?.textContent ?? '') === 'not sending', tile('witness'), { timeout: 15_000 });
      expect(await page.textContent(`${tile('witness')} .camera-name`)).toBe('Witness box');
      expect(await page.textContent(`${tile('bench')} .camera-name`)).toBe('Bench');
      // Chosen, the bench camera goes on the preview.
      await page.click(tile('bench'));
      expect(await page.getAttribute(tile('bench'), 'aria-pressed')).toBe('true');
      await page.waitForFunction(() => (document.getElementById('preview-camera')?.textContent ?? '').includes('Bench') && (document.getElementById('preview-via')?.textContent ?? '').includes('WebRTC') && (document.getElementById('preview') as HTMLVideoElement).readyState === 4, undefined, { timeout: 20_000 });
      await page.locator('#preview').scrollIntoViewIfNeeded();
      const preview = await framesOf('#preview');
      expect(preview.every((f) => f.counter > 15_000), JSON.stringify(preview.map((f) => f.counter))).toBe(true);
      await page.locator('#program-box').screenshot({ path: shotPath('console-multiview') });
      // A region drawn on the preview is drawn on the bench camera.
      // (Choosing the tile scrolled the page down to it.)
      await page.locator('#draw').scrollIntoViewIfNeeded();
      const box = (await page.locator('#draw').boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.6, { steps: 5 });
      await page.mouse.up();
      await page.click('#mask-region');
      const drawn = await waitFor(async () => {
        const entries = (await s.api<{ action: string; params: { drawnOn?: { source: string; region: { x: number; y: number; w: number; h: number } } } }[]>('GET', `/api/hearings/${hearingId}/audit`)).body.filter((e) => e.action === 'mask');
        return entries.length > 0 && entries.at(-1)!.params;
      }, 'the mask on the record', 10_000, 200);
      expect(drawn.drawnOn?.source).toBe('bench');
      expect(drawn.drawnOn?.region.x).toBeCloseTo(0.1, 1);
      expect(drawn.drawnOn?.region.w).toBeCloseTo(0.4, 1);
      // Leaving the hearing ends every session the console had (the preview's and each tile's).
      // (Once the room camera's preview, given up for the bench's, has been ended: its DELETE is not awaited.)
      await waitFor(() => s.cc.whep?.viewerCount === 3, 'three WHEP sessions: the preview and two tiles', 10_000, 100);
      await page.click('#back');
      await waitFor(() => s.cc.whep?.viewerCount === 0, 'the console’s WHEP sessions ended', 10_000, 100);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await Promise.all(cameras.map((c) => c.kill()));
    }
  }, 90_000);
});
