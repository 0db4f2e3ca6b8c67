import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IngestClock } from '../../server/ingest/ingest-clock.ts';
import { readListed, SegmentWatcher, type CompletedSegment } from '../../server/pipeline/segment-watcher.ts';

const run = promisify(execFile);
const rungs = ['hi', 'audio'];

/** Writes a rung's playlist as FFmpeg would, listing segments `from`..`to` of `seconds` each. */
function list(dir: string, rung: string, from: number, to: number, seconds = 2): void {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${from}`];
  for (let i = from; i <= to; i++) {
    const file = path.join(dir, rung, `${i}.ts`);
    writeFileSync(file, Buffer.alloc(188, 0x47));
    lines.push(`#EXTINF:${seconds.toFixed(6)},`, `${i}.ts`);
  }
  writeFileSync(path.join(dir, rung, 'index.m3u8'), `${lines.join('\n')}\n`);
}

describe('segment watcher', () => {
  let dir: string;
  let now: number;
  let out: CompletedSegment[];
  let undated: string[];
  const watcher = (extra: Partial<ConstructorParameters<typeof SegmentWatcher>[0]> = {}) =>
    new SegmentWatcher({ run: 3, rungs, playlistOf: (r) => path.join(dir, r, 'index.m3u8'), slackMs: 250, runStartedAt: 1_000_000, now: () => now, onSegment: (s) => out.push(s), onUndated: (why) => undated.push(why), ...extra });

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cc-watch-'));
    for (const r of rungs) mkdirSync(path.join(dir, r));
    now = 1_010_000;
    out = [];
    undated = [];
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('emits a segment once every rung lists it, in order, with bounds it can prove', async () => {
    const w = watcher();
    list(dir, 'hi', 0, 1);
    list(dir, 'audio', 0, 0);
    await w.poll();
    expect(out.map((s) => s.index)).toEqual([0]);
    now += 500;
    list(dir, 'audio', 0, 1);
    await w.poll();
    expect(out.map((s) => s.index)).toEqual([0, 1]);
    const [first, second] = out as [CompletedSegment, CompletedSegment];
    // End: when any rung first listed it (every frame of it was in by then); start: the earlier
    // of two lower bounds (listing minus duration and slack; spawn plus the media before it).
    expect(first.captureEnd).toBe(1_010_000);
    expect(first.captureStart).toBe(Math.min(1_010_000 - 2_000 - 250, 1_000_000));
    expect(second.captureEnd).toBe(1_010_000);
    expect(second.captureStart).toBe(Math.min(1_010_000 - 2_000 - 250, 1_000_000 + 2_000));
    expect(Object.keys(first.files).sort()).toEqual(['audio', 'hi']);
    expect(first.frames).toBeUndefined();
    expect(w.lastCaptureEnd).toBe(1_010_000);
  });

  it('lists a segment for as long as its picture lasts, and bounds it by the longest rung', async () => {
    // FFmpeg's audio-only playlist runs to the AAC frame that straddles the cut; the video rung's is the picture.
    const w = watcher({ datingRung: 'hi', runStartedAt: 1_009_000 });
    list(dir, 'hi', 0, 0, 2);
    list(dir, 'audio', 0, 0, 2.0213);
    await w.poll();
    expect(out[0]?.durationSec).toBe(2);
    expect(out[0]?.captureStart).toBe(Math.floor(1_010_000 - 2_021.3 - 250));
  });

  it('reads a missing or half-written playlist as nothing yet', async () => {
    const w = watcher();
    writeFileSync(path.join(dir, 'hi', 'index.m3u8'), '#EXTM3U\n#EXTINF:2.0');
    await w.poll();
    expect(out).toEqual([]);
  });

  it('dates frames on the ingest clock, and stops using a clock whose timestamps run backwards', async () => {
    // Two real segments whose video is stamped from 10 s, then one stamped from 0 s (another connection).
    const enc = (offset: number, file: string) =>
      run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=30', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-output_ts_offset', String(offset), '-muxdelay', '0', '-muxpreload', '0', '-f', 'mpegts', file]);
    await Promise.all([enc(10, path.join(dir, 'a.ts')), enc(12, path.join(dir, 'b.ts')), enc(0, path.join(dir, 'c.ts'))]);
    const clock = new IngestClock(600_000);
    for (let t = 0; t <= 14_000; t += 20) clock.observe(t, 2_000_000 + t);
    const w = watcher({ clock, datingRung: 'hi', fps: 30 });
    list(dir, 'hi', 0, 2);
    list(dir, 'audio', 0, 2);
    for (const [i, src] of ['a', 'b', 'c'].entries()) await copyFile(path.join(dir, `${src}.ts`), path.join(dir, 'hi', `${i}.ts`));
    await w.poll();
    expect(out).toHaveLength(3);
    const [a, b, c] = out as [CompletedSegment, CompletedSegment, CompletedSegment];
    expect(a.frames).toHaveLength(60);
    expect(a.pts?.[0]).toBeCloseTo(10, 2);
    // Frame k of the first segment is dated at the clock's reading just past its timestamp.
    expect(a.frames![0]).toBeGreaterThanOrEqual(2_010_000);
    expect(a.frames![0]! - 2_010_000).toBeLessThanOrEqual(40);
    expect(b.captureStart).toBeGreaterThanOrEqual(a.frames!.at(-1)! - 40);
    expect(c.frames).toBeUndefined();
    expect(undated).toEqual(['timestamps ran backwards']);
  }, 30_000);

  it('reads a missing playlist as nothing yet, but an empty or broken one as a fault, without printing', async () => {
    const file = path.join(dir, 'hi', 'index.m3u8');
    expect(await readListed(file)).toEqual({ ok: true, segments: [] });
    const printed: unknown[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => void printed.push(args);
    try {
      writeFileSync(file, '');
      expect(await readListed(file)).toEqual({ ok: false, why: 'the playlist is empty' });
      writeFileSync(file, '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n0.ts\n#EXT-X-MEDIA-SEQUENCE:4\n#EXTINF:');
      expect(await readListed(file)).toMatchObject({ ok: false });
      writeFileSync(file, 'not a playlist at all');
      expect(await readListed(file)).toMatchObject({ ok: false });
    } finally {
      console.error = error;
    }
    expect(printed).toEqual([]);
  });

  it('tells when a rung’s playlist cannot be read, and when it reads again, and takes nothing from it meanwhile', async () => {
    const faults: [string, string | null][] = [];
    const w = watcher({ onUnreadable: (rung, why) => faults.push([rung, why]) });
    list(dir, 'hi', 0, 0);
    writeFileSync(path.join(dir, 'audio', 'index.m3u8'), '');
    await w.poll();
    await w.poll();
    expect(out).toEqual([]);
    expect(faults).toEqual([['audio', 'the playlist is empty'], ['audio', 'the playlist is empty']]);
    list(dir, 'audio', 0, 0);
    await w.poll();
    expect(faults.at(-1)).toEqual(['audio', null]);
    expect(out.map((s) => s.index)).toEqual([0]);
  });
});
