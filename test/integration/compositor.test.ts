import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseRecord } from '../../server/delay/delay-line.ts';
import { programStreamId, sourceStreamId } from '../../server/domain/courts.ts';
import { layoutTiles, type Tile } from '../../server/domain/layouts.ts';
import { readCounter } from '../../server/media/synthetic.ts';
import { FRAME_MS, TestEncoder } from '../support/encoder.ts';
import { RtspCamera } from '../support/rtsp-camera.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { decodeFeed, PublicFeed, type DecodedEntry } from '../support/public-feed.ts';
import { heardMs, soundMadeWithin } from '../support/timecode.ts';
import { elapse, waitFor } from '../support/wait.ts';

const run = promisify(execFile);

/** The counter of one camera's tile in every frame of a recording: the tile cut out, brought to the pattern's size and read. */
async function tileCounters(file: string, t: Tile): Promise<number[]> {
  const crop = `crop=iw*${t.w}:ih*${t.h}:iw*${t.x}:ih*${t.y}`;
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-vf', `${crop},scale=640:360,crop=640:40:0:0,format=gray`, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-'], { encoding: 'buffer', maxBuffer: 1 << 28 });
  const frame = 640 * 40;
  return Array.from({ length: Math.floor(stdout.length / frame) }, (_, k) => readCounter(stdout.subarray(k * frame, (k + 1) * frame)));
}

/** The mean and spread of the grey level of a patch (fractions of the picture) in every frame. */
async function patchStats(file: string, r: { x: number; y: number; w: number; h: number }): Promise<{ mean: number; spread: number }[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-vf', `crop=iw*${r.w}:ih*${r.h}:iw*${r.x}:ih*${r.y},scale=16:8,format=gray`, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-'], { encoding: 'buffer', maxBuffer: 1 << 26 });
  return Array.from({ length: Math.floor(stdout.length / 128) }, (_, k) => {
    const px = [...stdout.subarray(k * 128, (k + 1) * 128)];
    return { mean: px.reduce((a, b) => a + b, 0) / px.length, spread: Math.max(...px) - Math.min(...px) };
  });
}

/** How long (s) a recording's sound runs, from its first AAC frame to the end of its last. */
async function soundSeconds(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file]);
  const pts = stdout.split('\n').map((l) => Number.parseFloat(l)).filter(Number.isFinite);
  return pts.length === 0 ? 0 : Math.max(...pts) - Math.min(...pts) + 1024 / 48_000;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A hearing whose courtroom composes its program from its own feed and a bench camera, pushed, and
 * a witness-box IP camera pulled over RTSP: the public sees the first two side by side, each tile
 * its own camera, never before capture + D and nothing from before the start; the clerk switches
 * the witness in and out; the master stays the courtroom's own feed as it came.
 */
describe('a hearing whose program is composed from its cameras, two pushed and one pulled', () => {
  const D = 2_000;
  let s: TestServer;
  let dir = '';
  let feed: PublicFeed;
  const encoders: TestEncoder[] = [];
  let room: TestEncoder;
  let bench: TestEncoder;
  const refused: Record<string, number> = {};
  let startedBefore = 0;
  /** When the newest sound that had reached us at the start was made (the room camera's, which airs). */
  let madeBeforeStart = 0;
  let heardAtStart: DecodedEntry[] = [];
  let aired: { seq: number; appearedAt: number; room: number[]; bench: number[] }[] = [];
  let masterCounters: number[] = [];
  let lostAt = 0;
  let maskAt = 0;
  let liftAt = 0;
  let maskRefused: Record<string, number> = {};
  let underMask: { room: number; bench: number }[] = [];
  let maskEntry: unknown;
  let afterLoss: { seq: number; room: number[]; bench: number[]; corner: { mean: number; spread: number }[]; soundSec: number }[] = [];
  let streams = '';
  const records: ReleaseRecord[] = [];
  let allGoneAt = 0;
  let switchRefused: Record<string, number> = {};
  let toThree = { sentAt: 0, answeredAt: 0 };
  let toBoth = { sentAt: 0, answeredAt: 0 };
  let switched: { seq: number; whole: number; room: number; large: number; witnessLower: { mean: number; spread: number } }[] = [];
  let switchEntries: unknown[] = [];
  let witnessMaskStatus = 0;
  let stalledAt = 0;
  let resumedAt = 0;
  let aroundStall: { seq: number; room: number[]; bench: number[]; corner: { mean: number; spread: number }[] }[] = [];
  // The witness box's IP camera, pulled over RTSP; its counters run twenty minutes of frames ahead.
  let witness: RtspCamera | undefined;
  const witnessEpoch = Date.now() - 1_200_000;
  const witnessTimeOf = (c: number) => witnessEpoch + c * FRAME_MS;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'courtcast-composed-'));
    s = await startTestServer();
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    const room_ = `/api/courtrooms/${seeded.courtroomId}`;
    witness = await RtspCamera.start({ epoch: witnessEpoch, user: 'court', password: 'witness-pass' });
    const witnessSource = { name: 'witness', label: 'Witness box', ingest: 'rtsp', camera: { url: witness.urlWith('court', 'witness-pass'), transport: 'tcp' } };
    const set = await s.api<{ sources: { name: string; streamKey?: string }[] }>('PUT', `${room_}/sources`, [{ name: 'bench', label: 'Bench' }, witnessSource]);
    // What a layout may name, checked at the edge and against the courtroom's cameras.
    refused.unknownCamera = (await s.api('PUT', `${room_}/program`, { layout: 'side-by-side', cameras: ['main', 'gallery'] })).status;
    refused.tooMany = (await s.api('PUT', `${room_}/program`, { layout: 'single', cameras: ['main', 'bench'] })).status;
    refused.twice = (await s.api('PUT', `${room_}/program`, { layout: 'side-by-side', cameras: ['bench', 'bench'] })).status;
    refused.sourceNamedMain = (await s.api('PUT', `${room_}/sources`, [{ name: 'main', label: 'Main' }])).status;
    expect((await s.api('PUT', `${room_}/program`, { layout: 'side-by-side', cameras: ['main', 'bench'], sound: 'main' })).status).toBe(200);
    refused.removeShown = (await s.api('PUT', `${room_}/sources`, [])).status;
    room = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    encoders.push(room);
    // The bench camera comes 2.5 s after the room's, so its timestamps trail the room's by as
    // much: composed by timestamps, its tile would show what it captured 2.5 s later. Its counters
    // run ten minutes of frames ahead of the room's, so a tile says whose it is.
    await elapse(2_500);
    bench = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${set.body.sources[0]!.streamKey}`, 'flv', Date.now() - 600_000).start();
    encoders.push(bench);
    await waitFor(() => s.cc.ingest.isPublishing(seeded.courtroomId) && s.cc.ingest.isPublishing(sourceStreamId(seeded.courtroomId, 'bench')), 'both cameras', 20_000, 50);
    // Opened, the hearing pulls the witness camera; the program does not show it yet, but reads it.
    expect((await s.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/open`, {})).status).toBe(200);
    await waitFor(() => s.cc.ingest.isPublishing(sourceStreamId(seeded.courtroomId, 'witness')), 'the witness camera pulled', 20_000, 50);
    // The compositor takes the witness in with a new run: the start falls in that run's first second.
    const programId = programStreamId(seeded.courtroomId);
    await waitFor(() => s.cc.broadcasts.live(seeded.hearingId)?.composing.includes('witness'), 'a compositor run reading the witness camera', 20_000, 5);
    // That run is spawned, not yet publishing: the program's clock then is an earlier run's, if any.
    const earlier = s.cc.ingest.clockOf(programId);
    await waitFor(() => {
      const c = s.cc.ingest.clockOf(programId);
      return c !== null && c !== earlier && s.cc.ingest.isPublishing(programId) && c.size >= 60;
    }, 'the program composed with the witness camera', 20_000, 20);
    feed = new PublicFeed(`${s.base}/hls/hearings/${seeded.hearingId}/180p/index.m3u8`).start(250);
    startedBefore = Date.now();
    // Its media up to this timestamp reached us before the start: made from the encoder's first frame on.
    madeBeforeStart = room.timeOf(room.firstFrame) + (s.cc.ingest.clockOf(seeded.courtroomId)?.latest ?? Number.POSITIVE_INFINITY);
    expect((await s.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/start`, {})).status).toBe(200);
    s.cc.broadcasts.live(seeded.hearingId)!.on('released', (r) => records.push(r));
    /** Every public entry not in `seen`, fetched and read tile by tile (with a patch's grey level, given one). */
    const decodeNew = async (seen: ReadonlySet<number>, patch?: { x: number; y: number; w: number; h: number }) => {
      await feed.poll();
      const out: { seq: number; appearedAt: number; room: number[]; bench: number[]; corner: { mean: number; spread: number }[]; soundSec: number }[] = [];
      for (const e of feed.sorted().filter((x) => !seen.has(x.seq))) {
        const file = path.join(dir, `${e.seq}.ts`);
        const res = await fetch(e.uri);
        if (res.status !== 200) continue;
        await writeFile(file, Buffer.from(await res.arrayBuffer()));
        const [l, r] = await Promise.all(layoutTiles('side-by-side', ['main', 'bench']).map((t) => tileCounters(file, t)));
        out.push({ seq: e.seq, appearedAt: e.appearedAt, room: l!, bench: r!, corner: patch ? await patchStats(file, patch) : [], soundSec: patch ? await soundSeconds(file) : 0 });
      }
      return out;
    };
    aired = await waitFor(async () => {
      const out = await decodeNew(new Set());
      return out.filter((e) => e.room.filter((c) => c > 0).length > 30).length >= 3 && out;
    }, 'three composed segments on the air', 60_000, 1_000);
    // Heard on the picture's rung and the audio-only one, from the first segment on.
    heardAtStart = await decodeFeed(feed);
    const { stdout: kinds } = await promisify(execFile)('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', path.join(dir, `${aired.at(-1)!.seq}.ts`)]);
    streams = [...new Set(kinds.split('\n').map((l) => l.trim()).filter(Boolean))].sort().join(',');
    const masterDir = path.join(s.cc.dirs.master, seeded.hearingId);
    const firstRun = (await readdir(masterDir)).filter((d) => /^m\d{4,9}$/.test(d)).sort()[0]!;
    const firstMaster = (await readdir(path.join(masterDir, firstRun))).filter((f) => f.endsWith('.ts')).sort()[0]!;
    const { stdout } = await promisify(execFile)('ffmpeg', ['-v', 'error', '-i', path.join(masterDir, firstRun, firstMaster), '-map', '0:v:0', '-vf', 'scale=640:360,crop=640:40:0:0,format=gray', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-'], { encoding: 'buffer', maxBuffer: 1 << 28 });
    masterCounters = Array.from({ length: Math.floor(stdout.length / (640 * 40)) }, (_, k) => readCounter(stdout.subarray(k * 640 * 40, (k + 1) * 640 * 40)));
    // A mask drawn on the room camera's top band (where its counter is) follows its tile: the
    // bench camera's counter, at the same height of the program, stays in the clear.
    const masks = `/api/hearings/${seeded.hearingId}/masks`;
    const band = { x: 0, y: 0, w: 1, h: 0.15 };
    maskRefused = {
      notShown: (await s.api('POST', masks, { kind: 'black', source: 'gallery', region: band, reason: 'test' })).status,
      noRegion: (await s.api('POST', masks, { kind: 'mute', source: 'main', reason: 'test' })).status,
      badName: (await s.api('POST', masks, { kind: 'black', source: 'Main!', region: band, reason: 'test' })).status,
    };
    maskAt = Date.now();
    const added = await s.api<{ mask: { id: string } }>('POST', masks, { kind: 'black', source: 'main', region: band, reason: 'the room camera shows a document' });
    expect(added.status).toBe(201);
    const seenSoFar = new Set(aired.map((e) => e.seq));
    const masked = await waitFor(async () => {
      const out = await decodeNew(seenSoFar);
      return out.some((e) => e.bench.some((c) => c > 15_000 && bench.timeOf(c) > maskAt + 3_000)) && out;
    }, 'the program three seconds into the mask', 60_000, 1_000);
    underMask = masked.flatMap((e) => e.room.map((c, k) => ({ room: c, bench: e.bench[k] ?? 0 })));
    maskEntry = (await s.api<{ action: string; params: { mask?: { id: string } } }[]>('GET', `/api/hearings/${seeded.hearingId}/audit`)).body.find((e) => e.action === 'mask' && e.params.mask?.id === added.body.mask.id)?.params;
    expect((await s.api('POST', `${masks}/${added.body.mask.id}/lift`, { reason: 'done' })).status).toBe(200);
    liftAt = Date.now();
    for (const e of masked) seenSoFar.add(e.seq);
    // Until the room camera's counter is back, so what follows the loss below is judged unmasked.
    await waitFor(async () => {
      const out = await decodeNew(seenSoFar);
      const back = out.some((e) => e.room.some((c) => c > 0 && room.timeOf(c) > liftAt));
      if (back) for (const e of out) seenSoFar.add(e.seq);
      return back;
    }, 'the room camera in the clear again', 60_000, 1_000);

    // The witness comes in: one large (the witness box's RTSP camera) and two small (the room, the
    // bench), then back to the two side by side. A mask drawn on the witness camera's lower half
    // before it is shown waits for it. Each switch is timed between the request and its answer.
    const lower = { x: 0, y: 0.5, w: 1, h: 0.5 };
    const witnessMask = await s.api<{ mask: { id: string } }>('POST', masks, { kind: 'black', source: 'witness', region: lower, reason: 'a protected witness' });
    witnessMaskStatus = witnessMask.status;
    const switchUrl = `/api/hearings/${seeded.hearingId}/program/switch`;
    switchRefused = {
      unknown: (await s.api('POST', switchUrl, { layout: 'single', cameras: ['gallery'] })).status,
      tooMany: (await s.api('POST', switchUrl, { layout: 'single', cameras: ['main', 'bench'] })).status,
      twice: (await s.api('POST', switchUrl, { layout: 'side-by-side', cameras: ['main', 'main'] })).status,
    };
    const timedSwitch = async (layout: string, cameras: string[]) => {
      const sentAt = Date.now();
      const r = await s.api('POST', switchUrl, { layout, cameras });
      expect(r.status).toBe(200);
      return { sentAt, answeredAt: Date.now() };
    };
    toThree = await timedSwitch('one-plus-three', ['witness', 'main', 'bench']);
    // Long enough for the witness to show even where the switch takes two seconds (CI's busy cores).
    await elapse(4_500);
    toBoth = await timedSwitch('side-by-side', ['main', 'bench']);
    const large = { source: 'witness', x: 0, y: 0, w: 0.75, h: 0.75 };
    switched = await waitFor(async () => {
      await feed.poll();
      const out: typeof switched = [];
      for (const e of feed.sorted().filter((x) => !seenSoFar.has(x.seq))) {
        const file = path.join(dir, `${e.seq}.ts`);
        const res = await fetch(e.uri);
        if (res.status !== 200) continue;
        await writeFile(file, Buffer.from(await res.arrayBuffer()));
        const [whole, left, big] = await Promise.all([{ source: '', x: 0, y: 0, w: 1, h: 1 }, layoutTiles('side-by-side', ['main'])[0]!, large].map((t) => tileCounters(file, t)));
        // The witness camera's lower half, in the large tile.
        const lowerHalf = await patchStats(file, { x: 0.05, y: 0.45, w: 0.65, h: 0.25 });
        out.push(...whole!.map((w, k) => ({ seq: e.seq, whole: w, room: left![k] ?? 0, large: big![k] ?? 0, witnessLower: lowerHalf[k]! })));
      }
      // Side by side again (the picture's top band black), the room camera a second past the switch back.
      const back = out.some((f) => f.whole === 0 && f.room > 0 && room.timeOf(f.room) > toBoth.answeredAt + 1_000 && room.timeOf(f.room) < Date.now());
      if (back) for (const seq of new Set(out.map((f) => f.seq))) seenSoFar.add(seq);
      return back && out;
    }, 'the program switched to the witness with the others small, and back to two', 60_000, 1_000);
    switchEntries = (await s.api<{ action: string; params: unknown }[]>('GET', `/api/hearings/${seeded.hearingId}/audit`)).body.filter((e) => e.action === 'switch').map((e) => e.params);
    expect((await s.api('POST', `${masks}/${witnessMask.body.mask.id}/lift`, { reason: 'done' })).status).toBe(200);

    // The bench camera hangs, its connection open: the compositor stops waiting for it, its tile
    // shows its card while the room camera goes on; once it sends again, it is back in its tile.
    const benchTile = layoutTiles('side-by-side', ['main', 'bench'])[1]!;
    bench.stall();
    stalledAt = Date.now();
    await elapse(4_500);
    bench.unstall();
    resumedAt = Date.now();
    aroundStall = await waitFor(async () => {
      const out = await decodeNew(seenSoFar, { x: benchTile.x + 0.02, y: benchTile.y + benchTile.h * 0.75, w: 0.08, h: benchTile.h * 0.2 });
      const back = out.some((e) => e.bench.some((c) => c > 15_000 && bench.timeOf(c) > resumedAt + 1_000 && bench.timeOf(c) < Date.now()));
      if (back) for (const e of out) seenSoFar.add(e.seq);
      return back && out;
    }, 'the bench camera back in its tile after it hung', 60_000, 1_000);

    // The courtroom's own camera, whose sound airs, is lost: its tile becomes its card, and the
    // program goes on with the bench camera and silence.
    await room.kill();
    lostAt = Date.now();
    const seen = seenSoFar;
    const roomTile = layoutTiles('side-by-side', ['main', 'bench'])[0]!;
    // The tile's lower corner, away from the card's words and the camera's counter.
    const corner = { x: roomTile.x + 0.02, y: roomTile.y + roomTile.h * 0.75, w: 0.08, h: roomTile.h * 0.2 };
    afterLoss = await waitFor(async () => {
      const out = await decodeNew(seen, corner);
      // Past the ten seconds a lost encoder's transcoder is given to work off its input.
      return out.some((e) => e.bench.some((c) => c > 15_000 && bench.timeOf(c) > lostAt + 12_000)) && out;
    }, 'the program twelve seconds past the loss', 60_000, 1_000);
    // Then the bench camera and the witness's too: with no camera left, the public gets the stand-by slate.
    await bench.kill();
    await witness.close();
    allGoneAt = Date.now();
    await waitFor(() => records.some((r) => r.outcome === 'standby' && r.captureEnd > allGoneAt), 'the stand-by slate once every camera is gone', 30_000, 250);
    // Eight phases in real time, each waiting on the public picture: 160 to 240 s in CI with the
    // machine to itself (ci93 ran out at 240 s with every phase passing its own wait).
  }, 360_000);

  afterAll(async () => {
    feed?.stop();
    for (const e of encoders) await e.kill();
    await witness?.close();
    await s?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes a layout only of the courtroom’s own cameras, each once, as many as it has tiles', () => {
    expect(refused).toEqual({ unknownCamera: 400, tooMany: 400, twice: 400, sourceNamedMain: 400, removeShown: 400 });
  });

  it('airs both cameras side by side, each in its own tile, aligned by capture time rather than their timestamps, with the named camera’s sound', () => {
    expect(streams).toBe('audio,video');
    const program = aired.filter((e) => e.room.filter((c) => c > 0).length > 30);
    expect(program.length).toBeGreaterThanOrEqual(3);
    for (const [n, e] of program.entries()) {
      const both = e.room.map((c, k) => [c, e.bench[k] ?? 0] as const).filter(([a, b]) => a > 0 && b > 0);
      // The first may open before a camera's first keyframe reached the compositor; every later one shows both.
      expect(both.length, `entry ${e.seq}`).toBeGreaterThan(n === 0 ? 0 : e.room.length * 0.8);
      expect(both.every(([a, b]) => b - a > 15_000), `entry ${e.seq}`).toBe(true);
      // Side by side frames were captured together, within a few frames.
      expect(Math.abs(median(both.map(([a, b]) => bench.timeOf(b) - room.timeOf(a)))), `entry ${e.seq}`).toBeLessThan(400);
    }
  });

  it('airs no tile before its capture + D, and nothing captured before the start', () => {
    for (const e of aired) {
      const shown = [...e.room.filter((c) => c > 0).map((c) => room.timeOf(c)), ...e.bench.filter((c) => c > 0 && c > 15_000).map((c) => bench.timeOf(c))];
      if (shown.length === 0) continue;
      expect(e.appearedAt - Math.max(...shown), `entry ${e.seq}`).toBeGreaterThanOrEqual(D);
      // Dated by the cameras' own clocks, not by when the compositor got round to a frame: it
      // airs within a segment or two of its capture + D.
      expect(e.appearedAt - Math.max(...shown), `entry ${e.seq}`).toBeLessThan(D + 8_000);
      // Nothing the room camera made before its newest frame to reach us before the start (the
      // ingest's own record, as the sound's check reads it), within the edge's frame; the bench
      // camera's frames by their counters' estimate, which runs a little ahead of their arrival.
      const roomShown = e.room.filter((c) => c > 0).map((c) => room.timeOf(c));
      if (roomShown.length > 0) expect(Math.min(...roomShown), `entry ${e.seq}`).toBeGreaterThan(madeBeforeStart - FRAME_MS - 1);
      expect(Math.min(...shown), `entry ${e.seq}`).toBeGreaterThan(startedBefore - 500);
    }
  });

  it('airs no sound made before the start, on the picture’s rung or the audio-only one, by ear', () => {
    expect(soundMadeWithin(heardAtStart, room.epoch, { name: 'before the start', start: Number.NEGATIVE_INFINITY, end: madeBeforeStart })).toEqual([]);
    // Not vacuous: each rung carried the sound camera's, from soon after the start (within two
    // segments: in CI the compositor's new run, taking the witness in, once published later than
    // the start; the sound from 43 ms after it aired on a quiet machine).
    for (const rung of ['180p', 'audio']) {
      const own = heardAtStart.map((e) => ({ ...e, heard: e.heard.filter((h) => h.label.startsWith(`${rung}/`)) }));
      expect(heardMs(own), rung).toBeGreaterThan(3_000);
      expect(soundMadeWithin(own, room.epoch, { name: 'soon after the start', start: madeBeforeStart, end: madeBeforeStart + 4_000 }), rung).not.toEqual([]);
    }
  });

  it('shows a lost camera as its “camera unavailable” tile within two seconds, not a stand-by slate: the other camera goes on, and so does the sound, silent', () => {
    // No stand-by slate: every entry after the loss carries the bench camera, and sound throughout.
    for (const e of afterLoss) {
      // Should it fail: what the entry showed, and what the delay line said it released.
      const r = records.find((x) => x.seq === e.seq);
      const what = JSON.stringify({ frames: e.bench.length, bench: [...new Set(e.bench)].slice(0, 8), room: [...new Set(e.room)].slice(0, 8), corner: e.corner[0], released: r && { outcome: r.outcome, reason: r.reason, run: r.run, masked: r.masked, spliced: r.spliced, capture: [r.captureStart - lostAt, r.captureEnd - lostAt] } });
      expect(e.bench.filter((c) => c > 15_000).length, `entry ${e.seq}: ${what}`).toBeGreaterThan(e.bench.length * 0.8);
      expect(e.soundSec, `entry ${e.seq}`).toBeGreaterThan((e.bench.length / 30) * 0.8);
    }
    expect(records.filter((r) => r.outcome === 'standby' && r.captureStart > lostAt && r.captureStart < allGoneAt - 1_000).map((r) => `${r.seq}: ${r.reason}`)).toEqual([]);
    const frames = afterLoss.flatMap((e) => e.bench.map((c, k) => ({ at: c > 15_000 ? bench.timeOf(c) : 0, room: e.room[k] ?? 0, corner: e.corner[k]! })));
    const late = frames.filter((f) => f.at > lostAt + 2_000);
    expect(late.length).toBeGreaterThan(20);
    for (const f of late) {
      expect(f.room, `at ${f.at - lostAt} ms`).toBe(0);
      // The slates' colour (grey level about 40), flat: not black, not a picture.
      expect(f.corner.mean, `at ${f.at - lostAt} ms`).toBeGreaterThan(25);
      expect(f.corner.mean, `at ${f.at - lostAt} ms`).toBeLessThan(60);
      expect(f.corner.spread, `at ${f.at - lostAt} ms`).toBeLessThan(20);
    }
  });

  it('shows a camera that hangs as its card within two seconds, the others going on, and takes it back once it sends again', () => {
    const frames = aroundStall.flatMap((e) => e.room.map((c, k) => ({ at: c > 0 ? room.timeOf(c) : 0, bench: e.bench[k] ?? 0, corner: e.corner[k]! })));
    const hung = frames.filter((f) => f.at > stalledAt + 2_000 && f.at < resumedAt);
    // The room camera goes on through the hang: its frames for most of it.
    expect(hung.length, JSON.stringify(aroundStall.map((e) => ({ seq: e.seq, released: records.find((r) => r.seq === e.seq)?.outcome })))).toBeGreaterThan(20);
    for (const f of hung) {
      expect(f.bench, `at ${f.at - stalledAt} ms`).toBe(0);
      expect(f.corner.mean, `at ${f.at - stalledAt} ms`).toBeGreaterThan(25);
      expect(f.corner.mean, `at ${f.at - stalledAt} ms`).toBeLessThan(60);
      expect(f.corner.spread, `at ${f.at - stalledAt} ms`).toBeLessThan(20);
    }
    // And the public is not given a stand-by slate for it, but for one segment at most: at this
    // test's 2 s delay the hang's 1.5 s comes on top of the compositor's lag, which in CI beside
    // other files once outlasted the delay and its 4.5 s grace (at the 10 s courts use, never).
    expect(records.filter((r) => r.outcome === 'standby' && r.captureEnd > stalledAt && r.captureStart < resumedAt).map((r) => `${r.seq}: ${r.reason}`).length).toBeLessThanOrEqual(1);
  });

  it('falls back to the stand-by slate once every camera of the program is gone', () => {
    expect(records.filter((r) => r.outcome === 'standby' && r.captureEnd > allGoneAt).length).toBeGreaterThan(0);
  });

  it('keeps a mask drawn on one camera on that camera’s tile: the room camera’s top band is black, the bench camera’s beside it is not', () => {
    expect(maskRefused).toEqual({ notShown: 409, noRegion: 400, badName: 400 });
    const late = underMask.filter((f) => f.bench > 15_000 && bench.timeOf(f.bench) > maskAt + 1_000 && bench.timeOf(f.bench) < liftAt - 500);
    expect(late.length).toBeGreaterThan(30);
    // Captured well inside the mask: the room tile's counter is covered, the bench's reads on.
    expect(late.filter((f) => f.room !== 0)).toEqual([]);
    // The record keeps what the clerk drew and on which camera, beside where it landed.
    expect(maskEntry).toMatchObject({ drawnOn: { source: 'main', region: { x: 0, y: 0, w: 1, h: 0.15 } }, mask: { region: { x: 0, y: 0.25, w: 0.5 } } });
  });

  it('switches layout and cameras at the frame captured at the command, a mask drawn on a camera going on with it', () => {
    expect(switchRefused).toEqual({ unknown: 400, tooMany: 400, twice: 400 });
    expect(witnessMaskStatus).toBe(201);
    expect(switchEntries).toEqual([
      { layout: 'one-plus-three', cameras: ['witness', 'main', 'bench'] },
      { layout: 'side-by-side', cameras: ['main', 'bench'] },
    ]);
    const now = Date.now();
    const three = switched.filter((f) => f.large > 30_000 && witnessTimeOf(f.large) < now);
    const beside = switched.filter((f) => f.whole === 0 && f.room > 0 && room.timeOf(f.room) < now);
    // The witness in the large tile only from what it captured after the switch, until the switch back.
    expect(three.length, `what the large tile read, side by side aside: ${JSON.stringify(switched.filter((f) => f.whole !== 0).map((f) => f.large))}`).toBeGreaterThan(20);
    for (const f of three) {
      expect(witnessTimeOf(f.large), 'the witness from before the switch').toBeGreaterThan(toThree.sentAt - 300);
      expect(witnessTimeOf(f.large), 'the witness from after the switch back').toBeLessThan(toBoth.answeredAt);
    }
    // Nothing side by side captured between the two.
    const besideBetween = beside.filter((f) => room.timeOf(f.room) > toThree.answeredAt && room.timeOf(f.room) < toBoth.sentAt - 300);
    expect(besideBetween.map((f) => room.timeOf(f.room) - toThree.answeredAt)).toEqual([]);
    // Each switch shows within the compositor's lag behind capture (what a switch changes is black
    // meanwhile): a few frames on a quiet machine, 1.2 s beside a CPU hog, about 2.2 s in CI.
    expect(Math.min(...three.map((f) => witnessTimeOf(f.large))) - toThree.answeredAt).toBeLessThan(3_500);
    expect(Math.min(...beside.filter((f) => room.timeOf(f.room) > toBoth.sentAt).map((f) => room.timeOf(f.room))) - toBoth.answeredAt).toBeLessThan(3_500);
    // The mask drawn on the witness camera before it was shown covers its lower half in the large tile.
    for (const f of three) expect(f.witnessLower.mean, `the witness at ${witnessTimeOf(f.large) - toThree.answeredAt} ms`).toBeLessThan(20);
  });

  it('keeps the master as the courtroom’s own feed came, not the composition', () => {
    const counted = masterCounters.filter((c) => c > 0);
    expect(counted.length).toBeGreaterThan(30);
    // Read across the whole picture's top, as the room's encoder drew it: its own counters in order.
    expect(counted.every((c, i) => i === 0 || c === counted[i - 1]! + 1)).toBe(true);
    expect(Math.max(...counted)).toBeLessThan(15_000);
  });
});
