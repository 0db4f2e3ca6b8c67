/**
 * Mask re-render benchmark: how fast a pending segment is re-rendered with masks, per rung, in
 * seconds of media per second of wall time, against bare FFmpeg re-encoding the same segment
 * with the same settings and no masks, in the same run.
 * Usage: npm run bench -- masks [repetitions]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/load.ts';
import { audioEncodeOptions, videoEncodeOptions, type RungOptions } from '../server/media/args.ts';
import { maskRenderSpec, type SegmentMask } from '../server/media/mask-filters.ts';
import { GLOBAL_INPUT_FLAGS, specToArgs, type FfmpegSpec } from '../server/media/spec.ts';
import { firstPts } from '../server/media/ts-continuity.ts';

const REPS = Number(process.argv[3] ?? 5);
const SEGMENT = 2;
const FPS = 30;
const ladder = loadConfig({ env: {} }).media.ladder as readonly RungOptions[];
const masks: SegmentMask[] = [
  { kind: 'blur', region: { x: 0.55, y: 0.3, w: 0.3, h: 0.5 }, from: 0, to: 3 },
  { kind: 'black', region: { x: 0.1, y: 0.1, w: 0.2, h: 0.2 }, from: 0.5, to: 3 },
  { kind: 'mute', from: 1, to: 3 },
];

const dir = mkdtempSync(path.join(os.tmpdir(), 'courtcast-bench-masks-'));
const time = (args: string[]): number => {
  const t0 = performance.now();
  execFileSync('ffmpeg', args, { stdio: 'ignore' });
  return (performance.now() - t0) / 1000;
};

/** The baseline: bare FFmpeg re-encoding the segment with the rung's settings, no filters. */
function bareReencode(rung: RungOptions, input: string, output: string): FfmpegSpec {
  const video = rung.height !== undefined ? ['-map', '0:v:0', ...videoEncodeOptions(rung, FPS, SEGMENT)] : [];
  return { inputs: [{ url: input, options: [...GLOBAL_INPUT_FLAGS] }], outputs: [{ target: output, options: [...video, '-map', '0:a:0', ...audioEncodeOptions(rung.audioKbps), '-f', 'mpegts', '-y'] }] };
}

/** A pending-like segment of one rung: test pattern and tone, encoded as the live transcode does. */
function makeSegment(rung: RungOptions): string {
  const file = path.join(dir, `${rung.name}.ts`);
  const video = rung.height !== undefined;
  const w = video ? Math.round((rung.height! * 16) / 9 / 2) * 2 : 0;
  execFileSync('ffmpeg', [
    '-v', 'error', '-y',
    ...(video ? ['-f', 'lavfi', '-i', `testsrc2=size=${w}x${rung.height}:rate=${FPS}`] : []),
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(SEGMENT),
    ...(video ? videoEncodeOptions(rung, FPS, SEGMENT) : []),
    ...audioEncodeOptions(rung.audioKbps),
    '-f', 'mpegts', file,
  ]);
  return file;
}

const rows: string[] = [];
let totalBare = 0;
let totalMasked = 0;
for (const rung of ladder) {
  const input = makeSegment(rung);
  const starts = firstPts(readFileSync(input));
  const origin = (rung.height !== undefined ? starts.video : starts.audio) ?? 0;
  const spec = maskRenderSpec({ rung, input, output: path.join(dir, `${rung.name}-masked.ts`), masks, fps: FPS, segmentSeconds: SEGMENT, origin, audioEnd: (starts.audio ?? 0) + SEGMENT });
  const bare = bareReencode(rung, input, path.join(dir, `${rung.name}-bare.ts`));
  let b = 0;
  let m = 0;
  for (let i = 0; i < REPS; i++) {
    b += time(specToArgs(bare));
    m += time(specToArgs(spec));
  }
  b /= REPS;
  m /= REPS;
  totalBare += b;
  totalMasked += m;
  rows.push(`| ${rung.name} | ${(SEGMENT / b).toFixed(1)}× | ${(SEGMENT / m).toFixed(1)}× | ${m.toFixed(2)} s | ${(m / b).toFixed(2)} |`);
}
process.stdout.write(`\nMask re-render of one ${SEGMENT} s segment, default ladder, ${REPS} runs each (speed = media seconds per wall second)\n\n`);
process.stdout.write('| rung | bare re-encode | masked render | masked wall time | ratio masked / bare |\n| --- | --- | --- | --- | --- |\n');
process.stdout.write(`${rows.join('\n')}\n`);
process.stdout.write(`| whole ladder | ${(SEGMENT / totalBare).toFixed(1)}× | ${(SEGMENT / totalMasked).toFixed(1)}× | ${totalMasked.toFixed(2)} s | ${(totalMasked / totalBare).toFixed(2)} |\n`);
process.stdout.write('\nTarget: >= 2x real time for the whole ladder. Measured on an idle machine; during a live hearing the transcode takes about half a core.\n');
rmSync(dir, { recursive: true, force: true });
