import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseRecord } from '../../server/delay/delay-line.ts';
import { readCounter } from '../../server/media/synthetic.ts';
import { TestEncoder } from '../support/encoder.ts';
import { decodeFrames, PublicFeed, regionStats } from '../support/public-feed.ts';
import { seedHearing, startTestServer, type TestServer, waitForEncoder } from '../support/server.ts';
import { elapse } from '../support/wait.ts';

const D = 6_000;
const EARLY = 600;
const BOX = { x: 0.3, y: 0.35, w: 0.35, h: 0.4 };

describe('live mask slots: a black box switched through zmq airs without a re-render', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let feed: PublicFeed;
  let hearingId = '';
  const marks: Record<string, number> = {};
  const records: ReleaseRecord[] = [];
  const frames: Record<string, { t: number; mean: number }[]> = { '360p': [], '180p': [] };

  beforeAll(async () => {
    s = await startTestServer({ media: { ladder: [{ name: '360p', height: 360, videoKbps: 600, audioKbps: 64 }, { name: '180p', height: 180, videoKbps: 250, audioKbps: 64 }, { name: 'audio', audioKbps: 64 }], segmentSeconds: 2, fps: 30, liveMaskSlots: 2 } });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    hearingId = seeded.hearingId;
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    s.cc.broadcasts.session(hearingId)?.on('released', (r) => records.push(r));
    feed = new PublicFeed(`${s.base}/hls/hearings/${hearingId}/360p/index.m3u8`).start(250);
    await waitForEncoder(s, hearingId);
    await elapse(3_000);
    marks.on = Date.now();
    const mask = await s.api<{ mask: { id: string } }>('POST', `/api/hearings/${hearingId}/masks`, { kind: 'black', region: BOX });
    expect(mask.status).toBe(201);
    await elapse(9_000);
    marks.off = Date.now();
    await s.api('POST', `/api/hearings/${hearingId}/masks/${mask.body.mask.id}/lift`, {});
    await elapse(D + 5_000);
    await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {});
    await feed.untilEnded(D + 20_000);
    for (const e of feed.sorted()) {
      for (const rung of ['360p', '180p']) {
        const body = Buffer.from(await (await fetch(e.uri.replace('/360p/', `/${rung}/`))).arrayBuffer());
        for (const f of await decodeFrames(body)) {
          const c = readCounter(f.subarray(0, 640 * 40));
          if (c > 0) frames[rung]!.push({ t: encoder.timeOf(c), mean: regionStats(f, BOX).mean });
        }
      }
    }
  }, 150_000);

  afterAll(async () => {
    feed?.stop();
    await encoder?.kill();
    await s?.close();
  });

  it('proves segments from the slot acks and airs them without re-rendering', () => {
    expect(records.filter((r) => r.outcome === 'aired' && r.live).length).toBeGreaterThanOrEqual(2);
  });

  it('masks every frame captured while the mask was on, on two rungs, and none well outside', () => {
    for (const rung of ['360p', '180p']) {
      const inside = frames[rung]!.filter((f) => f.t >= marks.on! && f.t + EARLY <= marks.off!);
      expect(inside.length, rung).toBeGreaterThan(150);
      for (const f of inside) expect(f.mean, `${rung} at ${new Date(f.t).toISOString()}`).toBeLessThan(20);
      const outside = frames[rung]!.filter((f) => f.t + EARLY < marks.on! - 2_500 || f.t > marks.off! + 2_500);
      expect(outside.length, rung).toBeGreaterThan(30);
      for (const f of outside) expect(f.mean, rung).toBeGreaterThan(40);
    }
  });

  it('leaves the public playlist valid', () => {
    expect(feed.errors).toEqual([]);
  });
});
