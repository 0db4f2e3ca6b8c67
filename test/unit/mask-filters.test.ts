import { describe, expect, it } from 'vitest';
import { audioMaskFilter, frameWindow, maskRenderSpec, videoMaskFilter, type RenderRung } from '../../server/media/mask-filters.ts';

const FPS = 30;
const box = { x: 0.25, y: 0.5, w: 0.5, h: 0.25 };
/** The bounds of a `between(t,a,b)` enable expression. */
const bounds = (expr: string): [number, number] => {
  const m = /between\(t,([\d.]+),([\d.]+)\)/.exec(expr);
  if (!m) throw new Error(`no window in ${expr}`);
  return [Number(m[1]), Number(m[2])];
};

describe('mask render filters', () => {
  it('covers exactly the frames in [from, to), with bounds half a frame from any frame', () => {
    const origin = 100;
    const [a, b] = bounds(frameWindow({ from: 0.5, to: 1.5 }, origin, FPS));
    const frames = Array.from({ length: 60 }, (_, k) => origin + k / FPS);
    const covered = frames.map((t, k) => (t >= a && t <= b ? k : -1)).filter((k) => k >= 0);
    expect(covered[0]).toBe(15);
    expect(covered.at(-1)).toBe(44);
    expect(covered).toHaveLength(30);
    for (const t of frames) expect(Math.min(Math.abs(t - a), Math.abs(t - b))).toBeGreaterThan(0.4 / FPS);
  });

  it('draws black, blur and pixelate only inside their windows, and slate cards over everything', () => {
    const vf = videoMaskFilter(
      [
        { kind: 'black', region: box, from: 0, to: 1 },
        { kind: 'blur', region: box, from: 0.5, to: 2 },
        { kind: 'slate', card: [{ text: 'The broadcast is paused' }], from: 1.5, to: 3 },
        { kind: 'mute', from: 0, to: 2 },
      ],
      360,
      10,
      FPS,
    )!;
    expect(vf).toContain('drawbox=');
    expect(vf).toContain('boxblur=');
    expect(vf.indexOf("text='The broadcast is paused'")).toBeGreaterThan(vf.indexOf('boxblur='));
    expect(vf.match(/enable='between/g)).toHaveLength(4); // black, blur, and the card's box and text
    expect(videoMaskFilter([{ kind: 'mute', from: 0, to: 1 }], 360, 10, FPS)).toBeNull();
  });

  it('silences mute and slate windows an audio frame early, and shifts a voice across the segment', () => {
    const af = audioMaskFilter([{ kind: 'mute', from: 1, to: 2 }, { kind: 'slate', card: [{ text: 'x' }], from: 0, to: 0.5 }], 10, 12)!;
    const [a] = bounds(af);
    expect(a).toBeCloseTo(11 - 1024 / 48_000, 5);
    expect(af.match(/volume=0/g)).toHaveLength(2);
    const voiced = audioMaskFilter([{ kind: 'voice', pitch: 0.75, from: 0, to: 2 }], 10, 12)!;
    expect(voiced).toMatch(/rubberband=pitch=0\.7500/);
    expect(voiced).toMatch(/atrim=end=12\.000000/);
    expect(audioMaskFilter([{ kind: 'black', region: box, from: 0, to: 1 }], 10, 12)).toBeNull();
  });

  it('copies every stream no mask touches, and renders lower rungs from the top rung’s picture', () => {
    const rungs: RenderRung[] = [
      { rung: { name: '360p', height: 360, videoKbps: 600, audioKbps: 64 }, input: 'in360.ts', output: 'out360.ts', origin: 10, audioEnd: 12 },
      { rung: { name: '180p', height: 180, videoKbps: 250, audioKbps: 64 }, input: 'in180.ts', output: 'out180.ts', origin: 10, audioEnd: 12 },
      { rung: { name: 'audio', audioKbps: 64 }, input: 'inA.ts', output: 'outA.ts', origin: 10.01, audioEnd: 12 },
    ];
    const picture = maskRenderSpec({ rungs, masks: [{ kind: 'black', region: box, from: 0, to: 1 }], fps: FPS, segmentSeconds: 2 });
    const [top, low, audio] = picture.outputs.map((o) => o.options.join(' '));
    // One mask chain on the top rung's picture, split, the lower rung scaled from it.
    expect(picture.complexFilter).toMatch(/^\[0:v:0\].*drawbox.*split=2\[s0\]\[s1\];\[s1\]scale=-2:180,setsar=1\[v1\]$/);
    expect(picture.complexFilter?.match(/drawbox/g)).toHaveLength(1);
    expect(top).toMatch(/^-map \[s0\] .*-enc_time_base:v 1\/90000/);
    expect(low).toMatch(/^-map \[v1\] /);
    expect(top).not.toContain('-vf');
    expect(top).toContain('-c:a copy');
    expect(audio).not.toContain(':v:0');
    expect(audio).toContain('-c:a copy');
    const sound = maskRenderSpec({ rungs, masks: [{ kind: 'mute', from: 0, to: 1 }], fps: FPS, segmentSeconds: 2 });
    expect(sound.complexFilter).toBeUndefined();
    for (const o of sound.outputs) {
      expect(o.options.join(' ')).not.toContain('libx264');
      expect(o.options.join(' ')).toContain('volume=0');
    }
  });

  it('refuses to copy a segment untouched when a mask must change its picture or sound', () => {
    const rungs: RenderRung[] = [
      { rung: { name: '360p', height: 360, videoKbps: 600, audioKbps: 64 }, input: 'a.ts', output: 'a.out.ts', origin: 1, audioEnd: 3 },
      { rung: { name: 'audio', audioKbps: 64 }, input: 'c.ts', output: 'c.out.ts', origin: 1, audioEnd: 3 },
    ];
    // Malformed on purpose: a region kind with no region, a voice with no ratio, a slate with no card.
    expect(() => maskRenderSpec({ rungs, masks: [{ kind: 'blur', from: 0, to: 1 }], fps: FPS, segmentSeconds: 2 })).toThrow(/refusing an untouched copy/);
    expect(() => maskRenderSpec({ rungs, masks: [{ kind: 'voice', from: 0, to: 1 }], fps: FPS, segmentSeconds: 2 })).toThrow(/refusing an untouched copy/);
    expect(() => maskRenderSpec({ rungs, masks: [{ kind: 'slate', from: 0, to: 1 }], fps: FPS, segmentSeconds: 2 })).toThrow(/refusing an untouched copy/);
  });
});
