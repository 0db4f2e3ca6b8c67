/**
 * Captions against their pictures: how far from its frames a cue shows in hls.js in Chromium. A
 * feed captions the test encoder's own frames (each cue over a known run of frame counters, dated
 * by the ingest clock as those frames were); a page reads every frame it paints and the cues
 * showing with it. A cue's error at its start is when it first showed minus when its first frame
 * was painted, at its end when it stopped showing minus when the frame after its last was painted.
 * <courtcast-player> against a bare hls.js page on the same hearing's same subtitle rendition in
 * the same run (the baseline: hls.js's own placement of our WebVTT, without the player around it).
 * Usage: npm run bench -- captions [seconds] [--smoke]   (smoke: 8 s per page, a 144p rung, D = 2 s)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../test/support/browser.ts';
import { shownFrames } from '../test/support/counter-probe.ts';
import { TestEncoder } from '../test/support/encoder.ts';
import { alignCues, sendFrameCues } from '../test/support/frame-cues.ts';
import { seedHearing, startTestServer, waitForEncoder } from '../test/support/server.ts';
import { numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';

const WATCH_MS = (SMOKE ? 8 : numberArg(0, 45)) * 1000;
const D_SECONDS = SMOKE ? 2 : 4;
/** The bound on a cue's p95 error (issue 30). */
const TARGET_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T0 = Date.now();
const mark = (phase: string) => process.stderr.write(`captions bench: ${phase} at ${Date.now() - T0} ms\n`);
const pct = (xs: readonly number[], p: number): number | null => (xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))]!);
const fmt = (x: number | null): string => (x === null ? 'n/a' : String(Math.round(x)));

const ladder = SMOKE ? SMOKE_LADDER : [{ name: '360p', height: 360, videoKbps: 600, audioKbps: 64 }, { name: 'audio', audioKbps: 64 }];
const s = await startTestServer({ media: { ladder, segmentSeconds: 2, fps: 30, liveMaskSlots: 0 } });
const seeded = await seedHearing(s, { delaySeconds: D_SECONDS, captions: { languages: ['en'] } });
const { hearingId } = seeded;
await s.api('POST', `/api/hearings/${hearingId}/broadcast/open`, {});
const encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
await waitForEncoder(s, hearingId);
const started = await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {});
if (started.status !== 200) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
const feed = sendFrameCues(s, hearingId, seeded.courtroomId, encoder);
mark('on air, captioned');

const pages: Record<string, string> = {
  '/player': `<!doctype html><html lang="en"><body><courtcast-player hearing="${hearingId}" style="max-width:640px"></courtcast-player><script type="module" src="${s.base}/player/courtcast-player.js"></script></body></html>`,
  // hls.js picks no subtitle track by itself: it is chosen once hls.js has made its own choice.
  '/bare': `<!doctype html><html lang="en"><body><video muted playsinline style="width:640px"></video><script src="${s.base}/vendor/hls.min.js"></script><script>
const h = new Hls({ liveSyncDurationCount: 3, subtitleDisplay: true }); h.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, () => queueMicrotask(() => { h.subtitleTrack = 0; }));
h.loadSource('${s.base}/hls/hearings/${hearingId}/master.m3u8'); const v = document.querySelector('video'); h.attachMedia(v); v.play();</script></body></html>`,
};
const site = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(pages[req.url ?? ''] ?? '');
});
await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
const siteBase = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
const browser = await launchChromium();
await sleep(D_SECONDS * 1000 + 2_000);

/** Watches one page for WATCH_MS once its picture moves, and lines each cue it painted in full up with its frames. */
const watch = async (path: '/player' | '/bare') => {
  const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
  // The player's captions choice, as a viewer who chose English before would have it.
  await context.addInitScript(() => localStorage.setItem('courtcast.captions', 'en'));
  const page = await context.newPage();
  await page.goto(`${siteBase}${path}`);
  const inPlayer = path === '/player';
  await page.waitForFunction((shadow) => {
    const v = (shadow ? document.querySelector('courtcast-player')?.shadowRoot?.querySelector('video') : document.querySelector('video')) as HTMLVideoElement | null;
    return !!v && v.readyState >= 2 && v.currentTime > 0;
  }, inPlayer, { timeout: 30_000, polling: 100 });
  const frames = await shownFrames(page, 'video', WATCH_MS, { ...(inPlayer ? { shadowHost: 'courtcast-player' } : {}), captions: true });
  await context.close();
  const { aligned, unseen } = alignCues(frames, feed.cues);
  const edges = aligned.flatMap((a) => [a.onMs, a.offMs]);
  mark(`${path} watched: ${frames.length} frames, ${aligned.length} cues, ${unseen.length} unseen`);
  return { cues: aligned.length, unseen: unseen.length, on: aligned.map((a) => a.onMs), off: aligned.map((a) => a.offMs), abs: edges.map(Math.abs) };
};
/**
 * A page watched again, up to twice more, while it painted no whole cue: on a starved machine
 * (ci93: four smokes side by side, one a compositor) the player painted 18 frames in 8 s, which
 * says nothing of where its cues fall. Each watch is reported, so a retry is seen.
 */
const watchUntilJudged = async (path: '/player' | '/bare') => {
  let r = await watch(path);
  for (let again = 0; again < 2 && r.cues === 0; again++) r = await watch(path);
  return r;
};
const ours = await watchUntilJudged('/player');
const bare = await watchUntilJudged('/bare');
feed.stop();
await browser.close();
site.close();
await encoder.kill();
await s.close();
mark('closed');

const row = (name: string, r: typeof ours) => `| ${name} | ${r.cues} | ${r.unseen} | ${fmt(pct(r.on, 0.5))} | ${fmt(pct(r.on.map(Math.abs), 0.95))} | ${fmt(pct(r.off, 0.5))} | ${fmt(pct(r.off.map(Math.abs), 0.95))} | ${fmt(pct(r.abs, 0.95))} | ${fmt(r.abs.length ? Math.max(...r.abs) : null)} |`;
const p95 = pct(ours.abs, 0.95);
const base95 = pct(bare.abs, 0.95);
process.stdout.write(
  [
    `A cue's display against its frames' display, ${WATCH_MS / 1000} s watched per page, a cue a second over 24 frames (ms; a signed p50 is negative when the cue showed early; p95 and max are of the distance either way; a frame is 33 ms):`,
    '| page | cues judged | never shown | start p50 | start p95 | end p50 | end p95 | both edges p95 | max |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    row('<courtcast-player> (hls.js)', ours),
    row('bare hls.js, same rendition (baseline)', bare),
    '',
    `Courtcast p95 ${fmt(p95)} ms against the ${TARGET_MS} ms bound (${p95 === null ? 'not measured' : p95 <= TARGET_MS ? 'within' : 'OVER'}); ratio to the baseline ${p95 !== null && base95 ? (p95 / base95).toFixed(2) : 'n/a'}.`,
    '',
  ].join('\n'),
);
// A run that judged no cue on either page measured nothing: it fails, smoke or not.
if (ours.cues === 0 || bare.cues === 0) process.stderr.write('captions bench: a page painted no whole cue to judge\n');
// Chromium's children can hold the process open past its report (bench/player.ts): it ends itself.
process.exit(ours.cues === 0 || bare.cues === 0 ? 1 : 0);
