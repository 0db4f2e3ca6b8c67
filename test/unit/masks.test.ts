import { describe, expect, it } from 'vitest';
import { addMask, isRegionKind, liftMask, MASK_KINDS, maskPolicy, maskProblem, masksOver, mintMask, renderKey, STANDING_MASK_KINDS, type Mask } from '../../server/domain/masks.ts';

const box = { x: 0.1, y: 0.1, w: 0.3, h: 0.4 };
const mask = (over: Partial<Mask> = {}): Mask => ({ id: 'm1', kind: 'black', region: box, start: 1000, end: null, ...over });

describe('masks', () => {
  it('accepts sound masks and names what is wrong with the others', () => {
    expect(maskProblem(mask())).toBeNull();
    expect(maskProblem(mask({ kind: 'mute', region: undefined }))).toBeNull();
    expect(maskProblem(mask({ kind: 'voice', region: undefined, pitch: 0.75 }))).toBeNull();
    expect(maskProblem(mask({ region: undefined }))).toBe('region-required');
    expect(maskProblem(mask({ kind: 'mute' }))).toBe('region-not-allowed');
    expect(maskProblem(mask({ region: { x: 0.8, y: 0, w: 0.3, h: 0.5 } }))).toBe('region-out-of-bounds');
    expect(maskProblem(mask({ region: { x: 0, y: 0, w: 0, h: 0.5 } }))).toBe('region-out-of-bounds');
    expect(maskProblem(mask({ region: { x: Number.NaN, y: 0, w: 0.1, h: 0.5 } }))).toBe('region-out-of-bounds');
    expect(maskProblem(mask({ end: 1000 }))).toBe('empty-interval');
    expect(maskProblem(mask({ kind: 'voice', region: undefined, pitch: 1 }))).toBe('pitch-out-of-range');
  });

  it('finds the masks over a span, open-ended ones included', () => {
    const ms = [mask({ id: 'a', start: 0, end: 2000 }), mask({ id: 'b', start: 5000, end: null }), mask({ id: 'c', start: 2000, end: 3000 })];
    expect(masksOver(ms, { start: 2000, end: 4000 }).map((m) => m.id)).toEqual(['c']);
    expect(masksOver(ms, { start: 1999, end: 2001 }).map((m) => m.id)).toEqual(['a', 'c']);
    expect(masksOver(ms, { start: 9000, end: 9001 }).map((m) => m.id)).toEqual(['b']);
  });

  it('keys renders by the masks as they fall on the span', () => {
    const span = { start: 4000, end: 6000 };
    const open = [mask({ start: 3000, end: null })];
    expect(renderKey(open, span)).toBe(renderKey([mask({ start: 3000, end: 9000 })], span));
    expect(renderKey(open, span)).not.toBe(renderKey([mask({ start: 3000, end: 5000 })], span));
    expect(renderKey([], span)).toBe('[]');
  });

  it('lifts an open mask, and drops one lifted before it began', () => {
    expect(liftMask([mask()], 'm1', 5000)).toEqual([mask({ end: 5000 })]);
    expect(liftMask([mask()], 'm1', 500)).toEqual([]);
    expect(liftMask([mask({ end: 3000 })], 'm1', 5000)).toEqual([mask({ end: 3000 })]);
    expect(addMask([mask()], mask({ start: 7 }))).toEqual([mask({ start: 7 })]);
  });
});

describe('minting a mask from a request', () => {
  const region = { x: 0.1, y: 0.1, w: 0.2, h: 0.2 };
  it('starts now by default, reaches back when asked, and never starts in the future', () => {
    expect(mintMask({ kind: 'blur', region }, 5_000, 'mk_a')).toEqual({ ok: true, mask: { id: 'mk_a', kind: 'blur', region, start: 5_000, end: null } });
    const retro = mintMask({ kind: 'mute', start: 1_000, end: 3_000 }, 5_000, 'mk_b');
    expect(retro).toEqual({ ok: true, mask: { id: 'mk_b', kind: 'mute', start: 1_000, end: 3_000, exactEnd: true } });
    expect(mintMask({ kind: 'mute', start: 6_000 }, 5_000, 'mk_c')).toEqual({ ok: false, problem: 'starts-in-future' });
  });

  it('refuses a mask of the wrong shape, saying why', () => {
    expect(mintMask({ kind: 'black' }, 5_000, 'mk_d')).toEqual({ ok: false, problem: 'region-required' });
    expect(mintMask({ kind: 'voice', pitch: 1.01 }, 5_000, 'mk_e')).toEqual({ ok: false, problem: 'pitch-out-of-range' });
    expect(mintMask({ kind: 'mute', start: 3_000, end: 3_000 }, 5_000, 'mk_f')).toEqual({ ok: false, problem: 'empty-interval' });
  });
});

describe('the mask kind table', () => {
  it('says what every kind hides, and the rules follow it', () => {
    for (const kind of MASK_KINDS) {
      const policy = maskPolicy(kind);
      // A kind that hides nothing would air its segments as "masked" untouched.
      expect([policy.picture, policy.sound], kind).not.toEqual(['none', 'none']);
      const base = { id: `mk_${kind}`, kind, start: 0, end: 10, ...(policy.sound === 'pitch' ? { pitch: 0.8 } : {}) };
      if (isRegionKind(kind)) {
        expect(maskProblem(base), kind).toBe('region-required');
        expect(maskProblem({ ...base, region: { x: 0, y: 0, w: 0.5, h: 0.5 } }), kind).toBeNull();
      } else {
        expect(maskProblem(base), kind).toBeNull();
        expect(maskProblem({ ...base, region: { x: 0, y: 0, w: 0.5, h: 0.5 } }), kind).toBe('region-not-allowed');
      }
      if (policy.sound === 'pitch') expect(maskProblem({ ...base, pitch: 1 }), kind).toBe('pitch-out-of-range');
      expect(STANDING_MASK_KINDS.includes(kind as never), kind).toBe(policy.standing);
    }
  });
});
