import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegMaskRenderer } from '../../server/delay/mask-renderer.ts';
import { slateSpec, transcodeSpec, type RungOptions } from '../../server/media/args.ts';
import { runFfmpeg } from '../../server/media/run.ts';
import { slateCard } from '../../server/delay/slates.ts';
import { withSyntheticTone } from '../../server/media/synthetic.ts';
import { counterSpans, firstPts } from '../../server/media/ts-continuity.ts';
import { decodeFrames, dominantHz, regionStats } from '../support/public-feed.ts';
import { MASK_KINDS, maskPolicy, type Mask } from '../../server/domain/masks.ts';
import { applyAction, decide, emptyProgram, type BroadcastProgram, type ProgramAction } from '../../server/domain/program.ts';
import { segmentMasks } from '../../server/delay/render-plan.ts';
import type { CompletedSegment } from '../../server/pipeline/segment-watcher.ts';

const run = promisify(execFile);
const RUNG: RungOptions = { name: '360p', height: 360, videoKbps: 600, audioKbps: 64 };
const LADDER: RungOptions[] = [RUNG, { name: '180p', height: 180, videoKbps: 250, audioKbps: 64 }, { name: 'audio', audioKbps: 64 }];
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
  const seg = (rung: string, i: number) => path.join(dir, rung, `00000${i}.ts`);
  let rendered: Record<string, string> = {};
  let voiced: Record<string, string> = {};

  beforeAll(async () => {
    // Three segments of every rung, cut by one FFmpeg exactly as the live transcode cuts them.
    const spec = transcodeSpec({ input: { url: 'testsrc2=size=640x360:rate=30', options: ['-f', 'lavfi'] }, ladder: LADDER, segmentSeconds: 2, fps: 30, pendingDir: (rung) => path.join(dir, rung) });
    for (const r of LADDER) mkdirSync(path.join(dir, r.name), { recursive: true });
    await run('ffmpeg', withSyntheticTone(spec, 6.5));
    const renderer = new FfmpegMaskRenderer({ ffmpegPath: 'ffmpeg', ladder: LADDER, fps: 30, segmentSeconds: 2, workDir: path.join(dir, 'work'), logger: pino({ level: 'silent' }) });
    const files = Object.fromEntries(LADDER.map((r) => [r.name, seg(r.name, 1)]));
    rendered = await renderer.render({ id: 'seg1', files, masks: [{ kind: 'black', region: BOX, from: 0.5, to: 1.5 }, { kind: 'mute', from: 0.5, to: 1.5 }] });
    voiced = await renderer.render({ id: 'seg1-voice', files, masks: [{ kind: 'voice', pitch: 0.75, from: 0, to: 2 }] });
  }, 60_000);

  afterAll(async () => (process.env.KEEP ? undefined : rm(dir, { recursive: true, force: true })));

  it('keeps every video and audio timestamp of the original, on every rung', async () => {
    for (const r of LADDER) {
      for (const file of [rendered[r.name]!, voiced[r.name]!]) {
        if (r.height !== undefined) expect(await packetTimes(file, 'v'), r.name).toEqual(await packetTimes(seg(r.name, 1), 'v'));
        expect(await packetTimes(file, 'a'), r.name).toEqual(await packetTimes(seg(r.name, 1), 'a'));
        expect(firstPts(await readFile(file)), r.name).toEqual(firstPts(await readFile(seg(r.name, 1))));
      }
    }
  });

  it('carries the continuity counters on, so neighbours follow on with no corrupt packet', async () => {
    for (const r of LADDER) {
      const original = counterSpans(await readFile(seg(r.name, 1)));
      for (const file of [rendered[r.name]!, voiced[r.name]!]) {
        expect(counterSpans(await readFile(file)), r.name).toEqual(original);
        const joined = path.join(dir, 'joined.ts');
        await writeFile(joined, Buffer.concat([await readFile(seg(r.name, 0)), await readFile(file), await readFile(seg(r.name, 2))]));
        expect(await complaints(joined), r.name).toBe('');
      }
      const playlist = (await readFile(path.join(dir, r.name, 'index.m3u8'), 'utf8')).replace('000001.ts', path.relative(path.join(dir, r.name), rendered[r.name]!));
      await writeFile(path.join(dir, r.name, 'replaced.m3u8'), playlist);
      expect(await complaints(path.join(dir, r.name, 'replaced.m3u8')), r.name).toBe('');
    }
  });

  it('masks exactly the frames in its window on every video rung, and the sound there', async () => {
    for (const r of LADDER) {
      if (r.height !== undefined) {
        const frames = await decodeFrames(await readFile(rendered[r.name]!));
        expect(frames, r.name).toHaveLength(60);
        const black = frames.map((f) => regionStats(f, BOX).mean < 20);
        expect(black.map((b, i) => (b ? i : -1)).filter((i) => i >= 0), r.name).toEqual(Array.from({ length: 30 }, (_, i) => 15 + i));
      }
      expect(await rmsBetween(rendered[r.name]!, 0.55, 1.45), r.name).toBeLessThan(-60);
      expect(await rmsBetween(rendered[r.name]!, 1.6, 1.95), r.name).toBeGreaterThan(-30);
    }
  });

  it('does not start a render that cannot finish before its segment is released', async () => {
    const renderer = new FfmpegMaskRenderer({ ffmpegPath: 'ffmpeg', ladder: LADDER, fps: 30, segmentSeconds: 2, workDir: path.join(dir, 'late'), logger: pino({ level: 'silent' }) });
    const files = Object.fromEntries(LADDER.map((r) => [r.name, seg(r.name, 1)]));
    await expect(renderer.render({ id: 'late', files, masks: [{ kind: 'mute', from: 0, to: 2 }], deadline: Date.now() - 1 })).rejects.toThrow(/before its release/);
    // A render that can make it runs, and teaches the renderer how long one takes.
    await renderer.render({ id: 'in-time', files, masks: [{ kind: 'mute', from: 0, to: 2 }], deadline: Date.now() + 60_000 });
    await expect(renderer.render({ id: 'tight', files, masks: [{ kind: 'mute', from: 0, to: 2 }], deadline: Date.now() + 5 })).rejects.toThrow(/before its release/);
  });

  it('renders what airs first first, and a render asked for again replaces the one waiting or running', async () => {
    const work = path.join(dir, 'order');
    const renderer = new FfmpegMaskRenderer({ ffmpegPath: 'ffmpeg', ladder: LADDER, fps: 30, segmentSeconds: 2, workDir: work, logger: pino({ level: 'silent' }) });
    const files = Object.fromEntries(LADDER.map((r) => [r.name, seg(r.name, 1)]));
    const masks = [{ kind: 'black' as const, region: BOX, from: 0, to: 2 }];
    const done: string[] = [];
    const job = (id: string, inMs: number, tag = id) => renderer.render({ id, files, masks, deadline: Date.now() + inMs }).then(() => void done.push(tag));
    const first = job('a', 90_000, 'a1');
    // Wait for the first render's FFmpeg, so that replacing it has a process to stop.
    for (let i = 0; i < 500; i++) {
      const running = readdirSync('/proc').some((p) => {
        try {
          return /^\d+$/.test(p) && readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'ffmpeg' && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(work);
        } catch {
          return false;
        }
      });
      if (running) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const firstReplaced = expect(first).rejects.toThrow(/newer render replaced/);
    const later = job('b', 60_000);
    const waiting = job('c', 45_000, 'c1');
    const waitingReplaced = expect(waiting).rejects.toThrow(/newer render replaced/);
    const sooner = job('d', 30_000);
    const replacement = job('c', 45_000, 'c2');
    const again = job('a', 90_000, 'a2');
    await firstReplaced;
    await waitingReplaced;
    await Promise.all([later, sooner, replacement, again]);
    expect(done).toEqual(['d', 'c2', 'b', 'a2']);
  });

  it('copies the picture untouched when only the sound is masked, and shifts the voice by its ratio', async () => {
    expect(await frameHashes(voiced['360p']!)).toEqual(await frameHashes(seg('360p', 1)));
    expect(Math.abs((await dominantHz(await readFile(voiced['audio']!))) - 440 * 0.75)).toBeLessThan(10);
  });

  it('renders at a lower CPU priority than the live transcode', async () => {
    const work = path.join(dir, 'nice');
    const renderer = new FfmpegMaskRenderer({ ffmpegPath: 'ffmpeg', ladder: LADDER, fps: 30, segmentSeconds: 2, workDir: work, logger: pino({ level: 'silent' }) });
    const files = Object.fromEntries(LADDER.map((r) => [r.name, seg(r.name, 1)]));
    const job = renderer.render({ id: 'nice', files, masks: [{ kind: 'black', region: BOX, from: 0, to: 2 }] });
    // Field 19 of /proc/<pid>/stat is the niceness; the render's FFmpeg writes into its work dir.
    const niceness: number[] = [];
    for (let i = 0; i < 200 && niceness.length === 0; i++) {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          // Only FFmpeg itself: the `nice` that launches it runs at 0 for the instant before it
          // lowers its priority and execs.
          if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'ffmpeg') continue;
          if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(work)) continue;
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          niceness.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
        } catch {
          // gone meanwhile
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await job;
    expect(niceness.length).toBeGreaterThan(0);
    for (const n of niceness) expect(n).toBeGreaterThanOrEqual(10);
  });

  it('splices the slate picture and silence over the off-air frames of a program edge, and keeps the rest', async () => {
    const renderer = new FfmpegMaskRenderer({ ffmpegPath: 'ffmpeg', ladder: LADDER, fps: 30, segmentSeconds: 2, workDir: path.join(dir, 'splice'), logger: pino({ level: 'silent' }) });
    const files = Object.fromEntries(LADDER.map((r) => [r.name, seg(r.name, 1)]));
    const card = slateCard('paused', 'en', null);
    const out = await renderer.render({ id: 'splice', files, masks: [{ kind: 'slate', card, from: 1, to: 3 }] });
    const diff = (a: Uint8Array, b: Uint8Array): number => {
      let sum = 0;
      for (let i = 0; i < a.length; i += 7) sum += Math.abs(a[i]! - b[i]!);
      return sum / Math.ceil(a.length / 7);
    };
    for (const r of LADDER.filter((x) => x.height !== undefined)) {
      // The reference is the paused slate segment itself, rendered as the slate library renders it.
      const ref = path.join(dir, `paused-${r.name}.ts`);
      await runFfmpeg(slateSpec({ rung: r, card, seconds: 2, fps: 30, outFile: ref }), { ffmpegPath: 'ffmpeg', logger: pino({ level: 'silent' }), tags: {} });
      const still = (await decodeFrames(await readFile(ref)))[0]!;
      const original = await decodeFrames(await readFile(seg(r.name, 1)));
      const frames = await decodeFrames(await readFile(out[r.name]!));
      expect(frames.length, r.name).toBe(original.length);
      frames.forEach((f, k) => {
        if (k >= 30) expect(diff(f, still), `${r.name} frame ${k}`).toBeLessThan(6);
        else expect(diff(f, original[k]!), `${r.name} frame ${k}`).toBeLessThan(diff(f, still) / 4);
      });
    }
    expect(await rmsBetween(out.audio!, 1.05, 1.95)).toBeLessThan(-60);
    expect(await rmsBetween(out.audio!, 0.05, 0.9)).toBeGreaterThan(-30);
  });
  it('hides what every declared mask kind says it hides, on decoded pixels and sound', async () => {
    const renderer = new FfmpegMaskRenderer({ ffmpegPath: 'ffmpeg', ladder: LADDER, fps: 30, segmentSeconds: 2, workDir: path.join(dir, 'kinds'), logger: pino({ level: 'silent' }) });
    const files = Object.fromEntries(LADDER.map((r) => [r.name, seg(r.name, 1)]));
    const original = await decodeFrames(await readFile(seg('360p', 1)));
    // A corner of the test picture with fine detail in every frame, so each treatment has something to hide.
    const BOX = { x: 0.5, y: 0.667, w: 0.22, h: 0.28 };
    /** Mean absolute difference of two frames over a region, or outside it. */
    const diff = (a: Uint8Array, b: Uint8Array, inside: boolean): number => {
      let sum = 0;
      let n = 0;
      for (let y = 0; y < 360; y += 2) {
        for (let x = 0; x < 640; x += 2) {
          const inBox = x >= BOX.x * 640 - 4 && x < (BOX.x + BOX.w) * 640 + 4 && y >= BOX.y * 360 - 4 && y < (BOX.y + BOX.h) * 360 + 4;
          const core = x >= BOX.x * 640 + 4 && x < (BOX.x + BOX.w) * 640 - 4 && y >= BOX.y * 360 + 4 && y < (BOX.y + BOX.h) * 360 - 4;
          if (inside ? !core : inBox) continue;
          sum += Math.abs(a[y * 640 + x]! - b[y * 640 + x]!);
          n++;
        }
      }
      return sum / n;
    };
    const apply = (p: BroadcastProgram, a: ProgramAction): BroadcastProgram => {
      const r = applyAction(p, a);
      if (!r.ok) throw new Error(r.error.message);
      return r.program;
    };
    // A segment dated by its bounds only: a mask over all of it covers it from first frame to last.
    const segment: CompletedSegment = { run: 0, index: 1, captureStart: 1_000, captureEnd: 3_000, programDateTime: 1_000, durationSec: 2, files, produced: { start: 1_000, end: 3_000 } };
    const tried: string[] = [];
    for (const kind of MASK_KINDS) {
      const policy = maskPolicy(kind);
      const mask: Mask = { id: `mk_${kind}`, kind, start: 1_000, end: 3_000, ...(policy.picture === 'region' ? { region: BOX } : {}), ...(policy.sound === 'pitch' ? { pitch: 0.75 } : {}) };
      if (policy.picture === 'whole') {
        // Not drawn: the gate airs the no-broadcast card for every segment it touches, sound and all.
        const program = apply(apply(emptyProgram(0), { type: 'start', at: 0 }), { type: 'mask', at: 1_000, mask });
        expect(decide(program, { start: 2_000, end: 4_000 }), kind).toEqual({ action: 'slate', slate: 'no-broadcast' });
        expect(segmentMasks([mask], segment, 30), kind).toEqual([]);
        tried.push(kind);
        continue;
      }
      const [segmentMask] = segmentMasks([mask], segment, 30);
      const out = await renderer.render({ id: `kind-${kind}`, files, masks: [segmentMask!] });
      if (policy.picture === 'region') {
        const frames = await decodeFrames(await readFile(out['360p']!));
        expect(frames.length, kind).toBe(original.length);
        const changed = frames.map((f, k) => diff(f, original[k]!, true));
        const kept = frames.map((f, k) => diff(f, original[k]!, false));
        expect(Math.min(...changed), `${kind}: the region changes on every frame`).toBeGreaterThan(8);
        expect(Math.max(...kept), `${kind}: nothing outside the region does`).toBeLessThan(3);
      } else {
        expect(await frameHashes(out['360p']!), `${kind} leaves the picture alone`).toEqual(await frameHashes(seg('360p', 1)));
      }
      for (const r of LADDER) {
        if (policy.sound === 'silence') expect(await rmsBetween(out[r.name]!, 0.05, 1.95), `${kind} ${r.name}`).toBeLessThan(-60);
        if (policy.sound === 'pitch') expect(Math.abs((await dominantHz(await readFile(out[r.name]!))) - 440 * 0.75), `${kind} ${r.name}`).toBeLessThan(10);
        if (policy.sound === 'none') expect(await rmsBetween(out[r.name]!, 0.05, 1.95), `${kind} ${r.name}`).toBeGreaterThan(-30);
      }
      tried.push(kind);
    }
    expect(tried).toEqual([...MASK_KINDS]);
  }, 120_000);
});
