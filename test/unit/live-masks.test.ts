import { describe, expect, it } from 'vitest';
import type { Mask } from '../../server/domain/masks.ts';
import { LiveMaskSlots } from '../../server/pipeline/live-masks.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

describe('live mask slots bookkeeping', () => {
  it('forgets slot uses once no segment they could prove can still be pending', async () => {
    let now = 1_000_000;
    // No FFmpeg run: switches are never acknowledged, but every use is still recorded.
    const slots = new LiveMaskSlots({ videoPort: 1, audioPort: 2, perKind: 1 }, silent, 30, () => now);
    const mask = (id: string): Mask => ({ id, kind: 'black', region: { x: 0, y: 0, w: 0.5, h: 0.5 }, start: now, end: null });
    for (let i = 0; i < 50; i++) {
      expect(await slots.apply(mask(`m${i}`))).toBe(true);
      now += 1_000;
      await slots.lift(`m${i}`, now);
      now += 1_000;
    }
    expect(slots.retained).toBe(50);
    now += 41 * 60_000;
    await slots.apply(mask('late'));
    expect(slots.retained).toBe(1);
  });

  it('refuses kinds without a slot, masks with an end, and a kind whose slots are all taken', async () => {
    const slots = new LiveMaskSlots({ videoPort: 1, audioPort: 2, perKind: 1 }, silent, 30);
    const base = { region: { x: 0, y: 0, w: 0.5, h: 0.5 }, start: 0, end: null };
    expect(await slots.apply({ id: 'v', kind: 'voice', pitch: 0.8, start: 0, end: null })).toBe(false);
    expect(await slots.apply({ id: 'r', kind: 'blur', ...base, end: 10 })).toBe(false);
    expect(await slots.apply({ id: 'a', kind: 'blur', ...base })).toBe(true);
    expect(await slots.apply({ id: 'b', kind: 'blur', ...base })).toBe(false);
  });
});
