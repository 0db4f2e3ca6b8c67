import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveHearing, type LiveHearing } from '../support/live-hearing.ts';
import { readCounter } from '../../server/media/synthetic.ts';
import { videoPts } from '../../server/media/ts-continuity.ts';
import { decodeFeed, decodeFrames, type PublicFeed, regionStats, type DecodedEntry } from '../support/public-feed.ts';
import type { TestServer } from '../support/server.ts';
import { AAC_FRAME_MS, codeOffset, forbiddenSound, heardMs } from '../support/timecode.ts';
import { elapse, mapOnCores, waitFor } from '../support/wait.ts';

const D = 8_000;
/**
 * The hearing ends this soon after the mask, while all of it is still inside the delay: what it
 * covers then airs through the end's drain, which must mask it as the release clock would.
 */
const END_AFTER_MASK_MS = 2_000;
const BOX = { x: 0.3, y: 0.3, w: 0.3, h: 0.3 };

/**
 * The server stalls (its event loop blocked for 3 s, as a burst of work or a stalled disk would
 * do), then a clerk masks "the last 4 s". Dated by when playlists changed, the timeline ran
 * seconds ahead of capture after such a stall and the mask covered no frame; on the ingest clock
 * every frame captured in those seconds is masked.
 */
describe('a retroactive mask after a stall of the server', () => {
  let live: LiveHearing;
  let s: TestServer;
  let feed: PublicFeed;
  let hearingId = '';
  let mask: { start: number; end: number } = { start: 0, end: 0 };
  /** The mask on the encoder's timestamps: the first frames captured at its start and at its end (ingest clock). */
  let maskTs = { start: 0, end: 0 };
  let alreadyPublic: unknown = undefined;
  const checked: { counter: number; ts: number; mean: number }[] = [];
  let slates = 0;
  let decoded: DecodedEntry[] = [];

  beforeAll(async () => {
    live = await startLiveHearing({ delaySeconds: D / 1000, begin: 'open', pollMs: 250, config: { media: { liveMaskSlots: 0 } } });
    await live.command('start');
    ({ s, feed, hearingId } = live);
    await waitFor(async () => {
      await feed.poll();
      return (await decodeFeed(feed, { hear: false })).some((e) => e.program);
    }, 'program media in public', 40_000, 500);

    // The server and this test share a process: blocking it blocks ingest, the transcoder's
    // watchers and the delay line alike, while the encoder keeps sending into the socket.
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      // stalled
    }
    await elapse(1_500);
    const now = Date.now();
    const res = await s.api<{ mask: { start: number; end: number }; alreadyPublic: unknown }>('POST', `/api/hearings/${hearingId}/masks`, {
      kind: 'black',
      region: BOX,
      start: new Date(now - 4_000).toISOString(),
      end: new Date(now).toISOString(),
      reason: 'witness named a child',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    mask = res.body.mask;
    alreadyPublic = res.body.alreadyPublic;
    // The same seconds muted: the sound must follow the picture through the stall.
    const mute = await s.api('POST', `/api/hearings/${hearingId}/masks`, { kind: 'mute', start: new Date(mask.start).toISOString(), end: new Date(mask.end).toISOString(), reason: 'witness named a child' });
    expect(mute.status, JSON.stringify(mute.body)).toBe(201);
    const clock = () => s.cc.ingest.clockOf(live.courtroomId)!;
    await waitFor(() => clock().firstAtOrAfter(mask.end) !== null, 'media captured after the mask', 5_000, 20);
    maskTs = { start: clock().firstAtOrAfter(mask.start)!, end: clock().firstAtOrAfter(mask.end)! };
    await elapse(END_AFTER_MASK_MS);
    await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {});
    await feed.untilEnded(D + 20_000);
    decoded = await decodeFeed(feed);
    // Decoded on every core, gathered in the feed's order. The public segments keep the encoder's
    // timestamps, so each frame's capture is read off the ingest clock as the server read it.
    const perEntry = await mapOnCores(feed.sorted(), async (e) => {
      const body = Buffer.from(await (await fetch(e.uri)).arrayBuffer());
      const pts = videoPts(body).sort((a, b) => a - b);
      return (await decodeFrames(body)).map((pixels, k) => ({ counter: readCounter(pixels.subarray(0, 640 * 40)), ts: (pts[k] ?? Number.NaN) * 1000, mean: regionStats(pixels, BOX).mean }));
    });
    for (const f of perEntry.flat()) {
      if (f.counter === 0) slates++;
      else if (f.ts >= maskTs.start && f.ts < maskTs.end) checked.push(f);
    }
  }, 150_000);

  afterAll(() => live?.close());

  it('masks every frame captured in the last N seconds, or airs the card: never a readable frame', () => {
    expect(maskTs.end - maskTs.start).toBeGreaterThan(3_500);
    expect(checked.length, `${slates} slate frames`).toBeGreaterThan(30);
    const readable = checked.filter((f) => f.mean >= 20).map((f) => `frame ${f.counter} at ${f.ts.toFixed(0)} ms (mask ${maskTs.start}–${maskTs.end})`);
    expect(readable).toEqual([]);
  });

  it('mutes every rung, the audio-only one included, for the same seconds', () => {
    expect(heardMs(decoded)).toBeGreaterThan(3_000);
    const heard = decoded.flatMap((e) => e.heard);
    expect(codeOffset(heard).strayMs).toBeLessThan(15);
    expect(forbiddenSound(heard, [{ name: 'the mute', ...maskTs }], codeOffset(heard).offsetMs, AAC_FRAME_MS)).toEqual([]);
  });

  it('says nothing of it had aired, since all of it was still inside the delay', () => {
    expect(alreadyPublic).toBeNull();
  });
});
