import { describe, expect, it } from 'vitest';
import { isShed, nextShedLevel, SHED_ORDER, SHEDDABLE } from '../../server/domain/shedding.ts';

describe('the shedding order', () => {
  it('sheds the first step as soon as the transcoder is judged behind, and holds it while behind', () => {
    expect(nextShedLevel(0, 'falling-behind', 0, 0)).toBe(1);
    // With one step declared there is nothing further to shed, however long it stays behind.
    expect(nextShedLevel(SHED_ORDER.length, 'falling-behind', 0, 600_000)).toBe(SHED_ORDER.length);
    expect(nextShedLevel(0, 'keeping-up', 0, 600_000)).toBe(0);
  });

  it('restores a step only after 30 s of keeping up since the last change, one at a time', () => {
    expect(nextShedLevel(1, 'keeping-up', 100_000, 129_999)).toBe(1);
    expect(nextShedLevel(1, 'keeping-up', 100_000, 130_000)).toBe(0);
  });

  it('names every step once, and only work the public can do without', () => {
    expect(SHED_ORDER.map((s) => s.gives)).toEqual([...new Set(SHED_ORDER.map((s) => s.gives))]);
    for (const step of SHED_ORDER) expect(SHEDDABLE).toContain(step.gives);
    expect(isShed(0, 'retroactive-renders')).toBe(false);
    expect(isShed(1, 'retroactive-renders')).toBe(true);
  });
});
