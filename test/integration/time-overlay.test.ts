import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overlayText, timeOverlayFilter, zoneAt, type OverlayStyle } from '../../server/media/time-overlay.ts';
import { startLiveHearing, type LiveHearing } from '../support/live-hearing.ts';
import { decodeFeed, decodeFrames, type PublicFeed } from '../support/public-feed.ts';
import type { TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const STYLE: OverlayStyle = { position: 'bottom-right', size: 0.08 };
const ZONE = 'Asia/Shanghai';
const FPS = 30;

/** The overlay as it must look at `localSecond` (seconds of the court's wall clock), on black, as grey 640x360. */
async function expectedOverlay(dir: string, localSecond: number, label: string): Promise<Uint8Array> {
  const file = path.join(dir, `expected-${localSecond}.txt`);
  // At PTS 0 the text shows exactly the offset: the second we expect.
  await writeFile(file, overlayText(localSecond, label));
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=black:s=640x360:r=30', '-vf', `${timeOverlayFilter(file, STYLE)},format=gray`, '-frames:v', '1', '-f', 'rawvideo', '-'],
    { encoding: 'buffer', maxBuffer: 1 << 24 },
  );
  return new Uint8Array(stdout);
}

/** Pixel offsets of the right end of the overlay's box (the seconds and the zone) in a grey 640x360 frame. */
const BOX: readonly number[] = (() => {
  const fontPx = 360 * STYLE.size;
  const bottom = Math.floor(360 - 360 * 0.03) - 1;
  const out: number[] = [];
  for (let y = Math.ceil(bottom - fontPx * 0.7); y <= bottom; y++) for (let x = 470; x < 625; x++) out.push(y * 640 + x);
  return out;
})();

/** Mean absolute difference over the box. */
function boxDiff(a: Uint8Array, b: Uint8Array): number {
  return BOX.reduce((sum, i) => sum + Math.abs((a[i] ?? 0) - (b[i] ?? 0)), 0) / BOX.length;
}

/**
 * How much closer a frame is to overlay `a` than to overlay `b`, judged only where the two differ
 * (the glyphs that change from one second to the next): the frame's distance to `a` over its
 * distance to `b` there. Noise the encoder adds everywhere (more of it on a loaded machine, whose
 * rate control spends fewer bits) weighs on both alike and cannot tip it.
 */
function nearerTo(frame: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  let toA = 0;
  let toB = 0;
  for (const i of BOX) {
    if (Math.abs((a[i] ?? 0) - (b[i] ?? 0)) < 64) continue;
    toA += Math.abs((frame[i] ?? 0) - (a[i] ?? 0));
    toB += Math.abs((frame[i] ?? 0) - (b[i] ?? 0));
  }
  return toA / Math.max(1, toB);
}

/** The share of near-black pixels where the overlay's box sits. */
function darkShare(frame: Uint8Array): number {
  return BOX.filter((i) => (frame[i] ?? 255) < 40).length / BOX.length;
}

/**
 * The court's time on the public picture comes from the capture clock: each decoded public frame
 * shows the second in which that frame was captured (the playlist's program date-time of its
 * segment, plus its place in the segment), in the court's zone, not the second it was encoded.
 */
describe('time overlay', () => {
  let live: LiveHearing;
  let s: TestServer;
  let feed: PublicFeed;
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cc-overlay-'));
    live = await startLiveHearing({
      delaySeconds: 4,
      timezone: ZONE,
      pollMs: 200,
      // The overlay's glyphs are compared pixel by pixel with a reference drawn at 360p.
      encoderSize: { width: 640, height: 360 },
      config: { media: { ladder: [{ name: '360p', height: 360, videoKbps: 600, audioKbps: 64 }, { name: 'audio', audioKbps: 64 }], fps: FPS, liveMaskSlots: 0, timeOverlay: { enabled: true, ...STYLE } } },
    });
    ({ s, feed } = live);
    await waitFor(async () => (await decodeFeed(feed, { hear: false })).filter((e) => e.program).length >= 3, 'three program segments in public', 60_000, 1000);
  }, 90_000);

  afterAll(async () => {
    await live?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows each frame’s capture second in the court’s zone', async () => {
    const program = (await decodeFeed(feed, { hear: false })).filter((e) => e.program && e.programDateTime !== null).slice(-3);
    let judged = 0;
    for (const entry of program) {
      const frames = await decodeFrames(Buffer.from(await (await fetch(entry.uri)).arrayBuffer()));
      // Frames well inside a second (300-700 ms past it), so a clock error of a few tens of
      // milliseconds cannot tip the answer; a few per segment is plenty.
      const picked = frames.map((f, k) => ({ f, at: (entry.programDateTime as number) + (k * 1000) / FPS })).filter(({ at }) => at % 1000 >= 300 && at % 1000 <= 700).filter((_, i) => i % 10 === 0);
      for (const { f, at } of picked) {
        const zone = zoneAt(ZONE, at);
        const second = Math.floor((at + zone.offsetMs) / 1000);
        const [before, right, after] = await Promise.all([second - 1, second, second + 1].map((c) => expectedOverlay(dir, c, zone.label)));
        const diffs = [before, right, after].map((e) => boxDiff(f, e as Uint8Array).toFixed(1)).join(' / ');
        // Nearer the right second than either neighbour, where they differ from it.
        const ratios = [nearerTo(f, right as Uint8Array, before as Uint8Array), nearerTo(f, right as Uint8Array, after as Uint8Array)];
        expect(Math.max(...ratios), `frame captured at ${new Date(at).toISOString()}: box ${diffs}; against the neighbours ${ratios.map((r) => r.toFixed(2)).join(' / ')}`).toBeLessThan(0.6);
        judged++;
      }
    }
    expect(judged).toBeGreaterThanOrEqual(6);
  });

  it('leaves the master untouched: the box is on the public picture only', async () => {
    const id = (/hearings\/([^/]+)\//.exec(feed.playlistUrl) as RegExpExecArray)[1] as string;
    const runs = (await readdir(path.join(s.cc.dirs.master, id))).filter((r) => /^m\d+$/.test(r));
    const runDir = path.join(s.cc.dirs.master, id, runs[0] as string);
    const segment = (await readdir(runDir)).filter((f) => f.endsWith('.ts')).sort()[1] as string;
    const [master] = await decodeFrames(await readFile(path.join(runDir, segment)));
    const publicEntry = (await decodeFeed(feed, { hear: false })).filter((e) => e.program).at(-1);
    const [aired] = await decodeFrames(Buffer.from(await (await fetch(publicEntry?.uri as string)).arrayBuffer()));
    // The aired box is black behind white digits; the master has the courtroom picture there.
    expect(darkShare(aired as Uint8Array)).toBeGreaterThan(0.5);
    expect(darkShare(master as Uint8Array)).toBeLessThan(0.2);
  });
});
