import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegMaskRenderer } from '../../server/delay/mask-renderer.ts';
import { audioEncodeOptions, hlsOutput, videoEncodeOptions, type RungOptions } from '../../server/media/args.ts';
import { counterSpans, firstPts } from '../../server/media/ts-continuity.ts';
import { decodeFrames, dominantHz, regionStats } from '../support/public-feed.ts';

const run = promisify(execFile);
const RUNG: RungOptions = { name: '360p', height: 360, videoKbps: 600, audioKbps: 64 };
const BOX = { x: 0.2, y: 0.25, w: 0.3, h: 0.3 };

/** What a demuxer says about a stream, warnings included ("Packet corrupt" on a counter jump). */
async function complaints(file: string): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'warning', '-i', file, '-f', 'null', '-']);
  return stderr.trim();
}

/** Video packet timestamps and audio packet timestamps of a TS file. */
async function packetTimes(file: string, stream: 'v' | 'a'): Promise<string[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts', '-of', 'csv=p=0', file]);
  return stdout.split('\n').map((l) => l.replace(/,+$/, '')).filter(Boolean);
}

/** Per-frame hashes of the decoded video, to tell a stream copy from a re-encode. */
async function frameHashes(file: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'framemd5', '-']);
  return stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(',').at(-1)!.trim());
}

/** RMS in dBFS of the audio of a file between two offsets from its start, in seconds. */
async function rmsBetween(file: string, from: number, to: number): Promise<number> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:a:0', '-ac', '1', '-ar', '48000', '-f', 's16le', '-'], { encoding: 'buffer', maxBuffer: 1 << 24 });
  let sum = 0;
  let n = 0;
  for (let i = Math.floor(from * 48_000); i < Math.min(to * 48_000, stdout.length / 2); i++, n++) sum += (stdout.readInt16LE(i * 2) / 32768) ** 2;
  return 10 * Math.log10(sum / n || 1e-12);
}

describe('a mask render is a drop-in replacement for the segment it masks', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-render-'));
  const seg = (i: number) => path.join(dir, `00000${i}.ts`);
  let rendered: Record<string, string> = {};
  let voiced: Record<string, string> = {};

  beforeAll(async () => {
    // Three segments cut exactly as the live transcode cuts them.
    const out = hlsOutput(dir, 2, 0);
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '6', '-map', '0:v', ...videoEncodeOptions(RUNG, 30, 2), '-map', '1:a', ...audioEncodeOptions(64), ...out.options, out.target]);
    const renderer = new FfmpegMaskRenderer({ ffmpegPath: 'ffmpeg', ladder: [RUNG], fps: 30, segmentSeconds: 2, workDir: path.join(dir, 'work'), logger: pino({ level: 'silent' }) });
    rendered = await renderer.render({ id: 'seg1', files: { '360p': seg(1) }, masks: [{ kind: 'black', region: BOX, from: 0.5, to: 1.5 }, { kind: 'mute', from: 0.5, to: 1.5 }] });
    voiced = await renderer.render({ id: 'seg1-voice', files: { '360p': seg(1) }, masks: [{ kind: 'voice', pitch: 0.75, from: 0, to: 2 }] });
  }, 60_000);

  afterAll(async () => (process.env.KEEP ? undefined : rm(dir, { recursive: true, force: true })));

  it('keeps every video and audio timestamp of the original', async () => {
    for (const file of [rendered['360p']!, voiced['360p']!]) {
      expect(await packetTimes(file, 'v')).toEqual(await packetTimes(seg(1), 'v'));
      expect(await packetTimes(file, 'a')).toEqual(await packetTimes(seg(1), 'a'));
      expect(firstPts(await readFile(file))).toEqual(firstPts(await readFile(seg(1))));
    }
  });

  it('carries the continuity counters on, so neighbours follow on with no corrupt packet', async () => {
    const original = counterSpans(await readFile(seg(1)));
    for (const file of [rendered['360p']!, voiced['360p']!]) {
      expect(counterSpans(await readFile(file))).toEqual(original);
      const joined = path.join(dir, 'joined.ts');
      await writeFile(joined, Buffer.concat([await readFile(seg(0)), await readFile(file), await readFile(seg(2))]));
      expect(await complaints(joined)).toBe('');
    }
    const playlist = (await readFile(path.join(dir, 'index.m3u8'), 'utf8')).replace('000001.ts', path.relative(dir, rendered['360p']!));
    await writeFile(path.join(dir, 'replaced.m3u8'), playlist);
    expect(await complaints(path.join(dir, 'replaced.m3u8'))).toBe('');
  });

  it('masks exactly the frames in its window, and the sound there', async () => {
    const frames = await decodeFrames(await readFile(rendered['360p']!));
    expect(frames).toHaveLength(60);
    const black = frames.map((f) => regionStats(f, BOX).mean < 20);
    expect(black.map((b, i) => (b ? i : -1)).filter((i) => i >= 0)).toEqual(Array.from({ length: 30 }, (_, i) => 15 + i));
    expect(await rmsBetween(rendered['360p']!, 0.55, 1.45)).toBeLessThan(-60);
    expect(await rmsBetween(rendered['360p']!, 1.6, 1.95)).toBeGreaterThan(-30);
  });

  it('copies the picture untouched when only the sound is masked, and shifts the voice by its ratio', async () => {
    expect(await frameHashes(voiced['360p']!)).toEqual(await frameHashes(seg(1)));
    expect(Math.abs((await dominantHz(await readFile(voiced['360p']!))) - 440 * 0.75)).toBeLessThan(10);
  });
});
