import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCounter } from '../../server/media/synthetic.ts';
import { videoPts } from '../../server/media/ts-continuity.ts';
import { FRAME_MS, TestEncoder } from '../support/encoder.ts';
import { spawn } from 'node:child_process';
import type { AuditEntry } from '../../server/audit/trail.ts';
import { calibrateSegments, capturedAt } from '../support/master-clock.ts';
import { decodeFrames, framesAndTone, PublicFeed, regionStats } from '../support/public-feed.ts';
import { MASK_LADDER, MASK_PICTURE, masterSegmentFiles, seedHearing, startTestServer, type TestServer, waitForEncoder } from '../support/server.ts';
import { elapse, mapOnCores } from '../support/wait.ts';

const D = 6_000;
/**
 * A margin at each mask's end: frames are placed on the ingest clock from the master
 * (master-clock.ts), and a lift is timed from its request, which the server takes a moment later.
 */
const EARLY = 600;
const BOX = { x: 0.25, y: 0.3, w: 0.3, h: 0.4 };
const BLUR = { x: 0.6, y: 0.45, w: 0.35, h: 0.45 };
const KILL_BOX = { x: 0.05, y: 0.5, w: 0.2, h: 0.3 };

interface Frame {
  counter: number;
  t: number;
  pixels: Uint8Array;
  /** The frame's instant on the published timeline: its segment's PROGRAM-DATE-TIME + k/fps. */
  published: number | null;
  /** Its timestamp (ms, the encoder's clock, which the public segments keep); NaN where not read. */
  pts: number;
}

describe('privacy masks: live black region and mute, retroactive blur', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let feed: PublicFeed;
  let hearingId = '';
  const marks: Record<string, number> = {};
  const frames: Record<string, Frame[]> = { '360p': [], '180p': [] };
  /** `whole`: every frame is program picture (no slate spliced in at a program edge, whose audio is muted too). */
  const segments: { t0: number; t1: number; rms: number; hz: number; whole: boolean }[] = [];
  let retroAck: { alreadyPublic: { start: string; end: string } | null } = { alreadyPublic: null };
  let lateAck: { alreadyPublic: { start: string; end: string } | null } = { alreadyPublic: null };
  const masterFrames: Frame[] = [];
  /** Where each released slot ended on the capture timeline, as the gate decided them. */
  const releasedEnds = new Set<number>();
  let lateMask = { start: 0, end: 0 };
  /** The encoder timestamp of the first media the ingest received at or after the black mask's start. */
  let maskOnTs = 0;
  /** The same for the retroactive blur's start and end: the server dates its frames on that clock. */
  const retroTs = { from: 0, to: 0 };

  const post = async (p: string, body: unknown) => {
    const res = await s.api<Record<string, unknown>>('POST', `/api/hearings/${hearingId}${p}`, body);
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    return res.body;
  };

  beforeAll(async () => {
    // No live slots here: this file proves the re-render path (live-masks.test.ts proves the slots).
    s = await startTestServer({ media: { ladder: MASK_LADDER, segmentSeconds: 2, fps: 30, liveMaskSlots: 0 } });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    hearingId = seeded.hearingId;
    // A steady tone, so a voice mask's pitch shift can be measured.
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now(), MASK_PICTURE, 'tone').start();
    await post('/broadcast/start', {});
    s.cc.broadcasts.live(hearingId)!.on('released', (r) => releasedEnds.add(r.captureEnd));
    feed = new PublicFeed(`${s.base}/hls/hearings/${hearingId}/360p/index.m3u8`).start(250);
    await waitForEncoder(s, hearingId);
    await elapse(4_000);

    // Live masks from now until lifted.
    marks.maskOn = Date.now();
    const black = (await post('/masks', { kind: 'black', region: BOX, reason: 'witness face' })) as { mask: { id: string; start: number } };
    // The mask starts when the server takes it, a little after the request left: frames captured
    // in between are rightly not masked.
    marks.maskOn = black.mask.start;
    const mute = (await post('/masks', { kind: 'mute', reason: 'witness name' })) as { mask: { id: string } };
    await elapse(7_000);
    marks.maskOff = Date.now();
    await post(`/masks/${black.mask.id}/lift`, {});
    await post(`/masks/${mute.mask.id}/lift`, {});
    await elapse(3_000);

    // A retroactive blur over a past second still inside the delay window.
    marks.retroFrom = Date.now() - 3_000;
    marks.retroTo = Date.now() - 1_500;
    retroAck = (await post('/masks', { kind: 'blur', region: BLUR, start: new Date(marks.retroFrom).toISOString(), end: new Date(marks.retroTo).toISOString(), reason: 'document on screen' })) as typeof retroAck;
    // One that reaches back past the delay window: the released part is reported.
    lateMask = { start: Date.now() - D - 4_000, end: Date.now() - D - 1_000 };
    lateAck = (await post('/masks', { kind: 'pixelate', region: { x: 0, y: 0.8, w: 0.1, h: 0.1 }, start: new Date(lateMask.start).toISOString(), end: new Date(lateMask.end).toISOString() })) as typeof lateAck;
    await elapse(2_000);

    // Voice distortion: the 440 Hz tone comes out at 0.75 of its pitch.
    marks.voiceOn = Date.now();
    const voice = (await post('/masks', { kind: 'voice', pitch: 0.75 })) as { mask: { id: string } };
    await elapse(6_000);
    marks.voiceOff = Date.now();
    await post(`/masks/${voice.mask.id}/lift`, {});
    // Let the voice segments air before the killer starts: it kills every render of the hearing.
    await elapse(D + 2_000);

    // Fail closed: every mask render is killed while this mask is on; its segments must not air unmasked.
    marks.killOn = Date.now();
    const killed = (await post('/masks', { kind: 'black', region: KILL_BOX })) as { mask: { id: string } };
    const killer = setInterval(() => spawn('pkill', ['-KILL', '-f', `${hearingId}/masked/`], { stdio: 'ignore' }), 50);
    await elapse(4_000);
    marks.killOff = Date.now();
    await post(`/masks/${killed.mask.id}/lift`, {});
    // The killer runs until the public playlist has ended: the masked seconds air in the end's
    // drain, D later (the end's own splice render dies too, so its segment airs as the card).
    await elapse(1_000);
    await post('/broadcast/end', {});
    await feed.untilEnded(D + 20_000).finally(() => clearInterval(killer));
    // Counters placed on the ingest clock from the master segment that carries them, not from when
    // the encoder was spawned (which under load runs more than EARLY ahead of the capture) nor from
    // the connection's first segment (a lagging encoder drifts from it).
    const calibrations = await calibrateSegments(path.join(s.dataDir, 'master', hearingId));
    const clock = s.cc.ingest.clockOf(seeded.courtroomId)!;
    maskOnTs = clock.firstAtOrAfter(marks.maskOn)!;
    retroTs.from = clock.firstAtOrAfter(marks.retroFrom!)!;
    retroTs.to = clock.firstAtOrAfter(marks.retroTo!)!;
    const timeOf = (c: number) => capturedAt(calibrations, c);

    // Decoded on every core, pushed in the feed's order.
    const perEntry = await mapOnCores(feed.sorted(), async (e) => {
      const got: { rung: '360p' | '180p'; frames: Frame[]; segment?: (typeof segments)[number] }[] = [];
      for (const rung of ['360p', '180p'] as const) {
        const res = await fetch(e.uri.replace('/360p/', `/${rung}/`));
        const body = Buffer.from(await res.arrayBuffer());
        const { frames: decoded, tone } = await framesAndTone(body);
        const counters = decoded.map((f) => readCounter(f.subarray(0, 640 * 40)));
        if (counters.every((c) => c === 0)) continue;
        const pts = videoPts(body).sort((a, b) => a - b);
        const frames = decoded.map((pixels, i) => ({ counter: counters[i]!, t: timeOf(counters[i]!), pixels, published: e.programDateTime === null ? null : e.programDateTime + (i * 1000) / 30, pts: (pts[i] ?? Number.NaN) * 1000 }));
        if (rung !== '360p') got.push({ rung, frames });
        else {
          const ts = counters.filter((c) => c > 0).map((c) => timeOf(c));
          got.push({ rung, frames, segment: { t0: Math.min(...ts), t1: Math.max(...ts), rms: tone.rmsDb, hz: tone.hz, whole: counters.every((c) => c > 0) } });
        }
      }
      return got;
    });
    for (const got of perEntry) {
      for (const g of got) {
        frames[g.rung]!.push(...g.frames);
        if (g.segment) segments.push(g.segment);
      }
    }
    const masterDecoded = await mapOnCores(await masterSegmentFiles(s, hearingId), async (file) => {
      const body = await readFile(file);
      const decoded = await decodeFrames(body);
      const counters = decoded.map((f) => readCounter(f.subarray(0, 640 * 40)));
      return decoded.map((pixels, i) => ({ counter: counters[i] ?? 0, t: timeOf(counters[i] ?? 0), pixels, published: null, pts: Number.NaN }));
    });
    for (const m of masterDecoded) masterFrames.push(...m);
  }, 180_000);

  afterAll(async () => {
    feed?.stop();
    await encoder?.kill();
    await s?.close();
  });

  const within = (f: Frame, from: number, to: number) => f.t >= from && f.t + EARLY <= to;
  /**
   * Captured while the black mask was on. Its start is the frame edge the server masks from, so it
   * is read exactly, off the ingest clock (the first timestamp that arrived at or after the
   * mask's start): the counters' dating, from the master's first segment, was once 20 ms late
   * there under load and counted a frame that arrived before the mask as inside it.
   */
  const underBlack = (f: Frame) => f.pts >= maskOnTs && f.t + EARLY <= marks.maskOff!;

  it('blacks out the region on every frame captured while the mask was on, on two rungs', () => {
    for (const rung of ['360p', '180p']) {
      const covered = frames[rung]!.filter(underBlack);
      expect(covered.length, rung).toBeGreaterThan(60);
      for (const f of covered) expect(regionStats(f.pixels, BOX).mean, `${rung} frame ${f.counter}`).toBeLessThan(20);
      // The counter strip lies outside the region and still reads: the rest of the picture is intact.
      for (const f of covered) expect(f.counter).toBeGreaterThan(0);
    }
  });

  it('leaves the picture outside the region as the source has it, frame by frame, on two rungs', () => {
    // The master is the source as ingested: the same frame (by counter) must match it outside the
    // box, within coding noise, and differ inside it.
    const master = new Map(masterFrames.map((f) => [f.counter, f.pixels]));
    const diff = (a: Uint8Array, b: Uint8Array, inBox: boolean) => {
      let sum = 0;
      let n = 0;
      for (let y = 44; y < 360; y += 2) {
        for (let x = 0; x < 640; x += 2) {
          const inside = x >= BOX.x * 640 - 4 && x < (BOX.x + BOX.w) * 640 + 4 && y >= BOX.y * 360 - 4 && y < (BOX.y + BOX.h) * 360 + 4;
          if (inside !== inBox) continue;
          sum += Math.abs(a[y * 640 + x]! - b[y * 640 + x]!);
          n++;
        }
      }
      return sum / n;
    };
    for (const rung of ['360p', '180p']) {
      const covered = frames[rung]!.filter((f) => underBlack(f) && master.has(f.counter));
      expect(covered.length, rung).toBeGreaterThan(60);
      for (const f of covered) {
        expect(diff(f.pixels, master.get(f.counter)!, false), `${rung} frame ${f.counter} outside the box`).toBeLessThan(rung === '360p' ? 6 : 12);
        expect(diff(f.pixels, master.get(f.counter)!, true), `${rung} frame ${f.counter} inside the box`).toBeGreaterThan(25);
      }
    }
  });

  it('restores the picture after the lift and before the mask', () => {
    for (const rung of ['360p', '180p']) {
      const clear = frames[rung]!.filter((f) => f.t > marks.maskOff! + 2_500 || f.t + EARLY < marks.maskOn! - 2_500);
      expect(clear.length, rung).toBeGreaterThan(30);
      for (const f of clear) expect(regionStats(f.pixels, BOX).mean, `${rung} frame ${f.counter}`).toBeGreaterThan(40);
    }
  });

  it('mutes the sound while the mute was on, and the tone is back after', () => {
    const muted = segments.filter((g) => g.t0 >= marks.maskOn! && g.t1 + EARLY <= marks.maskOff!);
    expect(muted.length, JSON.stringify({ marks, segments })).toBeGreaterThan(0);
    for (const g of muted) expect(g.rms).toBeLessThan(-60);
    // A segment with the end card spliced into it is rightly partly silent: only whole ones count.
    const loud = segments.filter((g) => g.t0 > marks.maskOff! + 1_000 && g.whole);
    expect(loud.length, JSON.stringify({ marks, segments })).toBeGreaterThan(0);
    for (const g of loud) expect(g.rms).toBeGreaterThan(-35);
  });

  it('covers the frames of the retroactive interval, to within a frame at its start and two at its end, and no others', () => {
    // The server places each frame on its ingest clock: the first frame it blurs is the first
    // that reached the ingest at or after the start, the last the first that reached it at or
    // after the end (capture-dating's frameOffsets: a frame dated just past the end may show a
    // source captured before it). Read on that clock, through the frames' kept timestamps, an
    // edge may fall a frame either way of it (the transcoder's frame-rate grid); the published
    // timeline (segment date plus k/fps) only approximates it, and under load by more than a frame.
    const timed = frames['360p']!.filter((f) => Number.isFinite(f.pts));
    const far = timed.filter((f) => f.pts > retroTs.to + 3_000 || f.pts < retroTs.from - 3_000);
    const farEdges = Math.min(...far.map((f) => regionStats(f.pixels, BLUR).edges));
    const near = timed.filter((f) => f.pts >= retroTs.from - 1_000 && f.pts < retroTs.to + 1_000);
    const blurred = near.filter((f) => regionStats(f.pixels, BLUR).edges < farEdges * 0.5).map((f) => f.counter);
    const inside = near.filter((f) => f.pts >= retroTs.from + FRAME_MS && f.pts < retroTs.to - FRAME_MS).map((f) => f.counter);
    const allowed = near.filter((f) => f.pts >= retroTs.from - FRAME_MS && f.pts <= retroTs.to + 2 * FRAME_MS).map((f) => f.counter);
    expect(inside.length).toBeGreaterThanOrEqual(42);
    for (const c of inside) expect(blurred, `frame ${c} inside the interval`).toContain(c);
    for (const c of blurred) expect(allowed, `frame ${c} outside the interval`).toContain(c);
    // One run of frames: no hole and no stray frame.
    expect(blurred.at(-1)! - blurred[0]! + 1).toBe(blurred.length);
    expect(retroAck.alreadyPublic).toBeNull();
  });

  it('shifts the voice by the configured ratio while distortion is on', async () => {
    const shifted = segments.filter((g) => g.t0 >= marks.voiceOn! && g.t1 + EARLY <= marks.voiceOff!);
    const slated = (await s.api<AuditEntry[]>('GET', `/api/hearings/${hearingId}/audit`)).body.filter((e) => e.action === 'slate-aired').map((e) => [e.effectiveAt, e.params]);
    expect(shifted.length, JSON.stringify({ marks, segments, slated })).toBeGreaterThan(0);
    for (const g of shifted) expect(g.hz / 440).toBeCloseTo(0.75, 1);
    const plain = segments.filter((g) => g.t1 + EARLY < marks.maskOn! - 2_500 || (g.t0 > marks.maskOff! + 2_500 && g.t1 + EARLY < marks.voiceOn! - 2_500));
    expect(plain.length).toBeGreaterThan(0);
    for (const g of plain) expect(g.hz).toBeGreaterThan(420);
  });

  it('fails closed when the re-render is killed: slates, never an unmasked frame', async () => {
    const during = frames['360p']!.filter((f) => within(f, marks.killOn!, marks.killOff!));
    for (const f of during) expect(regionStats(f.pixels, KILL_BOX).mean, `frame ${f.counter}`).toBeLessThan(20);
    const audit = (await s.api<AuditEntry[]>('GET', `/api/hearings/${hearingId}/audit`)).body;
    expect(audit.some((e) => e.action === 'slate-aired' && e.params.slate === 'no-broadcast' && e.params.why === 'mask-unproven')).toBe(true);
  });

  it('reports exactly the part of a late mask that was already public', () => {
    const aired = lateAck.alreadyPublic!;
    expect(aired).not.toBeNull();
    expect(Date.parse(aired.start)).toBe(lateMask.start);
    // It ends where the gate's decisions had reached: a released slot's end, or the mask's own.
    const end = Date.parse(aired.end);
    expect(end).toBeGreaterThan(lateMask.start);
    expect(end === lateMask.end || releasedEnds.has(end), `${aired.end} is no released boundary`).toBe(true);
  });

  it('never touches the master', () => {
    const duringMask = masterFrames.filter((f) => f.counter > 0 && within(f, marks.maskOn!, marks.maskOff!));
    expect(duringMask.length).toBeGreaterThan(60);
    for (const f of duringMask) expect(regionStats(f.pixels, BOX).mean).toBeGreaterThan(40);
  });

  it('keeps the public playlist valid and every segment decodable', () => {
    expect(feed.errors).toEqual([]);
  });
});
