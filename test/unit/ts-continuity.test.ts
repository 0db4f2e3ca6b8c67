import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aacFrameCount, continueCounters, counterSpans, firstPts, videoPts } from '../../server/media/ts-continuity.ts';

const run = promisify(execFile);

/** Two small real segments from FFmpeg, timestamps starting at 10 s: one second of 30 fps video and 48 kHz AAC each. */
describe('MPEG-TS surgery', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-ts-'));
  let a: Buffer;
  let b: Buffer;

  beforeAll(async () => {
    const src = ['-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=30', '-f', 'lavfi', '-i', 'sine=f=440:r=48000'];
    const enc = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-bf', '0', '-c:a', 'aac', '-ar', '48000', '-output_ts_offset', '10', '-muxdelay', '0', '-muxpreload', '0', '-f', 'mpegts'];
    await run('ffmpeg', ['-v', 'error', ...src, '-t', '1', ...enc, path.join(dir, 'a.ts')]);
    await run('ffmpeg', ['-v', 'error', ...src, '-t', '1', '-vf', 'negate', ...enc, path.join(dir, 'b.ts')]);
    a = await readFile(path.join(dir, 'a.ts'));
    b = await readFile(path.join(dir, 'b.ts'));
  }, 30_000);

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads every video frame’s timestamp and where video and audio begin', () => {
    const pts = videoPts(a);
    expect(pts).toHaveLength(30);
    expect(pts[0]).toBeCloseTo(10, 2);
    for (let k = 1; k < pts.length; k++) expect(pts[k]! - pts[k - 1]!).toBeCloseTo(1 / 30, 3);
    const first = firstPts(a);
    expect(first.video).toBeCloseTo(10, 2);
    expect(first.audio).not.toBeNull();
    expect(Math.abs(first.audio! - 10)).toBeLessThan(0.05);
  });

  it('counts the AAC frames of a second of sound', () => {
    // 48,000 samples a second, 1,024 a frame: 47 whole frames (the encoder may add one for priming).
    expect(aacFrameCount(a)).toBeGreaterThanOrEqual(46);
    expect(aacFrameCount(a)).toBeLessThanOrEqual(49);
  });

  it('rewrites continuity counters to start and end where the original’s did, per PID', () => {
    const original = counterSpans(a);
    const rewritten = continueCounters(b, a);
    const spans = counterSpans(rewritten);
    for (const [pid, span] of original) expect(spans.get(pid), `pid ${pid}`).toEqual(span);
    // The payload is the rendered one, not the original.
    expect(videoPts(rewritten)).toEqual(videoPts(b));
    expect(rewritten.length % 188).toBe(0);
  });

  it('refuses what is not a transport stream', () => {
    expect(() => videoPts(Buffer.alloc(188 * 2, 0x11))).toThrow(/sync/);
    expect(() => counterSpans(Buffer.alloc(100, 0x47))).toThrow(/multiple of 188/);
  });
});
