import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programStreamId, sourceStreamId } from '../../server/domain/courts.ts';
import { layoutTiles, type Tile } from '../../server/domain/layouts.ts';
import { GOP_HANDOVER_MAX_AGE_MS } from '../../server/ingest/gop-in-progress.ts';
import { backoffPolicy } from '../../server/media/restart-policy.ts';
import { readCounter } from '../../server/media/synthetic.ts';
import { videoPts } from '../../server/media/ts-continuity.ts';
import { Compositor } from '../../server/pipeline/compositor.ts';
import { FRAME_MS, TEST_FPS, TestEncoder } from '../support/encoder.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const W = 640;
const H = 360;

/** The counter of one camera's tile in every frame of a recording: the tile cut out, brought to the pattern's size and read. */
async function tileCounters(file: string, t: Tile): Promise<number[]> {
  const crop = `crop=${Math.round(t.w * W)}:${Math.round(t.h * H)}:${Math.round(t.x * W)}:${Math.round(t.y * H)}`;
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-vf', `${crop},scale=640:360,crop=640:40:0:0,format=gray`, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-'], { encoding: 'buffer', maxBuffer: 1 << 28 });
  const frame = 640 * 40;
  return Array.from({ length: Math.floor(stdout.length / frame) }, (_, k) => readCounter(stdout.subarray(k * frame, (k + 1) * frame)));
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The program composed from two cameras that reached the ingest three seconds apart, each with
 * its own timestamps: side by side, frames captured together are shown together, and the
 * composite's clock dates each frame no earlier than what its tiles show was captured.
 */
describe('the compositor: two cameras on one timeline, published back into the ingest', () => {
  let s: TestServer;
  let dir = '';
  let compositor: Compositor;
  const encoders: TestEncoder[] = [];
  const tiles = layoutTiles('side-by-side', ['room', 'bench']);
  let frames: { t: number; room: number; bench: number; dated: number | null }[] = [];
  let room: TestEncoder;
  let bench: TestEncoder;
  let streams = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'courtcast-compositor-'));
    s = await startTestServer();
    const seeded = await seedHearing(s, { delaySeconds: 2 });
    const set = await s.api<{ sources: { name: string; streamKey?: string }[] }>('PUT', `/api/courtrooms/${seeded.courtroomId}/sources`, [{ name: 'bench', label: 'Bench' }]);
    room = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    encoders.push(room);
    await elapse(3_000);
    // The bench camera's counters run far from the room's, so a tile says whose it is.
    bench = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${set.body.sources[0]!.streamKey}`, 'flv', Date.now() - 600_000).start();
    encoders.push(bench);
    const benchStream = sourceStreamId(seeded.courtroomId, 'bench');
    await waitFor(() => (s.cc.ingest.clockOf(benchStream)?.latest ?? 0) > 1_000 && (s.cc.ingest.clockOf(seeded.courtroomId)?.latest ?? 0) > 4_000, 'both cameras a while into their streams', 20_000, 50);
    const program = programStreamId(seeded.courtroomId);
    const key = s.cc.internalKeys.mint(program);
    compositor = new Compositor({
      hearingId: seeded.hearingId,
      cameras: [{ name: 'room', stream: seeded.courtroomId }, { name: 'bench', stream: benchStream }],
      layout: 'side-by-side',
      sound: 'room',
      width: W,
      height: H,
      fps: TEST_FPS,
      ingest: s.cc.ingest,
      publishKey: () => key,
      handoverMs: GOP_HANDOVER_MAX_AGE_MS,
      workDir: dir,
      ffmpegPath: 'ffmpeg',
      policy: backoffPolicy({ baseMs: 250, maxMs: 2_000, healthyMs: 10_000 }),
      logger: s.cc.logger,
    });
    compositor.start();
    await waitFor(() => s.cc.ingest.isPublishing(program), 'the program in the ingest', 20_000, 50);
    // A reader of the program, as the transcoder will be, keeping the program's own timestamps.
    const file = path.join(dir, 'program.ts');
    const reader = spawn('ffmpeg', ['-v', 'error', '-copyts', '-i', s.cc.ingest.pullUrl(program, { fromKeyframe: true }), '-frames:v', '120', '-c', 'copy', '-muxdelay', '0', '-muxpreload', '0', '-mpegts_copyts', '1', '-f', 'mpegts', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let readerErr = '';
    reader.stderr.on('data', (d: Buffer) => void (readerErr += d.toString()));
    const code = await new Promise((r) => reader.once('exit', r));
    expect(code, readerErr).toBe(0);
    
    const pts = videoPts(await readFile(file)).sort((a, b) => a - b);
    const [left, right] = await Promise.all(tiles.map((t) => tileCounters(file, t)));
    frames = pts.map((p, k) => ({ t: Math.round(p * 1000), room: left![k] ?? 0, bench: right![k] ?? 0, dated: compositor.clock?.captureOf(Math.round(p * 1000)) ?? null }));
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', file]);
    streams = [...new Set(stdout.split('\n').map((l) => l.trim()).filter(Boolean))].sort().join(',');
  }, 90_000);

  afterAll(async () => {
    await compositor?.close();
    for (const e of encoders) await e.kill();
    await s?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows each camera in its tile, with the named camera’s sound', () => {
    expect(frames.length).toBeGreaterThan(60);
    const both = frames.filter((f) => f.room > 0 && f.bench > 0);
    expect(both.length).toBeGreaterThan(frames.length * 0.8);
    // Each tile is its own camera's: the bench's counters are ten minutes of frames ahead.
    expect(both.every((f) => f.bench - f.room > 15_000)).toBe(true);
    expect(streams).toBe('audio,video');
  });

  it('shows frames captured together together: the cameras are aligned by capture time, not by their timestamps', () => {
    // The bench camera began three seconds later, so its timestamps trail the room's by three
    // seconds: composed by timestamps, its tile would show what it captured three seconds later.
    const apart = frames.filter((f) => f.room > 0 && f.bench > 0).map((f) => bench.timeOf(f.bench) - room.timeOf(f.room));
    expect(Math.abs(median(apart)), `the tiles' capture times apart: ${median(apart)} ms`).toBeLessThan(400);
  });

  it('dates each program frame by the cameras’ own clocks, never before what its tiles show was captured, and not long after', () => {
    const dated = frames.filter((f) => f.room > 0 && f.bench > 0 && f.dated !== null);
    expect(dated.length).toBeGreaterThan(frames.length * 0.8);
    for (const f of dated) {
      const shown = Math.max(room.timeOf(f.room), bench.timeOf(f.bench));
      // An encoder's counter is a little ahead of its frame reaching us (it started late), never behind.
      expect(f.dated!, `frame at ${f.t}`).toBeGreaterThanOrEqual(shown - FRAME_MS);
      expect(f.dated! - shown, `frame at ${f.t}`).toBeLessThan(1_500);
    }
  });
});
