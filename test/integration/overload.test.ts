import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseRecord } from '../../server/delay/delay-line.ts';
import { readCounter } from '../../server/media/synthetic.ts';
import { videoPts } from '../../server/media/ts-continuity.ts';
import { startCpuHog, type CpuHog } from '../support/cpu-hog.ts';
import { FRAME_MS, TestEncoder } from '../support/encoder.ts';
import { PublicFeed, regionStats } from '../support/public-feed.ts';
import { seedHearing, startTestServer, type TestServer, TWO_RUNG_LADDER } from '../support/server.ts';
import { AAC_FRAME_MS, codeOffset, forbiddenSound, hearUrl, seeAndHear, type HeardEntry } from '../support/timecode.ts';
import { elapse, mapOnCores, waitFor } from '../support/wait.ts';

const D = 6_000;
const RUNGS = ['180p', '144p'] as const;
/** Six tenths of the machine, whatever its size: on two cores, 1.2 cores of other work beside the hearing. */
const HOG_CORES = 0.6 * os.availableParallelism();
/** The retroactive black box, in the picture's fractions. */
const BOX = { x: 0.55, y: 0.45, w: 0.35, h: 0.4 };

interface Bracket {
  before: number;
  after: number;
}

interface AiredFrame {
  ts: number;
  /** Mean grey inside the retroactive mask's box (180p only, where whole frames are decoded). */
  box?: number;
}

/**
 * The overload target, from outside: a hearing beside other work that takes a fixed share of the
 * machine at normal priority keeps its delay (p99 error within 500 ms, never early), shows no
 * stand-by slate while its encoder is healthy, lands every program edge within two frames, and
 * keeps every privacy step (a retroactive black box and mute airs rendered or as the card, never
 * plain). Delay error is read as the clock bench reads it: when each segment first appeared to a
 * viewer polling every 50 ms, against the earliest arrival at the ingest of its last frame, + D.
 */
describe('a hearing beside a CPU hog taking six tenths of the machine', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let feed: PublicFeed;
  let hog: CpuHog;
  let hogWall = 0;
  let hogUsed = 0;
  const records: ReleaseRecord[] = [];
  const edges: Record<string, Bracket> = {};
  const aired: Record<string, AiredFrame[]> = { '180p': [], '144p': [] };
  const heard: HeardEntry[] = [];
  /** Appeared − (arrival of the segment's last frame + one frame + D), per program segment. */
  const delayError: number[] = [];
  /** Appeared − (the server's capture end + D): the privacy bound, never negative. */
  const serverMargin: number[] = [];
  const loads: string[] = [];
  /** The retroactive masks' interval: on the encoder's clock, and as the server dated it (wall ms). */
  let mask = { start: 0, end: 0 };
  let maskWall = { start: 0, end: 0 };

  beforeAll(async () => {
    s = await startTestServer({ media: { ladder: TWO_RUNG_LADDER, segmentSeconds: 2, fps: 30, liveMaskSlots: 0 } });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    const id = seeded.hearingId;
    await s.api('POST', `/api/hearings/${id}/broadcast/open`, {});
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    const clock = () => s.cc.ingest.clockOf(seeded.courtroomId)!;
    await waitFor(() => s.cc.broadcasts.live(id) !== null && clock() !== undefined && clock() !== null, 'the encoder to publish', 20_000, 20);
    const session = s.cc.broadcasts.live(id)!;
    session.on('released', (r) => records.push(r));
    // The earliest arrival of the encoder's clock: min over samples of (now − newest timestamp arrived).
    let anchor = Number.POSITIVE_INFINITY;
    const sampler = setInterval(() => {
      const latest = clock().latest;
      if (latest !== null) anchor = Math.min(anchor, Date.now() - latest);
      const load = session.status().load;
      if (loads.at(-1) !== load) loads.push(load);
    }, 10);
    feed = new PublicFeed(`${s.base}/hls/hearings/${id}/180p/index.m3u8`).start(50);
    hog = startCpuHog(HOG_CORES);
    const hogFrom = Date.now();
    await waitFor(() => (clock().latest ?? 0) >= 2_500, 'the encoder to reach 2.5 s', 15_000, 20);
    const command = async (name: string, cmd: string) => {
      const before = clock().latest!;
      const res = await s.api('POST', `/api/hearings/${id}/broadcast/${cmd}`, { reason: 'overload test' });
      edges[name] = { before, after: clock().latest! };
      expect(res.status, `${cmd}: ${JSON.stringify(res.body)}`).toBe(200);
    };
    await command('start', 'start');
    await elapse(3_500);
    await command('pause', 'pause');
    await elapse(2_000);
    await command('resume', 'resume');
    await elapse(3_500);
    const from = new Date(Date.now() - 2_500).toISOString();
    const to = new Date(Date.now() - 1_500).toISOString();
    for (const body of [{ kind: 'black', region: BOX }, { kind: 'mute' }]) {
      const res = await s.api<{ mask: { start: number; end: number } }>('POST', `/api/hearings/${id}/masks`, { ...body, start: from, end: to, reason: 'a name was said' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      mask = { start: clock().firstAtOrAfter(res.body.mask.start)!, end: clock().firstAtOrAfter(res.body.mask.end)! };
      maskWall = res.body.mask;
    }
    await elapse(2_500);
    await command('end', 'end');
    await feed.untilEnded(D + 30_000);
    hogUsed = await hog.used();
    hogWall = (Date.now() - hogFrom) / 1000;
    hog.stop();
    clearInterval(sampler);

    const perEntry = await mapOnCores(feed.sorted(), async (e) => {
      const frames: Record<string, AiredFrame[]> = {};
      const got: HeardEntry[] = [];
      let lastProgramTs: number | null = null;
      for (const rung of RUNGS) {
        const body = Buffer.from(await (await fetch(e.uri.replace('/180p/', `/${rung}/`))).arrayBuffer());
        const pts = videoPts(body).sort((a, b) => a - b);
        const seen = await seeAndHear(body, rung === '180p' ? 'frames' : 'strips');
        got.push({ label: `${rung}/${e.seq}`, spans: seen.heard });
        frames[rung] = seen.pictures.flatMap((f, k) => (readCounter(f.subarray(0, 640 * 40)) > 0 && pts[k] !== undefined ? [{ ts: pts[k]! * 1000, ...(rung === '180p' ? { box: regionStats(f, BOX).mean } : {}) }] : []));
        // A segment whose last frame is program picture dates the delay error (an edge's slate frames do not).
        if (rung === '180p' && seen.pictures.length > 0 && readCounter(seen.pictures.at(-1)!.subarray(0, 640 * 40)) > 0) lastProgramTs = Math.max(...pts) * 1000;
      }
      got.push({ label: `audio/${e.seq}`, spans: await hearUrl(e.uri.replace('/180p/', '/audio/')) });
      return { e, frames, got, lastProgramTs };
    });
    for (const { e, frames, got, lastProgramTs } of perEntry) {
      heard.push(...got);
      for (const rung of RUNGS) aired[rung]!.push(...frames[rung]!);
      if (lastProgramTs !== null) delayError.push(e.appearedAt - (anchor + lastProgramTs + FRAME_MS + D));
    }
    for (const r of records.filter((x) => x.outcome === 'aired')) {
      const seen = feed.entries.get(r.seq);
      if (seen) serverMargin.push(seen.appearedAt - (r.captureEnd + D));
    }
  }, 150_000);

  afterAll(async () => {
    hog?.stop();
    feed?.stop();
    await encoder?.kill();
    await s?.close();
  });

  it('ran beside the hog: it took its share of the machine throughout (the test is not run on an idle machine)', () => {
    expect(hogWall).toBeGreaterThan(15);
    expect(hogUsed / hogWall, `the hog used ${hogUsed.toFixed(1)} CPU s in ${hogWall.toFixed(1)} s`).toBeGreaterThan(0.8 * HOG_CORES);
  });

  it('keeps the delay: p99 error within 500 ms, and no segment public before its capture + D', () => {
    expect(delayError.length).toBeGreaterThanOrEqual(3);
    const sorted = [...delayError].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]!;
    expect(p99, `errors ${sorted.map((x) => x.toFixed(0)).join(', ')} ms`).toBeLessThanOrEqual(500);
    expect(serverMargin.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...serverMargin)).toBeGreaterThanOrEqual(0);
  });

  it('shows no stand-by slate while the encoder is healthy', () => {
    expect(records.length).toBeGreaterThan(5);
    expect(records.filter((r) => r.outcome === 'standby').map((r) => `${r.seq}: ${r.reason}`)).toEqual([]);
  });

  it('lands every program edge within two frames of the command, on every rung', () => {
    const slack = 2 * FRAME_MS;
    for (const rung of RUNGS) {
      const xs = aired[rung]!.map((f) => f.ts).sort((a, b) => a - b);
      const next = (t: number) => xs.find((x) => x >= t) ?? Number.NaN;
      const prev = (t: number) => [...xs].reverse().find((x) => x < t) ?? Number.NaN;
      for (const name of ['start', 'resume']) {
        const e = edges[name]!;
        const first = next(e.before - slack - 1);
        expect(first, `${rung} ${name}: first frame ${first} for a command between ${e.before} and ${e.after}`).toBeGreaterThan(e.before - slack);
        expect(first, `${rung} ${name}`).toBeLessThanOrEqual(e.after + slack + FRAME_MS / 2);
      }
      for (const name of ['pause', 'end']) {
        const e = edges[name]!;
        const last = prev(e.after + slack + FRAME_MS);
        expect(last, `${rung} ${name}: last frame ${last} for a command between ${e.before} and ${e.after}`).toBeGreaterThanOrEqual(e.before - slack);
        expect(last, `${rung} ${name}`).toBeLessThanOrEqual(e.after + slack);
      }
      expect(xs.filter((x) => x > edges.pause!.after + slack && x < edges.resume!.before - slack), `${rung}: frames from the pause aired`).toEqual([]);
    }
  });

  it('never airs the retroactive mask’s interval plain: black in its box, or the card', () => {
    expect(mask.end - mask.start).toBeGreaterThan(900);
    const inside = aired['180p']!.filter((f) => f.ts >= mask.start + FRAME_MS && f.ts < mask.end - FRAME_MS);
    expect(inside.filter((f) => f.box! >= 20).map((f) => `${f.ts.toFixed(0)}: mean ${f.box!.toFixed(0)}`)).toEqual([]);
    // The box is not dark by itself: the picture away from the mask shows it lit.
    const away = aired['180p']!.filter((f) => f.ts < mask.start - 500 || f.ts > mask.end + 500);
    expect(away.filter((f) => f.box! > 40).length).toBeGreaterThan(0.9 * away.length);
    // Every segment the mask touched that aired program aired rendered (the rest aired a slate or the card).
    const touched = records.filter((r) => r.captureEnd > maskWall.start && r.captureStart < maskWall.end);
    expect(touched.length).toBeGreaterThan(0);
    expect(touched.filter((r) => r.outcome === 'aired' && r.masked !== true).map((r) => r.seq)).toEqual([]);
  });

  it('airs no sound from before the start, the pause, the mute or after the end, on any rung', () => {
    const { offsetMs } = codeOffset(heard);
    const forbidden = [
      { name: 'before the start', start: Number.NEGATIVE_INFINITY, end: edges.start!.before },
      { name: 'the pause', start: edges.pause!.after + FRAME_MS, end: edges.resume!.before },
      { name: 'the retroactive mute', start: mask.start, end: mask.end },
      { name: 'after the end', start: edges.end!.after + FRAME_MS, end: Number.POSITIVE_INFINITY },
    ];
    expect(forbiddenSound(heard, forbidden, offsetMs, AAC_FRAME_MS)).toEqual([]);
  });
});
