import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEncoder, FRAME_MS } from '../support/encoder.ts';
import { decodeFeed, delayViolations, PublicFeed, strictParse, type DecodedEntry } from '../support/public-feed.ts';
import { seedHearing, startTestServer, type TestServer, TWO_RUNG_LADDER, waitForEncoder } from '../support/server.ts';
import { elapse } from '../support/wait.ts';

const D = 4_000;
/**
 * How far a counter's time estimate may sit before the frame's true capture: FFmpeg starts
 * emitting a little after it is spawned, so estimates run early by up to this much.
 */
const ESTIMATE_EARLY_MS = 600;

/** A clerk command, timed from just before the request to just after the answer. */
async function command(s: TestServer, hearingId: string, cmd: string): Promise<{ before: number; after: number }> {
  const before = Date.now();
  const res = await s.api('POST', `/api/hearings/${hearingId}/broadcast/${cmd}`, { reason: 'test' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { before, after: Date.now() };
}

describe('live path over RTMP: delay, start, pause, resume, end', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let feed: PublicFeed;
  let decoded: DecodedEntry[];
  const times: Record<string, { before: number; after: number }> = {};
  let hearingId = '';

  beforeAll(async () => {
    s = await startTestServer({ media: { ladder: TWO_RUNG_LADDER } });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    hearingId = seeded.hearingId;
    await command(s, hearingId, 'open');
    feed = new PublicFeed(`${s.base}/hls/hearings/${hearingId}/180p/index.m3u8`).start();
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    // Let the encoder connect and capture a few seconds that must never air (before start).
    await waitForEncoder(s, hearingId);
    await elapse(3_000);
    times.start = await command(s, hearingId, 'start');
    await elapse(9_000);
    times.pause = await command(s, hearingId, 'pause');
    await elapse(7_000);
    times.resume = await command(s, hearingId, 'resume');
    await elapse(9_000);
    times.end = await command(s, hearingId, 'end');
    await feed.untilEnded(D + 15_000);
    decoded = await decodeFeed(feed);
  }, 120_000);

  afterAll(async () => {
    feed?.stop();
    await encoder?.kill();
    await s?.close();
  });

  it('serves strictly valid master and media playlists', async () => {
    expect(feed.errors).toEqual([]);
    const master = await fetch(`${s.base}/hls/hearings/${hearingId}/master.m3u8`);
    expect(master.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const parsed = strictParse(await master.text());
    expect(parsed.isMasterPlaylist).toBe(true);
    for (const rung of TWO_RUNG_LADDER.map((r) => r.name)) {
      const res = await fetch(`${s.base}/hls/hearings/${hearingId}/${rung}/index.m3u8`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('#EXT-X-ENDLIST');
      expect(text).toContain('#EXT-X-PROGRAM-DATE-TIME');
      strictParse(text);
    }
  });

  it('never makes a frame public before its capture + D', () => {
    expect(decoded.filter((e) => e.program).length).toBeGreaterThan(4);
    expect(delayViolations(decoded, (c) => encoder.timeOf(c), D)).toEqual([]);
  });

  it('airs only frames captured inside the on-air intervals', () => {
    const onAir = [
      [times.start!.before, times.pause!.after],
      [times.resume!.before, times.end!.after],
    ] as const;
    const aired = decoded.filter((e) => e.program).flatMap((e) => e.counters.filter((c) => c > 0));
    for (const c of aired) {
      const t = encoder.timeOf(c);
      const inside = onAir.some(([a, b]) => t >= a - ESTIMATE_EARLY_MS && t <= b);
      expect(inside, `frame ${c} captured at ${new Date(t).toISOString()} aired outside the on-air intervals`).toBe(true);
    }
    // And the middle of each interval really aired (a one-segment rounding at each edge is allowed).
    for (const [a, b] of onAir) {
      const middle = aired.filter((c) => encoder.timeOf(c) > a + 4_500 && encoder.timeOf(c) < b - 2_500);
      const expected = (b - a - 7_000) / FRAME_MS;
      expect(middle.length, `frames aired within ${new Date(a).toISOString()}`).toBeGreaterThanOrEqual(Math.floor(expected * 0.9));
    }
  });

  it('shows slates where the program says: before start, while paused, and the end card', () => {
    const kinds = decoded.map((e) => (e.program ? 'P' : 'S')).join('');
    // Starting slates, program, paused slates, program, end card.
    expect(kinds).toMatch(/^S+P+S+P+S+$/);
    const last = decoded.at(-1);
    expect(last?.program).toBe(false);
    // Every switch between slate and program is marked as a discontinuity.
    for (let i = 1; i < decoded.length; i++) {
      if (decoded[i]!.program !== decoded[i - 1]!.program) expect(decoded[i]!.discontinuity, `entry ${decoded[i]!.seq}`).toBe(true);
    }
  });

  it('airs every frame of a program segment in order with no gaps inside it', () => {
    for (const e of decoded.filter((x) => x.program)) {
      // A segment an edge falls in carries slate frames (no counter) before or after its picture.
      for (let i = 1; i < e.counters.length; i++) if (e.counters[i]! > 0 && e.counters[i - 1]! > 0) expect(e.counters[i]! - e.counters[i - 1]!).toBe(1);
    }
  });
});
