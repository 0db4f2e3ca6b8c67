/**
 * Mask re-render benchmark: how fast a pending segment is re-rendered with masks, all rungs of
 * the default ladder, in seconds of media per second of wall time, against bare FFmpeg
 * re-encoding the same segments at the live transcode's settings, in the same run.
 * Usage: npm run bench -- masks [repetitions] [--smoke]   (smoke: one run each, 320x180, a 144p rung)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/load.ts';
import { audioEncodeOptions, transcodeSpec, videoEncodeOptions, type RungOptions } from '../server/media/args.ts';
import { maskRenderSpec, type SegmentMask } from '../server/media/mask-filters.ts';
import { GLOBAL_INPUT_FLAGS, specToArgs, type FfmpegSpec } from '../server/media/spec.ts';
import { withSyntheticTone } from '../server/media/synthetic.ts';
import { firstPts } from '../server/media/ts-continuity.ts';
import { numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';

const REPS = SMOKE ? 1 : numberArg(0, 5);
const SEGMENT = 2;
const FPS = 30;
const ladder = (SMOKE ? SMOKE_LADDER : loadConfig({ env: {} }).media.ladder) as readonly RungOptions[];
const SOURCE = SMOKE ? '320x180' : '1280x720';
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

/**
 * Pending segments as the live transcode writes them: one FFmpeg cuts every rung from one
 * 720p30 test-pattern source with a tone, so all rungs share timestamps. Returns segment 1 of
 * each rung.
 */
function makeSegments(): { rung: RungOptions; input: string }[] {
  const spec = transcodeSpec({
    input: { url: `testsrc2=size=${SOURCE}:rate=${FPS}`, options: ['-f', 'lavfi'] },
    ladder,
    segmentSeconds: SEGMENT,
    fps: FPS,
    pendingDir: (rung) => {
      mkdirSync(path.join(dir, rung), { recursive: true });
      return path.join(dir, rung);
    },
  });
  execFileSync('ffmpeg', withSyntheticTone(spec, SEGMENT * 3 + 0.5), { stdio: 'ignore' });
  return ladder.map((rung) => ({ rung, input: path.join(dir, rung.name, '000001.ts') }));
}

/** Bare FFmpeg re-encoding every rung in one process at the live transcode's settings. */
function bareLadder(inputs: readonly { rung: RungOptions; input: string }[]): FfmpegSpec {
  return {
    inputs: inputs.map((r, i) => ({ url: r.input, options: i === 0 ? [...GLOBAL_INPUT_FLAGS] : [] })),
    outputs: inputs.map((r, i) => ({
      target: path.join(dir, `${r.rung.name}-bare.ts`),
      options: [...(r.rung.height !== undefined ? ['-map', `${i}:v:0`, ...videoEncodeOptions(r.rung, FPS, SEGMENT)] : []), '-map', `${i}:a:0`, ...audioEncodeOptions(r.rung.audioKbps), '-f', 'mpegts', '-y'],
    })),
  };
}

const segments = makeSegments();
const renderRungs = segments.map(({ rung, input }) => {
  const starts = firstPts(readFileSync(input));
  const origin = (rung.height !== undefined ? starts.video : starts.audio) ?? 0;
  return { rung, input, output: path.join(dir, `${rung.name}-masked.ts`), origin, audioEnd: (starts.audio ?? 0) + SEGMENT };
});
const cases: [string, string[]][] = [
  ['bare FFmpeg re-encode, live settings (baseline)', specToArgs(bareLadder(segments))],
  ['render: blur + black box + mute', specToArgs(maskRenderSpec({ rungs: renderRungs, masks, fps: FPS, segmentSeconds: SEGMENT }))],
  ['render: mute only (picture copied)', specToArgs(maskRenderSpec({ rungs: renderRungs, masks: [{ kind: 'mute', from: 0.5, to: 1.5 }], fps: FPS, segmentSeconds: SEGMENT }))],
  ['render: voice (picture copied)', specToArgs(maskRenderSpec({ rungs: renderRungs, masks: [{ kind: 'voice', pitch: 0.75, from: 0, to: 3 }], fps: FPS, segmentSeconds: SEGMENT }))],
];
const results = cases.map(([label, args]) => {
  let t = 0;
  for (let i = 0; i < REPS; i++) t += time(args);
  return [label, t / REPS] as const;
});
const base = results[0]![1];
process.stdout.write(`\nRe-render of one ${SEGMENT} s segment, every rung of the default ladder (${ladder.map((r) => r.name).join('/')}), ${REPS} runs each\n\n`);
process.stdout.write('| job | wall time | speed (media s per wall s) | ratio to baseline |\n| --- | --- | --- | --- |\n');
for (const [label, t] of results) process.stdout.write(`| ${label} | ${t.toFixed(2)} s | ${(SEGMENT / t).toFixed(1)}× | ${(t / base).toFixed(2)} |\n`);
process.stdout.write('\nTarget: >= 2x real time for the whole ladder. Measured on an idle machine; during a live hearing the transcode takes about half a core.\n');
rmSync(dir, { recursive: true, force: true });
