import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveHearing, type LiveHearing } from '../support/live-hearing.ts';
import { readCounter } from '../../server/media/synthetic.ts';
import type { TestEncoder } from '../support/encoder.ts';
import { decodeFeed, decodeFrames, type PublicFeed, regionStats, type DecodedEntry } from '../support/public-feed.ts';
import type { TestServer } from '../support/server.ts';
import { heardMs, soundMadeWithin } from '../support/timecode.ts';
import { elapse, mapOnCores, waitFor } from '../support/wait.ts';

const D = 8_000;
/** Counter estimates run early by up to this much (FFmpeg starts emitting after it spawns). */
const EARLY = 600;
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
  let encoder: TestEncoder;
  let feed: PublicFeed;
  let hearingId = '';
  let mask: { start: number; end: number } = { start: 0, end: 0 };
  let alreadyPublic: unknown = undefined;
  const checked: { counter: number; t: number; mean: number }[] = [];
  let slates = 0;
  let decoded: DecodedEntry[] = [];

  beforeAll(async () => {
    live = await startLiveHearing({ delaySeconds: D / 1000, begin: 'open', pollMs: 250, config: { media: { liveMaskSlots: 0 } } });
    await live.command('start');
    ({ s, encoder, feed, hearingId } = live);
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
    await elapse(D + 4_000);
    await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {});
    await feed.untilEnded(D + 20_000);
    decoded = await decodeFeed(feed);
    // Decoded on every core, gathered in the feed's order.
    const perEntry = await mapOnCores(feed.sorted(), async (e) => (await decodeFrames(Buffer.from(await (await fetch(e.uri)).arrayBuffer()))).map((pixels) => ({ counter: readCounter(pixels.subarray(0, 640 * 40)), mean: regionStats(pixels, BOX).mean })));
    for (const { counter, mean } of perEntry.flat()) {
      if (counter === 0) {
        slates++;
        continue;
      }
      const t = encoder.timeOf(counter);
      // Emitted inside the mask (so captured inside it too, captures come after emission), and
      // early enough that its capture cannot have slipped past the mask's end.
      if (t >= mask.start && t + EARLY + 200 <= mask.end) checked.push({ counter, t, mean });
    }
  }, 150_000);

  afterAll(() => live?.close());

  it('masks every frame captured in the last N seconds, or airs the card: never a readable frame', () => {
    expect(checked.length, `${slates} slate frames`).toBeGreaterThan(30);
    const readable = checked.filter((f) => f.mean >= 20).map((f) => f.counter);
    expect(readable).toEqual([]);
  });

  it('mutes every rung, the audio-only one included, for the same seconds', () => {
    expect(heardMs(decoded)).toBeGreaterThan(3_000);
    expect(soundMadeWithin(decoded, encoder.epoch, { name: 'the mute', start: mask.start, end: mask.end - EARLY - 200 })).toEqual([]);
  });

  it('says nothing of it had aired, since all of it was still inside the delay', () => {
    expect(alreadyPublic).toBeNull();
  });
});
