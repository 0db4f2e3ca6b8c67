/**
 * Live mask slot cost: the CPU the live transcode takes with mask slots declared (all idle, and
 * with one of each kind switched on), against the same transcode without slots, in the same run.
 * Usage: npm run bench -- slots [seconds] [--smoke]   (smoke: 2 s each, 320x180 source, a 144p rung)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/load.ts';
import { transcodeSpec, type RungOptions } from '../server/media/args.ts';
import { slotOnCommands, type LiveSlotPlan, type SlotKind } from '../server/media/live-slots.ts';
import { freeLoopbackPorts } from '../server/media/ports.ts';
import { withSyntheticTone } from '../server/media/synthetic.ts';
import { ZmqCommandClient } from '../server/media/zmq-client.ts';
import { cpuSeconds } from '../test/support/cpu-hog.ts';
import { tuneChildMalloc } from '../server/media/malloc-tuning.ts';
import { numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';

const SECONDS = SMOKE ? 2 : numberArg(0, 20);
/** Start-up left out of the measurement. */
const WARM_MS = SMOKE ? 1_000 : 3_000;
const FPS = 30;
const SOURCE = SMOKE ? '320x180' : '1280x720';
const ladder = (SMOKE ? SMOKE_LADDER : loadConfig({ env: {} }).media.ladder) as readonly RungOptions[];

/**
 * Runs the default-ladder transcode on a 720p30 synthetic source for SECONDS and returns the
 * cores it used, measured over the middle of the run (start-up excluded).
 */
async function run(label: string, plan: LiveSlotPlan | null, active: readonly SlotKind[]): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `courtcast-bench-slots-${label}-`));
  const spec = transcodeSpec({
    input: { url: `testsrc2=size=${SOURCE}:rate=${FPS}`, options: ['-re', '-f', 'lavfi'] },
    ladder,
    segmentSeconds: 2,
    fps: FPS,
    pendingDir: (rung) => {
      mkdirSync(path.join(dir, rung), { recursive: true });
      return path.join(dir, rung);
    },
    ...(plan ? { liveMasks: plan } : {}),
  });
  const child = spawn('ffmpeg', withSyntheticTone(spec, SECONDS + WARM_MS / 1000 + 1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  await new Promise((r) => setTimeout(r, WARM_MS));
  if (plan && active.length > 0) {
    const video = new ZmqCommandClient(plan.videoPort);
    const audio = new ZmqCommandClient(plan.audioPort);
    const region = { x: 0.3, y: 0.3, w: 0.3, h: 0.3 };
    for (const kind of active) {
      const replies = await (kind === 'mute' ? audio : video).sendBatch(slotOnCommands(kind, 0, { region }));
      if (replies.some((r) => r.code !== 0)) throw new Error(`${label}: FFmpeg refused a ${kind} slot`);
    }
    video.close();
    audio.close();
  }
  const pid = child.pid!;
  const t0 = performance.now();
  const c0 = await cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, Math.max(1_000, (SECONDS - 2) * 1000)));
  const cores = ((await cpuSeconds(pid)) - c0) / ((performance.now() - t0) / 1000);
  if ((await exited) !== 0) throw new Error(`${label}: FFmpeg failed: ${stderr}`);
  rmSync(dir, { recursive: true, force: true });
  return cores;
}

// The allocator settings Courtcast gives its own FFmpeg children (server/media/malloc-tuning.ts).
tuneChildMalloc();
const [videoPort, audioPort] = (await freeLoopbackPorts(2)) as [number, number];
const perKind = loadConfig({ env: {} }).media.liveMaskSlots;
const plan: LiveSlotPlan = { videoPort, audioPort, perKind };
const rows: [string, number][] = [];
rows.push(['no slots (baseline)', await run('bare', null, [])]);
rows.push([`${perKind} slots per kind, all off`, await run('idle', plan, [])]);
rows.push([`${perKind} slots per kind, one black, blur, pixelate and mute on`, await run('busy', plan, ['black', 'blur', 'pixelate', 'mute'])]);
const base = rows[0]![1];
process.stdout.write(`\nLive transcode of a ${SOURCE}p30 source to ${ladder.map((r) => r.name).join('/')}, ${SECONDS} s each${SMOKE ? ' (smoke)' : ''} (cores = CPU seconds per wall second)\n\n`);
process.stdout.write('| transcode | cores | ratio to baseline |\n| --- | --- | --- |\n');
for (const [label, cores] of rows) process.stdout.write(`| ${label} | ${cores.toFixed(2)} | ${(cores / base).toFixed(2)} |\n`);
