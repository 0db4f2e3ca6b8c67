import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originRouter } from '../../server/http/origin.ts';
import { PublicationGate } from '../../server/service/publicity/publication-gate.ts';
import type { TestEncoder } from '../support/encoder.ts';
import { startLiveHearing, type LiveHearing } from '../support/live-hearing.ts';
import { decodeCounters, decodeFeed, type PublicFeed } from '../support/public-feed.ts';
import { S3Peer } from '../support/s3.ts';
import type { TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

/**
 * The public store in an S3 bucket (s3rver): what viewers are served is in the bucket, with the
 * content types and cache lifetimes a CDN in front of it passes on; another origin that only
 * reads the bucket serves the same bytes; and a cut's window never reaches the bucket at all.
 */
describe('public store on S3', () => {
  let live: LiveHearing;
  let encoder: TestEncoder;
  const peer = new S3Peer();
  let s: TestServer;
  let feed: PublicFeed;
  let hearingId = '';
  /** Capture time up to which the public timeline was decided when the cut was answered: everything after it was dumped. */
  let releasedAtCut = 0;
  let cutAt = 0;
  let other: Server;
  let otherBase = '';
  const bucket = () => peer.store({ prefix: 'public' });

  beforeAll(async () => {
    await peer.start();
    live = await startLiveHearing({
      delaySeconds: 4,
      pollMs: 200,
      config: { stores: { state: 'memory', objects: 's3', publicS3: { ...peer.settings(), prefix: 'public' } }, media: { liveMaskSlots: 0 } },
    });
    ({ s, encoder, feed, hearingId } = live);
    await waitFor(async () => (await decodeFeed(feed, { hear: false })).some((e) => e.program), 'program media in public', 40_000, 500);
    await elapse(3_000);
    cutAt = Date.now();
    const cut = await s.api<{ releasedUntil: string }>('POST', `/api/hearings/${hearingId}/broadcast/cut`, { reason: 'a minor was named' });
    expect(cut.status).toBe(200);
    // Not what a poll saw right after the cut: a segment released just before it may still be on
    // its way into the bucket, and rightly so.
    releasedAtCut = Date.parse(cut.body.releasedUntil);
    await elapse(3_000);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {})).status).toBe(200);
    await feed.untilEnded(30_000);
    // A second origin that knows nothing but the bucket: what another node or a cache would be.
    const app = express();
    app.use('/hls', originRouter(bucket(), new PublicationGate({ hearing: (id) => s.cc.registry.hearing(id), isPublishable: (h) => s.cc.governance.isPublishable(h) })));
    other = app.listen(0, '127.0.0.1');
    await new Promise((r) => other.once('listening', r));
    otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}/hls`;
  }, 120_000);

  afterAll(async () => {
    other?.close();
    await live?.close();
    await peer.dispose();
  });

  it('holds what viewers were served, and another origin reading only the bucket serves the same bytes', async () => {
    const key = `hearings/${hearingId}/180p/index.m3u8`;
    const ours = await (await fetch(`${s.base}/hls/${key}`)).text();
    expect((await bucket().get(key))?.toString()).toBe(ours);
    expect(await (await fetch(`${otherBase}/${key}`)).text()).toBe(ours);
    const entries = feed.sorted();
    expect(entries.length).toBeGreaterThan(4);
    for (const e of entries) {
      const path = new URL(e.uri).pathname.replace(/^\/hls\//, '');
      const a = Buffer.from(await (await fetch(e.uri)).arrayBuffer());
      const b = Buffer.from(await (await fetch(`${otherBase}/${path}`)).arrayBuffer());
      expect(b.equals(a), path).toBe(true);
    }
  });

  it('stores each object with the type and cache lifetime a CDN passes on', async () => {
    const head = async (key: string) => {
      const res = await fetch(`${peer.endpoint}/${peer.bucket}/public/${key}`, { method: 'HEAD' });
      return { type: res.headers.get('content-type'), cache: res.headers.get('cache-control') };
    };
    expect(await head(`hearings/${hearingId}/180p/index.m3u8`)).toEqual({ type: 'application/vnd.apple.mpegurl', cache: 'public, max-age=1' });
    const seg = new URL(feed.sorted()[0]?.uri as string).pathname.replace(/^\/hls\//, '');
    expect(await head(seg)).toEqual({ type: 'video/mp2t', cache: 'public, max-age=31536000, immutable' });
    expect(await head(`hearings/${hearingId}/checkpoint.json`)).toEqual({ type: 'application/json', cache: 'public, max-age=1' });
  });

  it('never put the cut window in the bucket', async () => {
    const objects = (await bucket().list(`hearings/${hearingId}/180p/`)).filter((o) => o.key.endsWith('.ts'));
    // Said with any failure: what the feed had seen when the clerk cut, against what the bucket holds.
    const seen = `cut at ${cutAt}; released until ${releasedAtCut}; feed ${JSON.stringify(feed.sorted().map((e) => [e.seq, e.appearedAt]))}`;
    expect(objects.length, seen).toBeGreaterThan(4);
    const counters: number[] = [];
    for (const o of objects) counters.push(...(await decodeCounters((await bucket().get(o.key)) as Buffer)));
    // Picture had aired, and seconds of it were still in the window when the clerk cut (the test is not vacuous)...
    expect(counters.some((c) => c > 0 && encoder.timeOf(c) < releasedAtCut), seen).toBe(true);
    expect(cutAt - releasedAtCut, seen).toBeGreaterThan(2_000);
    // ...and none of it is in the bucket. A counter's time underestimates its capture, so a frame
    // it places after the decided instant was captured inside the dumped window.
    const dumped = counters.filter((c) => encoder.timeOf(c) > releasedAtCut);
    expect(dumped, seen).toEqual([]);
  });
});
