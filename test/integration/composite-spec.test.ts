import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { layoutTiles } from '../../server/domain/layouts.ts';
import { spawn } from 'node:child_process';
import { baseIndex, compositeBases, compositeSpec, switchableInPlace, switchCommands } from '../../server/media/composite.ts';
import { freeLoopbackPort } from '../../server/media/ports.ts';
import { specToArgs } from '../../server/media/spec.ts';
import { ZmqCommandClient } from '../../server/media/zmq-client.ts';

const run = promisify(execFile);
const W = 320;
const H = 180;
const FPS = 10;

/** Two seconds of one colour, as a camera would send it, stamped from 0. */
const colourCamera = (source: string, colour: string, offsetSec = 0) => ({ source, offsetSec, input: { url: `color=c=${colour}:s=160x90:r=${FPS}`, options: ['-f', 'lavfi', '-t', '3'] } });

/** Every frame of the composite's first `seconds`, as RGB. */
async function compose(spec: ReturnType<typeof compositeSpec>): Promise<Buffer[]> {
  const { stdout } = await run('ffmpeg', specToArgs(spec), { encoding: 'buffer', maxBuffer: 1 << 28 });
  const frame = W * H * 3;
  return Array.from({ length: Math.floor(stdout.length / frame) }, (_, k) => stdout.subarray(k * frame, (k + 1) * frame));
}

/** The colour at a point of the picture (fractions), as [r, g, b]. */
const at = (f: Buffer, x: number, y: number): number[] => {
  const i = (Math.round(y * (H - 1)) * W + Math.round(x * (W - 1))) * 3;
  return [f[i]!, f[i + 1]!, f[i + 2]!];
};
const isRed = (p: number[]) => p[0]! > 200 && p[1]! < 60 && p[2]! < 60;
const isBlue = (p: number[]) => p[2]! > 200 && p[0]! < 60 && p[1]! < 60;
const isBlack = (p: number[]) => p.every((c) => c < 30);

describe('the compositor FFmpeg builds from a layout', () => {
  const output = { target: '-', options: ['-t', '2.5', '-pix_fmt', 'rgb24', '-f', 'rawvideo'] };

  it('puts each camera in its tile, over black, with the named camera’s sound', async () => {
    const spec = compositeSpec({ cameras: [colourCamera('bench', 'red'), colourCamera('witness', 'blue')], tiles: layoutTiles('side-by-side', ['bench', 'witness']), width: W, height: H, fps: FPS, output });
    const frames = await compose(spec);
    expect(frames.length).toBeGreaterThanOrEqual(20);
    const f = frames[10]!;
    expect(isRed(at(f, 0.25, 0.5))).toBe(true);
    expect(isBlue(at(f, 0.75, 0.5))).toBe(true);
    // Side by side leaves bands above and below.
    expect(isBlack(at(f, 0.25, 0.1))).toBe(true);
    expect(isBlack(at(f, 0.75, 0.9))).toBe(true);
    const withSound = compositeSpec({ cameras: [colourCamera('bench', 'red'), colourCamera('mixer', 'blue', 0.5)], tiles: layoutTiles('single', ['bench']), width: W, height: H, fps: FPS, sound: 'mixer', output });
    expect(specToArgs(withSound)).toEqual(expect.arrayContaining(['-map', '[program]', '-map', '[sound]']));
    expect(withSound.complexFilter).toContain('[1:a:0]asetpts=PTS+0.500000/TB,apad[sound]');
    expect(() => compositeSpec({ cameras: [colourCamera('bench', 'red')], tiles: layoutTiles('single', ['nobody']), width: W, height: H, fps: FPS, output })).toThrow();
  });

  it('carries silence where the sound’s camera is lost or absent, for as long as the picture goes on', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'courtcast-composite-sound-'));
    try {
      const mixer = { source: 'mixer', offsetSec: 0, input: { url: 'sine=frequency=440:sample_rate=48000', options: ['-f', 'lavfi', '-t', '1'] } };
      const seconds = async (cameras: ReturnType<typeof colourCamera>[], name: string) => {
        const file = path.join(dir, `${name}.mkv`);
        await run('ffmpeg', specToArgs(compositeSpec({ cameras, tiles: layoutTiles('single', ['bench']), width: W, height: H, fps: FPS, sound: 'mixer', output: { target: file, options: ['-t', '2.5', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'pcm_s16le', '-f', 'matroska'] } })));
        const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', file]);
        const last = stdout.trim().split('\n').at(-1)!.split(',').map(Number);
        return last[0]! + last[1]!;
      };
      // The mixer's sound ends after a second; the program's goes on, silent, with the picture.
      expect(await seconds([colourCamera('bench', 'red'), mixer], 'lost')).toBeGreaterThan(2.3);
      // The mixer is not publishing at all: silence from the start.
      expect(await seconds([colourCamera('bench', 'red')], 'absent')).toBeGreaterThan(2.3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('moves each camera onto the composite’s timeline by its offset: a camera a second later fills its tile a second later', async () => {
    const spec = compositeSpec({ cameras: [colourCamera('bench', 'red'), colourCamera('witness', 'blue', 1)], tiles: layoutTiles('quad', ['bench', 'witness']), width: W, height: H, fps: FPS, output });
    const frames = await compose(spec);
    // Frame k is at k / FPS s: the witness (top right) is black before 1 s and blue after.
    expect(isRed(at(frames[3]!, 0.25, 0.25))).toBe(true);
    expect(isBlack(at(frames[5]!, 0.75, 0.25))).toBe(true);
    expect(isBlue(at(frames[15]!, 0.75, 0.25))).toBe(true);
    // The quad's bottom half is empty with two cameras.
    expect(isBlack(at(frames[15]!, 0.25, 0.75))).toBe(true);
  });

  it('shows a camera whose frames end, and one that never came, as the “camera unavailable” card, while the others go on', async () => {
    // The witness camera sends one second and stops; the gallery never comes.
    const stopping = { source: 'witness', offsetSec: 0, input: { url: `color=c=blue:s=160x90:r=${FPS}`, options: ['-f', 'lavfi', '-t', '1'] } };
    const spec = compositeSpec({ cameras: [colourCamera('bench', 'red'), stopping], tiles: layoutTiles('quad', ['bench', 'witness', 'gallery']), width: W, height: H, fps: FPS, unavailable: { text: 'Camera unavailable' }, output });
    const frames = await compose(spec);
    const isCard = (p: number[]) => Math.abs(p[0]! - 0x1b) < 16 && Math.abs(p[1]! - 0x2a) < 16 && Math.abs(p[2]! - 0x3a) < 16;
    // Corners of the tiles, away from the card's words.
    expect(isBlue(at(frames[5]!, 0.55, 0.05))).toBe(true);
    expect(isCard(at(frames[15]!, 0.55, 0.05))).toBe(true);
    expect(isCard(at(frames[5]!, 0.05, 0.55))).toBe(true);
    expect(isRed(at(frames[15]!, 0.05, 0.05))).toBe(true);
    // The card's words are drawn in its middle.
    const middle = frames[15]!;
    const bright = Array.from({ length: 60 }, (_, k) => at(middle, 0.6 + (k / 60) * 0.3, 0.25)).filter((p) => p.every((c) => c > 180)).length;
    expect(bright).toBeGreaterThan(0);
  });

  it('switches layout and cameras while it runs, all on one frame: from side by side to one large and two small, a hidden camera brought in', async () => {
    const port = await freeLoopbackPort();
    // Three cameras in real time; the gallery (green) is read but not shown at first.
    const live = (source: string, colour: string) => ({ source, offsetSec: 0, input: { url: `color=c=${colour}:s=160x90:r=${FPS}`, options: ['-re', '-f', 'lavfi', '-t', '5'] } });
    const cameras = [live('bench', 'red'), live('witness', 'blue'), live('gallery', 'green')];
    const from = layoutTiles('side-by-side', ['bench', 'witness']);
    const spec = compositeSpec({ cameras, tiles: from, width: W, height: H, fps: FPS, switchable: { layout: 'side-by-side', zmqPort: port }, unavailable: { text: 'Camera unavailable' }, output: { target: '-', options: ['-t', '4.5', '-pix_fmt', 'rgb24', '-f', 'rawvideo'] } });
    const ffmpeg = spawn('ffmpeg', specToArgs(spec), { stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    ffmpeg.stdout.on('data', (d: Buffer) => chunks.push(d));
    const done = new Promise((res) => ffmpeg.on('close', res));
    const zmq = new ZmqCommandClient(port);
    try {
      const to = layoutTiles('one-plus-three', ['witness', 'gallery', 'bench']);
      expect(switchableInPlace(['bench', 'witness', 'gallery'], to)).toBe(true);
      // An inset stacked under its main picture cannot be switched in place.
      expect(switchableInPlace(['bench', 'witness', 'gallery'], layoutTiles('pip', ['gallery', 'bench']))).toBe(false);
      const commands = switchCommands({ cameras: cameras.map((c) => c.source), from, to, base: baseIndex(compositeBases(), 'one-plus-three', to), width: W, height: H });
      // Once FFmpeg answers, about two seconds into the four.
      let replies = null;
      for (let k = 0; k < 100 && !replies; k++) {
        await new Promise((r) => setTimeout(r, 30));
        if (chunks.reduce((n, c) => n + c.length, 0) < W * H * 3 * 20) continue;
        replies = await zmq.sendBatch(commands).catch(() => null);
      }
      expect(replies?.map((r) => r.code)).toEqual(commands.map(() => 0));
      // And back, a second later.
      await new Promise((r) => setTimeout(r, 1_000));
      const back = switchCommands({ cameras: cameras.map((c) => c.source), from: to, to: from, base: baseIndex(compositeBases(), 'side-by-side', from), width: W, height: H });
      expect((await zmq.sendBatch(back)).map((r) => r.code)).toEqual(back.map(() => 0));
      await done;
    } finally {
      zmq.close();
      ffmpeg.kill('SIGKILL');
    }
    const all = Buffer.concat(chunks);
    const frames = Array.from({ length: Math.floor(all.length / (W * H * 3)) }, (_, k) => all.subarray(k * W * H * 3, (k + 1) * W * H * 3));
    expect(frames.length).toBeGreaterThanOrEqual(35);
    const isGreen = (p: number[]) => p[1]! > 100 && p[0]! < 60 && p[2]! < 60;
    const before = (f: Buffer) => isRed(at(f, 0.25, 0.5)) && isBlue(at(f, 0.75, 0.5)) && isBlack(at(f, 0.25, 0.1));
    // One large (witness), the gallery and the bench small down the right; under the third small tile, which nobody takes, black.
    const after = (f: Buffer) => isBlue(at(f, 0.3, 0.3)) && isGreen(at(f, 0.85, 0.1)) && isRed(at(f, 0.85, 0.35)) && isBlack(at(f, 0.8, 0.55)) && isBlack(at(f, 0.3, 0.9));
    const states = frames.map((f) => (before(f) ? 'before' : after(f) ? 'after' : 'other'));
    const first = states.indexOf('after');
    const again = states.indexOf('before', first);
    expect(first, states.join(' ')).toBeGreaterThan(10);
    expect(again, states.join(' ')).toBeGreaterThan(first + 5);
    // Every frame is the one arrangement or the other, and each switch happens on one frame.
    expect(states.slice(0, first).every((x) => x === 'before'), states.join(' ')).toBe(true);
    expect(states.slice(first, again).every((x) => x === 'after'), states.join(' ')).toBe(true);
    expect(states.slice(again).every((x) => x === 'before'), states.join(' ')).toBe(true);
  });

  it('refuses card text or a font path that could break out of the filter graph', () => {
    const base = { cameras: [colourCamera('bench', 'red')], tiles: layoutTiles('single', ['bench']), width: W, height: H, fps: FPS, output };
    expect(() => compositeSpec({ ...base, unavailable: { text: "x'[y]" } })).toThrow();
    expect(() => compositeSpec({ ...base, unavailable: { text: 'ok', fontFile: '/a b:c' } })).toThrow();
  });
});
