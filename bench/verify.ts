/**
 * What checking costs a viewer: <courtcast-player> in Chromium, loaded through a proxy that adds a
 * round trip to every request (a viewer far from the CDN), checks a live hearing against its
 * checkpoint and then the published replay against its seal and the transparency log. The player
 * reports each segment's check through User Timing (`courtcast:segment-check`: from the segment's
 * bytes arriving to hls.js having them). Per segment, against the same page's bare WebCrypto
 * SHA-256 of the same bytes (the baseline: hashing alone); at start-up, how long the first segment
 * waited, against one round trip.
 * Usage: npm run bench -- verify [seconds] [rtt-ms] [--smoke]   (smoke: 8 s per page, a 144p rung, D = 2 s)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { archiveRecords } from '../recorder/archive-record.ts';
import { launchChromium } from '../test/support/browser.ts';
import { TestEncoder } from '../test/support/encoder.ts';
import { seedHearing, startTestServer, waitForEncoder } from '../test/support/server.ts';
import { waitFor } from '../test/support/wait.ts';
import { numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';

const WATCH_MS = (SMOKE ? 8 : numberArg(0, 40)) * 1000;
const RTT_MS = numberArg(1, 50);
const D_SECONDS = SMOKE ? 2 : 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T0 = Date.now();
const mark = (phase: string) => process.stderr.write(`verify bench: ${phase} at ${Date.now() - T0} ms\n`);
const pct = (xs: readonly number[], p: number): number => (xs.length === 0 ? Number.NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))]!);
const ms = (x: number) => (Number.isNaN(x) ? 'n/a' : x.toFixed(2));

const ladder = SMOKE ? SMOKE_LADDER : [{ name: '720p', height: 720, videoKbps: 2000, audioKbps: 96 }, { name: '360p', height: 360, videoKbps: 600, audioKbps: 64 }, { name: 'audio', audioKbps: 64 }];
const s = await startTestServer({ media: { ladder, segmentSeconds: 2, fps: 30, liveMaskSlots: 0 } });
const { hearingId, streamKey } = await seedHearing(s, { delaySeconds: D_SECONDS });
const encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`, 'flv', Date.now()).start();
await s.api('POST', `/api/hearings/${hearingId}/broadcast/open`, {});
await waitForEncoder(s, hearingId);
const started = await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {});
if (started.status !== 200) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
mark('on air');

// Every request the page makes, the page itself included, waits RTT_MS before it is passed on.
const page = `<!doctype html><html lang="en"><body><courtcast-player hearing="${hearingId}" style="max-width:640px"></courtcast-player><script type="module" src="/player/courtcast-player.js"></script></body></html>`;
const proxy = createServer((req, res) => {
  void (async () => {
    await sleep(RTT_MS);
    if (req.url === '/page') return void res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    const upstream = await fetch(`${s.base}${req.url ?? '/'}`, { headers: { 'accept-language': 'en' } });
    const headers: Record<string, string> = {};
    for (const h of ['content-type', 'access-control-allow-origin', 'cache-control']) {
      const v = upstream.headers.get(h);
      if (v) headers[h] = v;
    }
    res.writeHead(upstream.status, headers).end(Buffer.from(await upstream.arrayBuffer()));
  })().catch(() => {
    // The server closing under a request at the end of the run: whatever was sent stands.
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
});
await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
const browser = await launchChromium();
await sleep(D_SECONDS * 1000 + 2_000);

interface Checked {
  /** Each segment's check, in the order hls.js loaded them (ms). */
  readonly checks: number[];
  readonly refused: number;
  /** Bare WebCrypto SHA-256 of the same segments' bytes in the same page (ms). */
  readonly digests: number[];
  readonly mark: string;
}

/** Plays the hearing in the player for WATCH_MS and reads what checking each segment cost. */
async function watch(what: string): Promise<Checked> {
  const p: Page = await browser.newPage();
  await p.goto(`${base}/page`);
  await p.waitForFunction(() => ((document.querySelector('courtcast-player')?.shadowRoot?.querySelector('video') as HTMLVideoElement | null)?.currentTime ?? 0) > 0, undefined, { timeout: 60_000, polling: 50 });
  await sleep(WATCH_MS);
  const got = await p.evaluate(async () => {
    const measures = performance.getEntriesByName('courtcast:segment-check') as PerformanceMeasure[];
    const segments = measures.map((m) => (m.detail as { url: string }).url).filter((u) => /\.ts$/.test(u));
    const digests: number[] = [];
    for (const url of segments) {
      const bytes = await (await fetch(url)).arrayBuffer();
      const t = performance.now();
      await crypto.subtle.digest('SHA-256', bytes);
      digests.push(performance.now() - t);
    }
    return {
      checks: measures.filter((m) => /\.ts$/.test((m.detail as { url: string }).url)).map((m) => m.duration),
      refused: measures.filter((m) => !(m.detail as { ok: boolean }).ok).length,
      digests,
      mark: document.querySelector('courtcast-player')!.shadowRoot!.querySelector('.seal')!.textContent ?? '',
    };
  });
  await p.close();
  mark(`${what}: ${got.checks.length} segments checked, mark "${got.mark}"`);
  return got;
}

const live = await watch('live');
await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {});
await waitFor(async () => (await archiveRecords(s.cc.state).get(hearingId))?.status === 'complete', 'the archive to be finalized', 120_000, 250);
await encoder.kill();
await s.cc.recorder.uploader.idle(60_000);
const published = await s.api('POST', `/api/hearings/${hearingId}/replay`, { decision: 'published' });
if (published.status !== 200) throw new Error(`publish: ${published.status}`);
const replay = await watch('replay');
await browser.close();
proxy.closeAllConnections();
proxy.close();
await s.close();
mark('closed');

const row = (name: string, c: Checked) => {
  // The first segment's check includes waiting for the key and the checkpoint or seal: start-up, apart.
  const steady = c.checks.slice(1);
  return `| ${name} | ${c.checks.length} | ${ms(pct(steady, 0.5))} | ${ms(pct(steady, 0.95))} | ${ms(steady.length ? Math.max(...steady) : Number.NaN)} | ${ms(pct(c.digests, 0.5))} | ${(pct(steady, 0.5) / pct(c.digests, 0.5)).toFixed(2)} | ${ms(c.checks[0] ?? Number.NaN)} |`;
};
process.stdout.write(
  [
    `Checking each segment in <courtcast-player> (Chromium), ${WATCH_MS / 1000} s watched per page, ${RTT_MS} ms added to every request (ms; a segment's check runs from its bytes arriving to hls.js having them):`,
    '| page | segments | check p50 | check p95 | check max | bare SHA-256 p50 (baseline) | ratio p50 | first segment waited |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    row('live, against the checkpoint', live),
    row('replay, against the seal and the log', replay),
    '',
    `Start-up: the first segment waited ${ms(live.checks[0] ?? Number.NaN)} ms (live) and ${ms(replay.checks[0] ?? Number.NaN)} ms (replay) for the key and the checkpoint or seal, against one round trip of ${RTT_MS} ms; marks "${live.mark}", "${replay.mark}"; segments refused ${live.refused + replay.refused}.`,
    '',
  ].join('\n'),
);
const measured = live.checks.length > 1 && replay.checks.length > 1 && live.refused + replay.refused === 0;
if (!measured) process.stderr.write('verify bench: a page checked too few segments, or refused one\n');
// Chromium's children can hold the process open past its report (bench/player.ts): it ends itself.
process.exit(measured ? 0 : 1);
