import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveRecords } from '../../recorder/archive-record.ts';
import { TestEncoder } from '../support/encoder.ts';
import { decodeCounters, fileCounters, strictParse } from '../support/public-feed.ts';
import { seedHearing, startTestServer, waitForEncoder, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const D = 4;

/**
 * Each public hearing's poster: a card before it airs, what the public was shown while it airs
 * (never newer than the delay, never the master), the replay's own start once published, and a
 * card again when the replay is withheld; nothing for a hearing that is not public.
 */
describe('hearing posters', () => {
  let s: TestServer;
  let dir = '';
  let encoder: TestEncoder | null = null;
  let live = { hearingId: '', streamKey: '' };

  beforeAll(async () => {
    s = await startTestServer();
    dir = await mkdtemp(path.join(os.tmpdir(), 'cc-poster-'));
    live = await seedHearing(s, { delaySeconds: D });
  }, 60_000);

  afterAll(async () => {
    await encoder?.kill();
    await s?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The poster's bytes, its size and the counters burned into it (0: no captured frame in it). */
  async function poster(id: string): Promise<{ status: number; bytes: Buffer; size: string; counter: number; type: string }> {
    const res = await fetch(`${s.base}/public/hearings/${id}/poster.jpg`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) return { status: res.status, bytes, size: '', counter: 0, type: res.headers.get('content-type') ?? '' };
    const file = path.join(dir, `${id}-${Date.now()}.jpg`);
    await writeFile(file, bytes);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0:s=x', file]);
    return { status: 200, bytes, size: stdout.trim(), counter: (await fileCounters(file))[0] ?? 0, type: res.headers.get('content-type') ?? '' };
  }

  it('draws a card for a hearing not yet aired, of its own details, and has none for one that is not public', async () => {
    const a = await poster(live.hearingId);
    expect([a.status, a.type, a.size, a.counter]).toEqual([200, 'image/jpeg', '1280x720', 0]);
    const other = await seedHearing(s, { language: 'zh-CN', scheduledStart: new Date(Date.now() + 86_400_000) });
    const b = await poster(other.hearingId);
    expect([b.status, b.size]).toEqual([200, '1280x720']);
    expect(b.bytes.equals(a.bytes)).toBe(false);
    const hidden = await seedHearing(s, { isPublic: false });
    expect((await poster(hidden.hearingId)).status).toBe(404);
    expect((await poster('hg_doesnotexist00')).status).toBe(404);
    expect((await fetch(`${s.base}/public/hearings/..%2Fx/poster.jpg`)).status).toBeGreaterThanOrEqual(400);
  });

  it('shows what the public was shown while the hearing airs: a frame of a published segment, captured at least D ago', async () => {
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${live.streamKey}`, 'flv', Date.now()).start();
    expect((await s.api('POST', `/api/hearings/${live.hearingId}/broadcast/start`, {})).status).toBe(200);
    await waitForEncoder(s, live.hearingId);
    await waitFor(async () => ((await (await fetch(`${s.base}/public/hearings/${live.hearingId}`)).json()) as { state: string }).state === 'live', 'live', 30_000, 200);
    // The newest segment may still be the last starting slate: a poster is asked until it shows program.
    let seen = { counter: 0, at: 0 };
    await waitFor(async () => {
      const asked = Date.now();
      const p = await poster(live.hearingId);
      seen = { counter: p.counter, at: asked };
      return p.counter > 0;
    }, 'a poster of the program', 40_000, 1_000);
    // Captured at least D before it was asked for: it aired, it is not the undelayed picture.
    expect(encoder.timeOf(seen.counter)).toBeLessThanOrEqual(seen.at - D * 1000 + 200);
    // And it is a frame of a segment the public playlist lists.
    const list = strictParse(await (await fetch(`${s.base}/hls/hearings/${live.hearingId}/180p/index.m3u8`)).text()) as { segments: { uri: string }[] };
    const aired = new Set<number>();
    for (const seg of list.segments) for (const c of await decodeCounters(Buffer.from(await (await fetch(new URL(seg.uri, `${s.base}/hls/hearings/${live.hearingId}/180p/index.m3u8`))).arrayBuffer()))) aired.add(c);
    expect(aired.has(seen.counter) || Math.max(...aired) > seen.counter).toBe(true);
  }, 90_000);

  it('shows the replay where its broadcast began once published, and a card when it is withheld', async () => {
    expect((await s.api('POST', `/api/hearings/${live.hearingId}/broadcast/end`, {})).status).toBe(200);
    await encoder?.kill();
    encoder = null;
    // Ended, no replay yet: a card, not a picture from the archive.
    await waitFor(async () => ((await (await fetch(`${s.base}/public/hearings/${live.hearingId}`)).json()) as { state: string }).state === 'ended', 'ended', 30_000, 200);
    expect((await poster(live.hearingId)).counter).toBe(0);
    await waitFor(async () => (await archiveRecords(s.cc.state).get(live.hearingId))?.status === 'complete', 'the archive', 60_000);
    expect((await s.api('POST', `/api/hearings/${live.hearingId}/replay`, { decision: 'published' })).status).toBe(200);
    const replay = await poster(live.hearingId);
    expect(replay.counter).toBeGreaterThan(0);
    // The link preview and the replay list use it.
    const page = await (await fetch(`${s.base}/hearings/${live.hearingId}?lang=en`)).text();
    expect(page).toContain(`<meta property="og:image" content="${s.base}/public/hearings/${live.hearingId}/poster.jpg">`);
    expect(await (await fetch(`${s.base}/replays?lang=en`)).text()).toContain(`<img src="/public/hearings/${live.hearingId}/poster.jpg" alt=""`);
    // A second past the first program segment of the as-aired recording.
    const rung = await (await fetch(`${s.base}/public/hearings/${live.hearingId}/replay/180p/index.m3u8`)).text();
    const offset = Number(/#EXT-X-START:TIME-OFFSET=([\d.]+)/.exec(rung)?.[1] ?? 0);
    const first = strictParse(rung) as { segments: { uri: string; duration: number }[] };
    let at = offset;
    const seg = first.segments.find((x) => (at -= x.duration) < 0)!;
    const counters = await decodeCounters(Buffer.from(await (await fetch(`${s.base}/public/hearings/${live.hearingId}/replay/180p/${seg.uri}`)).arrayBuffer()));
    expect(counters.filter((c) => c > 0).length).toBeGreaterThan(0);
    expect(Math.abs(replay.counter - Math.min(...counters.filter((c) => c > 0)) - 30)).toBeLessThanOrEqual(45);
    expect((await s.api('POST', `/api/hearings/${live.hearingId}/replay`, { decision: 'withheld', reason: 'an order of the court' })).status).toBe(200);
    expect((await poster(live.hearingId)).counter).toBe(0);
  }, 120_000);
});
