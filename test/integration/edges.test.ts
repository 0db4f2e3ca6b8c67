import { readFile } from 'node:fs/promises';
import type { MediaPlaylist } from 'hls-parser/types.js';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseRecord } from '../../server/delay/delay-line.ts';
import { readCounter } from '../../server/media/synthetic.ts';
import { audioSpan, videoPts } from '../../server/media/ts-continuity.ts';
import { archiveRecords } from '../../recorder/archive-record.ts';
import { FRAME_MS, TestEncoder } from '../support/encoder.ts';
import { EventStream } from '../support/event-stream.ts';
import { decodeCounters, delayViolations, PublicFeed, strictParse, type DecodedEntry } from '../support/public-feed.ts';
import { masterSegmentFiles, seedHearing, startTestServer, type TestServer, TWO_RUNG_LADDER } from '../support/server.ts';
import { AAC_FRAME_MS, codeOffset, forbiddenSound, hearUrl, seeAndHear, type Forbidden, type HeardEntry } from '../support/timecode.ts';
import { elapse, mapOnCores, waitFor } from '../support/wait.ts';
import { bracketed } from '../support/bracket.ts';

const D = 8_000;
const RUNGS = ['180p', '144p'] as const;
/** Every public rung, the audio-only one included: sound is checked on each. */
const ALL_RUNGS = [...RUNGS, 'audio'] as const;

/** The newest encoder timestamps seen at ingest just before a command and just after its answer. */
interface Bracket {
  before: number;
  after: number;
}

/**
 * One hearing through every program edge, read three ways: the edges themselves, the live path
 * as a viewer sees it (delay, slates, valid playlists) and the cut (what it dumped, the slate it
 * showed at once, the master it left whole). The three once ran a hearing each; they only read
 * what the hearing did, so one run serves them all.
 *
 * Every program edge lands on the frame captured at the command: the segment it falls in airs
 * its on-air frames with the slate spliced over the rest. Which frames were captured before a
 * command is read off the ingest server's arrivals: the newest timestamp seen just before the
 * request and just after its answer bracket the command's capture instant. The sound is heard
 * on every rung, the audio-only one included: its time code says when each stretch was made.
 * The start falls inside the transcoder's first segment, and the resume follows the cut by 1 s.
 */
describe('one hearing through start, pause, resume, a retroactive mute, cut, resume and end', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let feed: PublicFeed;
  const records: ReleaseRecord[] = [];
  /** Aired program frames by rung: their timestamps (ms, the encoder's clock). */
  const aired: Record<string, number[]> = { '180p': [], '144p': [] };
  const edges: Record<string, Bracket> = {};
  let dumpedFromTs = 0;
  /** The retroactive mute, in the encoder's timestamps: the first ones captured at its start and at its end. */
  let mute = { start: 0, end: 0 };
  const heard: HeardEntry[] = [];
  /** The commands on the wall clock, from just before the request to just after the answer. */
  const wall: Record<string, Bracket> = {};
  /** The 180p feed decoded (counters per entry), and when the poll right after the cut returned. */
  const decoded: DecodedEntry[] = [];
  let seenAtCut = 0;
  const masterCounters: number[] = [];
  let hearingId = '';
  /** The public state events a player would follow, opened before the hearing was. */
  let stream: EventStream;
  let stateJustAfterPause = '';
  /** For every aired frame, its timestamp less its counter's time: one constant, which maps counters onto the encoder's clock. */
  const stamps: number[] = [];
  /** Each entry's EXTINF beside how long its picture lasts on each video rung (from `v0`) and where its sound lies, in seconds. */
  const lengths: { seq: number; extinf: number; rung: string; video: number | null; sound: { start: number; end: number } | null; v0?: number }[] = [];
  /** A counter's capture instant on the encoder's clock (the clock the command brackets are on). */
  const tsOf = (counter: number) => counter * FRAME_MS + stamps[0]!;

  beforeAll(async () => {
    s = await startTestServer({ media: { ladder: TWO_RUNG_LADDER, segmentSeconds: 2, fps: 30, liveMaskSlots: 0 } }, { maxEventStreams: 3 });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    const id = (hearingId = seeded.hearingId);
    stream = await new EventStream(`${s.base}/public/hearings/${id}/events`).open();
    await waitFor(() => stream.events.length > 0, 'the first public state event', 5_000);
    await s.api('POST', `/api/hearings/${id}/broadcast/open`, {});
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    await waitFor(() => s.cc.broadcasts.live(id) !== null && s.cc.ingest.clockOf(seeded.courtroomId) !== null, 'the encoder to publish', 20_000, 20);
    const session = s.cc.broadcasts.live(id)!;
    session.on('released', (r) => records.push(r));
    feed = new PublicFeed(`${s.base}/hls/hearings/${id}/180p/index.m3u8`).start(250);
    const clock = () => s.cc.ingest.clockOf(seeded.courtroomId)!;
    // The transcoder starts on the encoder's first keyframe (the ingest hands it the GOP in
    // progress): a start at 1 s falls in its first segment, and airs only if that handover worked.
    await waitFor(() => (clock().latest ?? 0) >= 1_000, 'the encoder to reach 1 s', 15_000, 20);
    const command = async (name: string, cmd: string) => {
      const wallBefore = Date.now();
      const { before, after, res } = await bracketed(() => clock().latest!, () => s.api('POST', `/api/hearings/${id}/broadcast/${cmd}`, { reason: 'edge test' }));
      edges[name] = { before, after };
      wall[name] = { before: wallBefore, after: Date.now() };
      expect(res.status, `${cmd}: ${JSON.stringify(res.body)}`).toBe(200);
    };
    await command('start', 'start');
    await elapse(4_700);
    await command('pause', 'pause');
    await elapse(1_000);
    stateJustAfterPause = (await s.api<{ state: string }>('GET', `/public/hearings/${id}`)).body.state;
    await elapse(1_900);
    await command('resume', 'resume');
    // A retroactive mute over a second still inside the window: its segments are re-rendered.
    await elapse(3_000);
    const muted = await s.api<{ mask: { start: number; end: number } }>('POST', `/api/hearings/${id}/masks`, { kind: 'mute', start: new Date(Date.now() - 2_500).toISOString(), end: new Date(Date.now() - 1_500).toISOString(), reason: 'a name was said' });
    expect(muted.status, JSON.stringify(muted.body)).toBe(201);
    mute = { start: clock().firstAtOrAfter(muted.body.mask.start)!, end: clock().firstAtOrAfter(muted.body.mask.end)! };
    // A cut dumps everything not yet released, so it comes once the resume has aired.
    await elapse(D + 1_500);
    await command('cut', 'cut');
    // What the public could see right after the cut was released before it.
    await feed.poll();
    seenAtCut = Date.now();
    dumpedFromTs = clock().firstAtOrAfter(session.program.dumped.at(-1)!.start)!;
    await elapse(1_000);
    await command('resumeAfterCut', 'resume');
    await elapse(4_400);
    await command('end', 'end');
    await feed.untilEnded(D + 30_000);
    await waitFor(() => stream.states().includes('ended'), 'the ended state', 10_000);
    // Decoded on every core, gathered in the feed's order. The 180p counters make the feed's
    // decoded entries too, so that rung is decoded once.
    const perEntry = await mapOnCores(feed.sorted(), async (e) => {
      const got = { heard: [] as HeardEntry[], frames: {} as Record<string, { ts: number; counter: number }[]>, counters: [] as number[], lengths: [] as (typeof lengths)[number][] };
      for (const rung of RUNGS) {
        const body = Buffer.from(await (await fetch(e.uri.replace('/180p/', `/${rung}/`))).arrayBuffer());
        const pts = videoPts(body).sort((a, b) => a - b);
        const seen = await seeAndHear(body, 'strips');
        got.heard.push({ label: `${rung}/${e.seq}`, spans: seen.heard });
        const video = pts.length > 0 ? pts.at(-1)! - pts[0]! + FRAME_MS / 1000 : null;
        got.lengths.push({ seq: e.seq, extinf: e.durationSec, rung, video, sound: audioSpan(body), v0: pts[0] });
        const counters = seen.pictures.map((f) => readCounter(f));
        if (rung === '180p') got.counters = counters;
        got.frames[rung] = counters.flatMap((counter, k) => (counter > 0 && pts[k] !== undefined ? [{ ts: pts[k]! * 1000, counter }] : []));
      }
      const audioOnly = Buffer.from(await (await fetch(e.uri.replace('/180p/', '/audio/'))).arrayBuffer());
      got.heard.push({ label: `audio/${e.seq}`, spans: await hearUrl(e.uri.replace('/180p/', '/audio/')) });
      got.lengths.push({ seq: e.seq, extinf: e.durationSec, rung: 'audio', video: null, sound: audioSpan(audioOnly) });
      return { e, ...got };
    });
    for (const got of perEntry) {
      heard.push(...got.heard);
      lengths.push(...got.lengths);
      for (const rung of RUNGS) {
        for (const f of got.frames[rung]!) {
          aired[rung]!.push(f.ts);
          stamps.push(f.ts - f.counter * FRAME_MS);
        }
      }
      decoded.push({ ...got.e, counters: got.counters, program: got.counters.some((c) => c > 0), heard: [] });
    }
    masterCounters.push(...(await mapOnCores(await masterSegmentFiles(s, id), async (f) => decodeCounters(await readFile(f)))).flat());
  }, 180_000);

  afterAll(async () => {
    stream?.close();
    feed?.stop();
    await encoder?.kill();
    await s?.close();
  });

  /** The first aired frame at or after `t`, and the last one before it. */
  const around = (rung: string, t: number) => {
    const xs = aired[rung]!;
    return { next: xs.find((x) => x >= t) ?? Number.NaN, prev: [...xs].reverse().find((x) => x < t) ?? Number.NaN };
  };

  describe('frame-exact program edges', () => {
    it('splices the segments edges fall in rather than carding them whole', () => {
      expect(records.filter((r) => r.spliced).length).toBeGreaterThanOrEqual(3);
    });

    it('starts and resumes on the frame captured at the command, within a frame, on every rung', () => {
      for (const rung of RUNGS) {
        for (const name of ['start', 'resume', 'resumeAfterCut']) {
          const e = edges[name]!;
          const first = around(rung, e.before - 3 * FRAME_MS).next;
          expect(first, `${rung} ${name}`).toBeGreaterThan(e.before);
          // The first frame to arrive after the answer is at most a frame after e.after; the edge
          // rounds inwards by one frame; output frames sit on the 1/30 s grid (half a frame). A
          // resume 1 s after a cut falls in a segment the cut dumped, which is carded whole (its
          // media is gone): the picture comes back at the next segment.
          const late = name === 'resumeAfterCut' ? 2_000 : 0;
          expect(first, `${rung} ${name}`).toBeLessThanOrEqual(e.after + 2.5 * FRAME_MS + 1 + late);
        }
      }
    });

    it('pauses and ends on the frame captured at the command, within a frame, on every rung', () => {
      for (const rung of RUNGS) {
        for (const name of ['pause', 'end']) {
          const e = edges[name]!;
          const last = around(rung, e.after + 3 * FRAME_MS).prev;
          expect(last, `${rung} ${name}`).toBeGreaterThanOrEqual(e.before - FRAME_MS - 1);
          expect(last, `${rung} ${name}`).toBeLessThanOrEqual(e.after + FRAME_MS);
        }
      }
    });

    it('airs nothing between a pause and its resume, and nothing the cut dumped', () => {
      for (const rung of RUNGS) {
        const xs = aired[rung]!;
        expect(xs.filter((x) => x > edges.pause!.after + FRAME_MS && x <= edges.resume!.before), rung).toEqual([]);
        expect(xs.filter((x) => x >= dumpedFromTs && x <= edges.resumeAfterCut!.before), rung).toEqual([]);
        // Before the cut the picture ran up to the last released instant, whole segments.
        expect(around(rung, dumpedFromTs).prev, rung).toBeGreaterThan(dumpedFromTs - 2_100);
      }
    });

    it('airs every frame between the edges: nothing on air is lost', () => {
      for (const rung of RUNGS) {
        const xs = new Set(aired[rung]!.map((x) => Math.round(x / FRAME_MS)));
        const from = Math.round(around(rung, edges.resume!.before).next / FRAME_MS);
        const to = Math.round(around(rung, dumpedFromTs).prev / FRAME_MS);
        const missing: number[] = [];
        for (let k = from; k <= to; k++) if (!xs.has(k)) missing.push(k);
        expect(to - from, rung).toBeGreaterThan(60);
        expect(missing, rung).toEqual([]);
      }
    });

    it('airs no sound made before the start, inside the pause or the cut, or after the end, on any rung', () => {
      const { offsetMs, strayMs } = codeOffset(heard);
      // Sound airs at its own timestamps on every rung (a re-stamped stretch would stray).
      expect(strayMs).toBeLessThan(15);
      const forbidden: Forbidden[] = [
        { name: 'before the start', start: Number.NEGATIVE_INFINITY, end: edges.start!.before },
        { name: 'the pause', start: edges.pause!.after + FRAME_MS, end: edges.resume!.before },
        { name: 'the dumped window', start: dumpedFromTs, end: edges.resumeAfterCut!.before },
        { name: 'after the end', start: edges.end!.after + FRAME_MS, end: Number.POSITIVE_INFINITY },
        { name: 'the retroactive mute', start: mute.start, end: mute.end },
      ];
      expect(mute.end - mute.start).toBeGreaterThan(900);
      expect(forbiddenSound(heard, forbidden, offsetMs, AAC_FRAME_MS)).toEqual([]);
    });

    it('airs the sound of every rung between the edges: the audio-only rung keeps step with the pictures', () => {
      const { offsetMs } = codeOffset(heard);
      for (const rung of ALL_RUNGS) {
        const aired = heard.filter((h) => h.label.startsWith(`${rung}/`)).flatMap((h) => h.spans.filter((x) => x.codeStart !== null).map((x) => ({ from: x.codeStart! * 1000 - offsetMs, to: x.codeEnd! * 1000 - offsetMs })));
        // From where the picture came back after the cut to the end, sound aired with at most a frame's gap.
        const from = around('180p', edges.resumeAfterCut!.before).next + FRAME_MS;
        const to = edges.end!.before - 2 * FRAME_MS;
        const gaps: string[] = [];
        let at = from;
        for (const x of aired.filter((y) => y.to > from && y.from < to).sort((a, b) => a.from - b.from)) {
          if (x.from - at > FRAME_MS) gaps.push(`${at.toFixed(0)}–${x.from.toFixed(0)}`);
          at = Math.max(at, x.to);
        }
        if (to - at > FRAME_MS) gaps.push(`${at.toFixed(0)}–${to.toFixed(0)}`);
        expect(gaps, rung).toEqual([]);
      }
    });

    it('airs the sound either side of the retroactive mute, on every rung', () => {
      const { offsetMs } = codeOffset(heard);
      for (const rung of ALL_RUNGS) {
        const spans = heard.filter((h) => h.label.startsWith(`${rung}/`)).flatMap((h) => h.spans).filter((x) => x.codeStart !== null);
        const at = (x: (typeof spans)[number]) => ({ from: x.codeStart! * 1000 - offsetMs, to: x.codeEnd! * 1000 - offsetMs });
        // Sound up to a frame before the mute and from two frames after it aired: the mute also
        // takes the frame dated just past its end, which may show a source captured before it.
        expect(spans.some((x) => at(x).from < mute.start - 300 && at(x).to > mute.start - FRAME_MS - AAC_FRAME_MS), rung).toBe(true);
        expect(spans.some((x) => at(x).from < mute.end + 2 * FRAME_MS + AAC_FRAME_MS && at(x).to > mute.end + 300), rung).toBe(true);
      }
    });
  });

  describe('the live path, as a viewer sees it', () => {
    it('lists each segment for as long as its picture plays, with its sound inside it, on every rung, under a target duration of the segment length', async () => {
      // RFC 8216: EXTINF is the segment's duration; the target is the longest EXTINF, rounded.
      // The picture lasts its EXTINF within a frame. The sound lies within the picture's span but
      // for less than one AAC frame at either end (the frame that straddles the cut goes to one
      // side or the other): no encoder priming or pre-roll before the picture, no frame too many.
      // The audio-only rung's sound lasts its EXTINF within one AAC frame.
      const aac = AAC_FRAME_MS / 1000;
      const off = lengths.flatMap((l) => (l.video !== null && Math.abs(l.video - l.extinf) > FRAME_MS / 1000 + 0.001 ? [`${l.rung}/${l.seq}: picture ${l.video.toFixed(3)} s, EXTINF ${l.extinf}`] : []));
      const soundOff = lengths.flatMap((l) => {
        if (!l.sound) return [`${l.rung}/${l.seq}: no sound`];
        const lasts = l.sound.end - l.sound.start;
        if (l.video === null || l.v0 === undefined) return Math.abs(lasts - l.extinf) < aac ? [] : [`${l.rung}/${l.seq}: sound ${lasts.toFixed(4)} s, EXTINF ${l.extinf}`];
        const early = l.v0 - l.sound.start;
        const late = l.sound.end - (l.v0 + l.video);
        return early < aac - 0.001 && late < aac - 0.001 ? [] : [`${l.rung}/${l.seq}: sound from ${(-early).toFixed(4)} to ${late.toFixed(4)} s about a ${l.video.toFixed(3)} s picture`];
      });
      expect(soundOff).toEqual([]);
      expect(lengths.filter((l) => l.video !== null).length).toBeGreaterThan(2 * 10);
      expect(off).toEqual([]);
      for (const rung of ALL_RUNGS) {
        const pl = strictParse(await (await fetch(`${s.base}/hls/hearings/${hearingId}/${rung}/index.m3u8`)).text()) as MediaPlaylist;
        expect(pl.targetDuration, rung).toBe(Math.max(2, ...pl.segments.map((x) => Math.round(x.duration))));
        expect(pl.targetDuration, rung).toBe(2);
      }
    });

    it('serves strictly valid master and media playlists', async () => {
      expect(feed.errors).toEqual([]);
      const master = await fetch(`${s.base}/hls/hearings/${hearingId}/master.m3u8`);
      expect(master.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
      expect(strictParse(await master.text()).isMasterPlaylist).toBe(true);
      for (const rung of ALL_RUNGS) {
        const res = await fetch(`${s.base}/hls/hearings/${hearingId}/${rung}/index.m3u8`);
        expect(res.status, rung).toBe(200);
        const text = await res.text();
        expect(text, rung).toContain('#EXT-X-ENDLIST');
        expect(text, rung).toContain('#EXT-X-PROGRAM-DATE-TIME');
        strictParse(text);
      }
    });

    it('never makes a frame public before its capture + D', () => {
      expect(decoded.filter((e) => e.program).length).toBeGreaterThan(4);
      expect(delayViolations(decoded, (c) => encoder.timeOf(c), D)).toEqual([]);
    });

    it('airs only frames captured inside the on-air intervals, on every rung', () => {
      const onAir = [
        [edges.start!.before, edges.pause!.after + FRAME_MS],
        [edges.resume!.before, dumpedFromTs],
        [edges.resumeAfterCut!.before, edges.end!.after + FRAME_MS],
      ] as const;
      for (const rung of RUNGS) {
        expect(aired[rung]!.length, rung).toBeGreaterThan(300);
        for (const t of aired[rung]!) expect(onAir.some(([a, b]) => t >= a && t <= b), `${rung}: a frame captured at ${t} ms aired off air`).toBe(true);
      }
    });

    it('shows slates where the program says: before the start, while paused, after the cut, and the end card', () => {
      const kinds = decoded.map((e) => (e.program ? 'P' : 'S')).join('');
      expect(kinds).toMatch(/^S+P+S+P+S+P+S+$/);
      expect(decoded.at(-1)?.program).toBe(false);
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

  describe('the cut', () => {
    /** The newest program frame the public could see right after the cut. */
    const releasedAtCut = () => Math.max(0, ...decoded.filter((e) => e.program && e.appearedAt <= seenAtCut).flatMap((e) => e.counters));

    it('reads each frame’s capture off its counter: one constant maps counters onto the encoder’s timestamps', () => {
      expect(stamps.length).toBeGreaterThan(600);
      expect(Math.max(...stamps) - Math.min(...stamps)).toBeLessThan(FRAME_MS / 2);
    });

    it('had captured picture inside the delay window when it came (the test is not vacuous)', () => {
      expect(releasedAtCut()).toBeGreaterThan(0);
      // Seconds of captured picture were still unreleased when the clerk cut, and the master has them.
      expect(edges.cut!.before - tsOf(releasedAtCut())).toBeGreaterThan(2_000);
      const dumpedInMaster = masterCounters.filter((c) => c > releasedAtCut() && tsOf(c) < edges.cut!.before);
      expect(dumpedInMaster.length).toBeGreaterThan(60);
    });

    it('never airs a frame captured between the last release and the resume, by the counters the public decoded', () => {
      const leaked = decoded.flatMap((e) => e.counters).filter((c) => c > releasedAtCut() && tsOf(c) <= edges.resumeAfterCut!.before);
      expect(leaked).toEqual([]);
    });

    it('switches the public to the slate at once and back to the picture after resume + D', () => {
      const afterCut = decoded.filter((e) => e.appearedAt > wall.cut!.after);
      expect(afterCut[0]?.program).toBe(false);
      const firstProgram = afterCut.find((e) => e.program);
      expect(firstProgram).toBeDefined();
      expect(firstProgram!.appearedAt).toBeGreaterThanOrEqual(wall.resumeAfterCut!.before + D);
    });

    it('keeps the master complete through the cut: no frame is missing from it', () => {
      const sorted = [...new Set(masterCounters.filter((c) => c > 0))].sort((a, b) => a - b);
      expect(sorted.length).toBeGreaterThan(600);
      expect(sorted.slice(1).filter((c, i) => c - sorted[i]! !== 1)).toEqual([]);
    });
  });

  describe('the public state events', () => {
    it('tell the story as it aired: scheduled, starting, live, paused, live, interrupted, live, ended', () => {
      expect(stream.status).toBe(200);
      expect(stream.contentType).toContain('text/event-stream');
      const seen = stream.states().filter((st, i, all) => all[i - 1] !== st);
      expect(seen).toEqual(['scheduled', 'starting', 'live', 'paused', 'live', 'interrupted', 'live', 'ended']);
      expect(stream.events.find((e) => e.state === 'live')?.delaySeconds).toBe(D / 1000);
    });

    it('say paused only once the paused slate airs, not when the clerk presses pause', () => {
      // A second after the pause the public still sees what aired before it: here the starting
      // slate, since the start itself (4.7 s before the pause, D = 8 s) had not aired yet.
      expect(stateJustAfterPause).toBe('starting');
      const paused = stream.events.find((e) => e.state === 'paused')!;
      // The slate covers capture from the pause on, so it cannot air before D has passed.
      expect(paused.at - wall.pause!.before).toBeGreaterThanOrEqual(D - 500);
    });

    it('refuse streams beyond the limit with 503 problem+json, and take new ones when others close', async () => {
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

    it('answer 404 problem+json for a hearing that is not public, and 400 for a malformed id', async () => {
      const hidden = await seedHearing(s, { isPublic: false });
      const res = await fetch(`${s.base}/public/hearings/${hidden.hearingId}/events`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('problem+json');
      expect((await fetch(`${s.base}/public/hearings/..%2Fx/events`)).status).toBe(400);
    });

    it('keep a replay off until a supervisor publishes it; withholding needs a reason; both audited; a withheld replay is not reachable', async () => {
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
});

/**
 * A start given over Socket.IO while the event loop is held: the command and a third of a second
 * of media wait in their sockets together, and the command is read first. Media is dated when it
 * is read, so without the command gate's wait (server/media/read-pulse.ts) that media would be
 * dated after the start's edge, and air.
 */
describe("a start's edge on a busy event loop", () => {
  let s: TestServer;
  let encoder: TestEncoder | undefined;
  let client: Socket | undefined;

  beforeAll(async () => {
    s = await startTestServer();
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    await encoder?.kill();
    await s?.close();
  });

  it('is taken only once the media that reached us before the command was read', async () => {
    const h = await seedHearing(s, { delaySeconds: 2 });
    expect((await s.api('POST', `/api/hearings/${h.hearingId}/broadcast/open`, {})).status).toBe(200);
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${h.streamKey}`, 'flv', Date.now()).start();
    await waitFor(() => (s.cc.ingest.clockOf(h.courtroomId)?.latest ?? 0) >= 1_000, 'the encoder to be dated', 20_000, 20);
    const clock = s.cc.ingest.clockOf(h.courtroomId)!;
    const c = (client = connect(`${s.base}/control`, { auth: { token: s.token }, transports: ['websocket'], reconnection: false, forceNew: true }));
    await new Promise((resolve) => c.once('connect', () => resolve(null)));
    // The command is on its socket, then the loop is held while the encoder goes on sending in
    // real time: a third of a second of media reaches the ingest's socket before the command is read.
    const lastRead = clock.latest!;
    const ack = c.timeout(10_000).emitWithAck('start', { hearingId: h.hearingId, idempotencyKey: `busy-loop-${Date.now()}` }) as Promise<{ ok: boolean }>;
    const until = Date.now() + 350;
    while (Date.now() < until);
    expect(await ack).toMatchObject({ ok: true });
    const edge = s.cc.broadcasts.live(h.hearingId)!.program.onAir[0]!.start;
    // Frames are sent about when they are stamped: those stamped up to 250 ms after the last one
    // read before the hold reached the socket during it, and must lie before the edge.
    expect(edge).toBeGreaterThanOrEqual(clock.captureOf(lastRead + 250)!);
  });
});
