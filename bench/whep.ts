/**
 * The clerk's preview, glass to glass: how long after the courtroom encoder emitted a frame the
 * console shows it, over WebRTC (WHEP) and, in the same run on the same stream, over the HLS
 * preview it replaces. Read from the frame counter on every frame the console's video shows.
 * Usage: npm run bench -- whep [seconds] [--smoke]   (smoke: 4 s of each)
 */
import { launchChromium, signIn } from '../test/support/browser.ts';
import { shownFrames, type ShownFrame } from '../test/support/counter-probe.ts';
import { FRAME_MS, TestEncoder } from '../test/support/encoder.ts';
import { ADMIN, seedHearing, startTestServer, waitForEncoder } from '../test/support/server.ts';
import { numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';

const SECONDS = SMOKE ? 4 : numberArg(0, 30);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

const s = await startTestServer({ webrtc: { hostAddresses: ['127.0.0.1'] }, ...(SMOKE ? { media: { ladder: SMOKE_LADDER, segmentSeconds: 1, fps: 30 } } : {}) });
const { hearingId, streamKey } = await seedHearing(s, { delaySeconds: 10 });
await s.api('POST', `/api/hearings/${hearingId}/broadcast/open`, {});
// The encoder's counter dates each frame by when it was emitted: an estimate that is early by
// however long FFmpeg took to start, so the figures below overstate the latency, never understate it.
const encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`, 'flv', Date.now()).start();
await waitForEncoder(s, hearingId);
const started = await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {});
if (started.status !== 200) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);

const browser = await launchChromium(['--allow-loopback-in-peer-connection']);
const page = await browser.newPage({ locale: 'en-GB' });
await page.goto(`${s.base}/console/`);
await signIn(page, ADMIN.username, ADMIN.password);
await page.click(`button[data-hearing="${hearingId}"]`);

/**
 * When the ingest received a frame: its stream time (one frame a counter, from the encoder's
 * first frame at 0) plus the smallest arrival-minus-stream-time seen, sampled while measuring.
 * Emission is earlier than arrival by the encoder's own latency, so a latency from here understates
 * glass to glass as the spawn-based one overstates it: the truth lies between the two.
 */
let arrivalOffset = Number.POSITIVE_INFINITY;
const room = (await s.cc.registry.hearing(hearingId)).courtroomId;
const sampler = setInterval(() => {
  const clock = s.cc.ingest.clockOf(room);
  if (clock?.latest != null && clock.latestAt != null) arrivalOffset = Math.min(arrivalOffset, clock.latestAt - clock.latest);
}, 5);
const arrivalOf = (counter: number) => (counter - encoder.firstFrame) * FRAME_MS + arrivalOffset;

/** Latencies (ms) of the frames the preview shows, once it shows them through `via`: from emission (estimated early) and from arrival. */
async function measure(via: 'webrtc' | 'hls'): Promise<{ emitted: number[]; arrived: number[] }> {
  await page.waitForFunction((v) => (document.getElementById('preview-via')?.textContent ?? '').includes(v === 'webrtc' ? 'WebRTC' : 'HLS'), via, { timeout: 30_000 });
  await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).readyState >= 2, undefined, { timeout: 30_000 });
  await sleep(1_000);
  const frames: ShownFrame[] = (await shownFrames(page, '#preview', SECONDS * 1000)).filter((f) => f.counter > 0);
  return { emitted: frames.map((f) => f.at - encoder.timeOf(f.counter)), arrived: frames.map((f) => f.at - arrivalOf(f.counter)) };
}

const webrtc = await measure('webrtc');
// The HLS preview, as a console without WebRTC gets it: WHEP refused from here on.
await page.route('**/whep/**', (route) => route.fulfill({ status: 503, body: '' }));
await page.evaluate(() => document.getElementById('back')?.click());
await page.click(`button[data-hearing="${hearingId}"]`);
const hls = await measure('hls');

clearInterval(sampler);
await browser.close();
await encoder.kill();
await s.close();

const ms = (x: number) => String(Math.round(x));
const row = (name: string, m: { emitted: number[]; arrived: number[] }) =>
  `| ${name} | ${m.emitted.length} | ${ms(pct(m.arrived, 50))} – ${ms(pct(m.emitted, 50))} | ${ms(pct(m.arrived, 95))} – ${ms(pct(m.emitted, 95))} | ${ms(Math.max(...m.emitted))} |`;
process.stdout.write(
  [
    `Clerk's preview, glass to glass (ms from a frame leaving the courtroom encoder to the console showing it; ${SECONDS} s each).`,
    'Each figure is a range: from its arrival at our ingest (a lower bound) to its estimated emission (an upper bound).',
    '',
    '| preview | frames | p50 | p95 | max (upper) |',
    '| --- | --- | --- | --- | --- |',
    row('WebRTC (WHEP)', webrtc),
    row('HLS (baseline)', hls),
    '',
    `WHEP p95 / HLS p95 (upper bounds): ${(pct(webrtc.emitted, 95) / pct(hls.emitted, 95)).toFixed(2)}`,
    '',
  ].join('\n'),
);
process.exit(0);
