import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveRecords } from '../../recorder/archive-record.ts';
import { TestEncoder } from '../support/encoder.ts';
import { EventStream } from '../support/event-stream.ts';
import { seedHearing, startTestServer, waitForEncoder, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const D = 4_000;

/**
 * A viewer's player learns what is happening from one event stream, and it is what aired: the
 * pause shows when the paused slate reaches the public, D after the clerk pressed it.
 */
describe('public state events', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let stream: EventStream;
  let hearingId = '';
  let pausedAt = 0;
  let stateJustAfterPause = '';

  beforeAll(async () => {
    s = await startTestServer({ media: { ladder: [{ name: '180p', height: 180, videoKbps: 200, audioKbps: 48 }, { name: 'audio', audioKbps: 48 }], segmentSeconds: 2, fps: 30, liveMaskSlots: 0 } }, { maxEventStreams: 3 });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    hearingId = seeded.hearingId;
    stream = await new EventStream(`${s.base}/public/hearings/${hearingId}/events`).open();
    await waitFor(() => stream.events.length > 0, 'the first event', 5_000);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/open`, {})).status).toBe(200);
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    await waitForEncoder(s, hearingId);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    await waitFor(() => stream.states().includes('live'), 'live', 30_000);
    pausedAt = Date.now();
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/pause`, { reason: 'recess' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_000));
    stateJustAfterPause = (await s.api<{ state: string }>('GET', `/public/hearings/${hearingId}`)).body.state;
    await waitFor(() => stream.states().includes('paused'), 'paused', 30_000);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {})).status).toBe(200);
    await waitFor(() => stream.states().includes('ended'), 'ended', 30_000);
  }, 120_000);

  afterAll(async () => {
    stream?.close();
    await encoder?.kill();
    await s?.close();
  });

  it('tells the story in order: scheduled, starting, live, paused, ended', () => {
    expect(stream.status).toBe(200);
    expect(stream.contentType).toContain('text/event-stream');
    const seen = stream.states().filter((st, i, all) => all[i - 1] !== st);
    expect(seen).toEqual(['scheduled', 'starting', 'live', 'paused', 'ended']);
    expect(stream.events.find((e) => e.state === 'live')?.delaySeconds).toBe(D / 1000);
  });

  it('says paused only once the paused slate airs, not when the clerk presses pause', () => {
    expect(stateJustAfterPause).toBe('live');
    const paused = stream.events.find((e) => e.state === 'paused')!;
    // The slate covers capture from the pause on, so it cannot air before D has passed.
    expect(paused.at - pausedAt).toBeGreaterThanOrEqual(D - 500);
  });

  it('refuses streams beyond its limit with 503 problem+json, and takes new ones when others close', async () => {
    // One stream (the test's own) is open; two more fit, the fourth does not.
    const more = [await new EventStream(stream.url).open(), await new EventStream(stream.url).open()];
    expect(more.map((m) => m.status)).toEqual([200, 200]);
    const refused = await fetch(stream.url);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toContain('problem+json');
    for (const m of more) m.close();
    await waitFor(async () => {
      const again = await new EventStream(stream.url).open();
      again.close();
      return again.status === 200;
    }, 'a stream slot to free up', 5_000);
  });

  it('answers 404 problem+json for a hearing that is not public, and 400 for a malformed id', async () => {
    const hidden = await seedHearing(s, { isPublic: false });
    const res = await fetch(`${s.base}/public/hearings/${hidden.hearingId}/events`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('problem+json');
    expect((await fetch(`${s.base}/public/hearings/..%2Fx/events`)).status).toBe(400);
  });

  it('keeps a replay off until a supervisor publishes it; withholding needs a reason; both audited; a withheld replay is not reachable', async () => {
    const replayUrl = `${s.base}/public/hearings/${hearingId}/replay/index.m3u8`;
    expect((await fetch(replayUrl)).status).toBe(404);
    expect((await s.api('POST', '/api/users', { username: 'clerk-r', password: 'clerk-r-password', roles: ['clerk'], courtroomIds: [] })).status).toBe(201);
    const clerk = await s.login('clerk-r', 'clerk-r-password');
    expect((await s.api('POST', `/api/hearings/${hearingId}/replay`, { decision: 'published' }, clerk)).status).toBe(403);
    expect((await s.api('POST', `/api/hearings/${hearingId}/replay`, { decision: 'withheld' })).status).toBe(400);
    expect((await s.api('POST', `/api/hearings/${hearingId}/replay`, { decision: 'shown' })).status).toBe(400);
    const future = await seedHearing(s, { scheduledStart: new Date(Date.now() + 3_600_000) });
    expect((await s.api('POST', `/api/hearings/${future.hearingId}/replay`, { decision: 'published' })).status).toBe(409);

    await waitFor(async () => (await archiveRecords(s.cc.state).get(hearingId))?.status === 'complete', 'the archive', 60_000);
    expect((await s.api('POST', `/api/hearings/${hearingId}/replay`, { decision: 'published' })).status).toBe(200);
    await waitFor(() => stream.states().includes('replay'), 'the replay state', 10_000);
    const info = await s.api<{ state: string; replayUrl: string }>('GET', `/public/hearings/${hearingId}`);
    expect(info.body).toMatchObject({ state: 'replay', replayUrl: expect.stringContaining(`/public/hearings/${hearingId}/replay/index.m3u8`) });
    const master = await fetch(replayUrl);
    expect(master.status).toBe(200);
    expect(await master.text()).toContain('180p/index.m3u8');
    const media = await (await fetch(`${s.base}/public/hearings/${hearingId}/replay/180p/index.m3u8`)).text();
    expect(media).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    const firstSeg = media.split('\n').find((l) => l.endsWith('.ts'))!;
    expect((await fetch(`${s.base}/public/hearings/${hearingId}/replay/180p/${firstSeg}`)).status).toBe(200);

    expect((await s.api('POST', `/api/hearings/${hearingId}/replay`, { decision: 'withheld', reason: 'a witness was named' })).status).toBe(200);
    await waitFor(() => stream.states().at(-1) === 'withheld', 'the withheld state', 10_000);
    const gone = await fetch(replayUrl);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toContain('problem+json');
    expect((await fetch(`${s.base}/public/hearings/${hearingId}/replay/180p/${firstSeg}`)).status).toBe(404);
    expect((await s.api<{ replayUrl: string | null }>('GET', `/public/hearings/${hearingId}`)).body.replayUrl).toBeNull();
    const trail = (await s.api<{ action: string; reason: string | null }[]>('GET', `/api/hearings/${hearingId}/audit`)).body;
    expect(trail.filter((e) => e.action.startsWith('replay-')).map((e) => [e.action, e.reason])).toEqual([
      ['replay-published', null],
      ['replay-withheld', 'a witness was named'],
    ]);
  }, 90_000);
});
