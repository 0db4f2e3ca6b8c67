import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseRecord } from '../../server/delay/delay-line.ts';
import { startLiveHearing, type LiveHearing } from '../support/live-hearing.ts';
import { readCounter } from '../../server/media/synthetic.ts';
import { calibrateSegments, capturedAt } from '../support/master-clock.ts';
import { framesAndTone, type PublicFeed, regionStats } from '../support/public-feed.ts';
import { MASK_LADDER, MASK_PICTURE, type TestServer } from '../support/server.ts';
import { elapse, mapOnCores } from '../support/wait.ts';

const D = 6_000;
/**
 * A margin at each lift: frames are placed on the ingest clock from the master (master-clock.ts),
 * and the lift is timed from its request, which the server takes a moment later.
 */
const EARLY = 600;
const BLACK = { x: 0.25, y: 0.3, w: 0.3, h: 0.25 };
/** The one part of the test pattern with fine detail at every rung: blurred, then pixelated. */
const DETAIL = { x: 0.6, y: 0.6, w: 0.3, h: 0.14 };
const RUNGS = ['360p', '180p'] as const;

interface Frame {
  t: number;
  black: number;
  detail: number;
}

describe('live mask slots: black, blur, pixelate, mute and voice switched through zmq air without a re-render', () => {
  let live: LiveHearing;
  let s: TestServer;
  let feed: PublicFeed;
  let hearingId = '';
  const marks: Record<string, number> = {};
  const records: ReleaseRecord[] = [];
  const frames: Record<string, Frame[]> = { '360p': [], '180p': [] };
  const sound: { t0: number; t1: number; rms: number; hz: number }[] = [];

  beforeAll(async () => {
    // A steady tone, so a voice mask's pitch shift can be measured.
    live = await startLiveHearing({ delaySeconds: D / 1000, pollMs: 250, sound: 'tone', encoderSize: MASK_PICTURE, config: { media: { ladder: MASK_LADDER, liveMaskSlots: 1 } } });
    live.s.cc.broadcasts.live(live.hearingId)?.on('released', (r) => records.push(r));
    ({ s, feed, hearingId } = live);
    await elapse(3_000);
    /** Applies a mask; its start is the instant the server took it, on the ingest clock. */
    const starts: number[] = [];
    const apply = async (body: object): Promise<string> => {
      const res = await s.api<{ mask: { id: string; start: number | string } }>('POST', `/api/hearings/${hearingId}/masks`, body);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      starts.push(new Date(res.body.mask.start).getTime());
      return res.body.mask.id;
    };
    const lift = async (ids: string[]) => {
      for (const id of ids) expect((await s.api('POST', `/api/hearings/${hearingId}/masks/${id}/lift`, {})).status).toBe(200);
    };
    const first = [await apply({ kind: 'black', region: BLACK }), await apply({ kind: 'blur', region: DETAIL }), await apply({ kind: 'mute' })];
    marks.on = Math.max(...starts);
    await elapse(9_000);
    marks.off = Date.now();
    await lift(first);
    await elapse(7_000);
    const second = [await apply({ kind: 'pixelate', region: DETAIL }), await apply({ kind: 'voice', pitch: 0.75 })];
    marks.pixOn = Math.max(...starts);
    await elapse(7_000);
    marks.pixOff = Date.now();
    await lift(second);
    await elapse(D + 5_000);
    await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {});
    await feed.untilEnded(D + 20_000);
    // Counters placed on the ingest clock from the master segment that carries them, as the server
    // dated them: from the connection's first segment alone, a test encoder that lags and catches up
    // on a loaded machine drifts hundreds of milliseconds by the second mask (ci82).
    const calibrations = await calibrateSegments(path.join(s.dataDir, 'master', hearingId));
    const timeOf = (c: number) => capturedAt(calibrations, c);
    // Decoded on every core, gathered in the feed's order.
    const perEntry = await mapOnCores(feed.sorted(), async (e) => {
      const got: { rung: (typeof RUNGS)[number]; frames: Frame[]; sound?: (typeof sound)[number] }[] = [];
      for (const rung of RUNGS) {
        const body = Buffer.from(await (await fetch(e.uri.replace('/360p/', `/${rung}/`))).arrayBuffer());
        const ts: number[] = [];
        const pictures: Frame[] = [];
        let slateFrames = 0;
        const seen = await framesAndTone(body);
        for (const f of seen.frames) {
          const c = readCounter(f.subarray(0, 640 * 40));
          if (c === 0) {
            slateFrames++;
            continue;
          }
          ts.push(timeOf(c));
          pictures.push({ t: timeOf(c), black: regionStats(f, BLACK).mean, detail: regionStats(f, DETAIL).texture });
        }
        // A segment an edge falls in (the end) is part slate and silence: its pitch is not the tone's.
        const heard = rung === '360p' && ts.length > 0 && slateFrames === 0 ? { t0: Math.min(...ts), t1: Math.max(...ts), rms: seen.tone.rmsDb, hz: seen.tone.hz } : undefined;
        got.push({ rung, frames: pictures, ...(heard ? { sound: heard } : {}) });
      }
      return got;
    });
    for (const g of perEntry.flat()) {
      frames[g.rung]!.push(...g.frames);
      if (g.sound) sound.push(g.sound);
    }
  }, 150_000);

  afterAll(() => live?.close());

  const between = (rung: string, on: number, off: number) => frames[rung]!.filter((f) => f.t >= on && f.t + EARLY <= off);
  const inside = (rung: string) => between(rung, marks.on!, marks.off!);
  const outside = (rung: string) => frames[rung]!.filter((f) => f.t + EARLY < marks.on! - 2_500 || (f.t > marks.off! + 2_500 && f.t + EARLY < marks.pixOn! - 2_500) || f.t > marks.pixOff! + 2_500);

  it('proves segments from the slot acks and airs them without re-rendering', () => {
    expect(records.filter((r) => r.outcome === 'aired' && r.live).length).toBeGreaterThanOrEqual(2);
  });

  it('blacks out its region on every frame captured while the mask was on, on two rungs, and none well outside', () => {
    for (const rung of RUNGS) {
      expect(inside(rung).length, rung).toBeGreaterThan(150);
      for (const f of inside(rung)) expect(f.black, `${rung} at ${new Date(f.t).toISOString()}`).toBeLessThan(20);
      const clear = frames[rung]!.filter((f) => f.t + EARLY < marks.on! - 2_500 || f.t > marks.off! + 2_500);
      expect(clear.length, rung).toBeGreaterThan(30);
      for (const f of clear) expect(f.black, rung).toBeGreaterThan(40);
    }
  });

  it('collapses detail in the blurred, then the pixelated region while on, on two rungs, and leaves it intact outside', () => {
    for (const rung of RUNGS) {
      const clear = outside(rung).map((f) => f.detail).sort((a, b) => a - b);
      expect(clear.length, rung).toBeGreaterThan(30);
      const typicalClear = clear[Math.floor(clear.length / 2)]!;
      expect(typicalClear, `${rung} has detail to lose`).toBeGreaterThan(3);
      for (const [kind, on, off] of [['blur', marks.on!, marks.off!], ['pixelate', marks.pixOn!, marks.pixOff!]] as const) {
        const masked = between(rung, on, off);
        expect(masked.length, `${rung} ${kind}`).toBeGreaterThan(100);
        for (const f of masked) expect(f.detail, `${rung} ${kind} at ${new Date(f.t).toISOString()}, ${f.t - on} ms after on, ${off - f.t} ms before off`).toBeLessThan(typicalClear * 0.25);
      }
    }
  });

  it('mutes every segment captured while the mask was on, and the tone is back after the lift', () => {
    const muted = sound.filter((x) => x.t0 >= marks.on! && x.t1 + EARLY <= marks.off!);
    expect(muted.length).toBeGreaterThanOrEqual(2);
    for (const x of muted) expect(x.rms).toBeLessThan(-60);
    const after = sound.filter((x) => x.t0 > marks.off! + 2_500 && x.t1 + EARLY < marks.pixOn!);
    expect(after.length).toBeGreaterThanOrEqual(1);
    for (const x of after) {
      expect(x.rms).toBeGreaterThan(-40);
      expect(Math.abs(x.hz - 440)).toBeLessThan(15);
    }
  });

  it('shifts the voice by the configured ratio while on, and not after', () => {
    const shifted = sound.filter((x) => x.t0 >= marks.pixOn! && x.t1 + EARLY <= marks.pixOff!);
    expect(shifted.length).toBeGreaterThanOrEqual(2);
    for (const x of shifted) expect(Math.abs(x.hz - 440 * 0.75), `segment from ${new Date(x.t0).toISOString()}`).toBeLessThan(15);
    const after = sound.filter((x) => x.t0 > marks.pixOff! + 2_500);
    expect(after.length).toBeGreaterThanOrEqual(2);
    for (const x of after) expect(Math.abs(x.hz - 440)).toBeLessThan(15);
  });

  it('leaves the public playlist valid', () => {
    expect(feed.errors).toEqual([]);
  });
});
