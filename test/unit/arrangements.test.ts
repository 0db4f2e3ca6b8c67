import { describe, expect, it } from 'vitest';
import { changedRegions, moveCameraMasks, placeCameraMask, tilesOf } from '../../server/domain/arrangements.ts';
import { policyOf } from '../../server/domain/commands.ts';
import { applyAction, emptyProgram } from '../../server/domain/program.ts';
import type { Mask } from '../../server/domain/masks.ts';
import { programAfter as run } from '../support/program.ts';

const band = { x: 0, y: 0, w: 1, h: 0.2 };
/** A blur drawn on the witness camera's top band, where a one-plus-three puts the witness second. */
const onWitness = (tiles: ReturnType<typeof tilesOf>): Mask => {
  const t = tiles.find((x) => x.source === 'witness')!;
  return { id: 'mk_w', kind: 'blur', region: { x: t.x, y: t.y, w: t.w, h: t.h * 0.2 }, on: { source: 'witness', region: band }, start: 1_000, end: null, standing: 'protected witness' };
};

describe('switching a composed program', () => {
  const opening = { layout: 'one-plus-three' as const, cameras: ['main', 'witness', 'bench'] };

  it('covers what a switch changes: the whole picture for another layout, the tiles whose camera changes otherwise', () => {
    expect(changedRegions(opening, { layout: 'quad', cameras: ['main', 'witness', 'bench'] })).toEqual([{ x: 0, y: 0, w: 1, h: 1 }]);
    // The bench for the witness in the second tile; the first and third stay.
    expect(changedRegions(opening, { layout: 'one-plus-three', cameras: ['main', 'bench', 'gallery'] })).toEqual([tilesOf(opening)[1]!, tilesOf(opening)[2]!].map(({ source: _, ...r }) => r));
    expect(changedRegions(opening, opening)).toEqual([]);
    // A tile no camera takes any more is covered too.
    expect(changedRegions(opening, { layout: 'one-plus-three', cameras: ['main', 'witness'] })).toEqual([(({ source: _, ...r }) => r)(tilesOf(opening)[2]!)]);
  });

  it('is a command that may add exposure, given in any phase but after the end', () => {
    expect(policyOf('switch')).toMatchObject({ exposure: 'adds', reason: 'optional' });
    expect(applyAction(run(emptyProgram(0), { type: 'start', at: 1 }, { type: 'end', at: 2 }), { type: 'switch', at: 3, layout: 'single', cameras: ['main'], covers: [] }).ok).toBe(false);
  });

  it('moves a mask drawn on a camera with it, parks it while the camera is not shown, and brings it back when it is', () => {
    const mask = onWitness(tilesOf(opening));
    let p = run({ ...emptyProgram(0), arrangements: [{ at: 0, ...opening }] }, { type: 'start', at: 500 }, { type: 'mask', at: 1_000, mask });
    const cover: Mask = { id: 'sw_1', kind: 'black', region: { x: 0, y: 0, w: 1, h: 1 }, start: 0, end: null };
    // To a quad with the witness first: the mask ends at the switch and goes on over the new tile.
    p = run(p, { type: 'switch', at: 2_000, layout: 'quad', cameras: ['witness', 'main'], covers: [cover] });
    expect(p.arrangements?.at(-1)).toEqual({ at: 2_000, layout: 'quad', cameras: ['witness', 'main'] });
    expect(p.masks).toEqual([
      { ...mask, end: 2_000, exactEnd: false },
      { ...mask, id: 'mk_w~2000', of: 'mk_w', start: 2_000, region: { x: 0, y: 0, w: 0.5, h: 0.1 } },
      { ...cover, start: 2_000 },
    ]);
    // A single camera of the room: the witness is not shown, its mask waits, parked.
    p = run(p, { type: 'switch', at: 3_000, layout: 'single', cameras: ['main'], covers: [] });
    expect(p.masks?.find((m) => m.id === 'mk_w~2000')?.end).toBe(3_000);
    expect(p.parked).toEqual([expect.objectContaining({ id: 'mk_w~3000', of: 'mk_w', start: 3_000, on: mask.on })]);
    expect(p.parked?.[0]?.region).toBeUndefined();
    // The witness alone: the mask is back, over the whole picture's top band.
    p = run(p, { type: 'switch', at: 4_000, layout: 'single', cameras: ['witness'], covers: [] });
    expect(p.parked).toEqual([]);
    expect(p.masks?.filter((m) => m.end === null && m.of === 'mk_w')).toEqual([expect.objectContaining({ id: 'mk_w~4000', start: 4_000, region: { x: 0, y: 0, w: 1, h: 0.2 }, standing: 'protected witness' })]);
    // Lifted by its first piece's id, whichever piece is open.
    p = run(p, { type: 'lift', at: 5_000, maskId: 'mk_w' });
    expect(p.masks?.filter((m) => m.of === 'mk_w' || m.id === 'mk_w').every((m) => m.end !== null)).toBe(true);
  });

  it('leaves masks on the program, and on cameras whose tile does not move, as they are', () => {
    const program: Mask = { id: 'mk_p', kind: 'black', region: band, start: 0, end: null };
    const still = onWitness(tilesOf(opening));
    const moved = moveCameraMasks([program, still], [], tilesOf({ layout: 'one-plus-three', cameras: ['bench', 'witness'] }), 9_000);
    expect(moved).toEqual({ masks: [program, still], parked: [] });
  });

  it('places a retroactive mask drawn on a camera on its tile in each arrangement its interval reaches back over', () => {
    const arrangements = [
      { at: 0, layout: 'side-by-side' as const, cameras: ['main', 'witness'] },
      { at: 10_000, layout: 'single' as const, cameras: ['main'] },
      { at: 20_000, layout: 'single' as const, cameras: ['witness'] },
    ];
    const mask: Mask = { id: 'mk_r', kind: 'blur', region: band, on: { source: 'witness', region: band }, start: 5_000, end: null };
    // Beside the room, then not shown (nothing to cover), then alone and still open.
    expect(placeCameraMask({ ...mask, on: mask.on! }, arrangements)).toEqual([
      { ...mask, start: 5_000, end: 10_000, exactEnd: false, region: { x: 0.5, y: 0.25, w: 0.5, h: 0.1 } },
      { ...mask, id: 'mk_r~20000', of: 'mk_r', start: 20_000, end: null, region: band },
    ]);
    // Ending while the witness was not shown: only the part beside the room.
    expect(placeCameraMask({ ...mask, on: mask.on!, end: 15_000, exactEnd: true }, arrangements)).toEqual([{ ...mask, start: 5_000, end: 10_000, exactEnd: false, region: { x: 0.5, y: 0.25, w: 0.5, h: 0.1 } }]);
    // Open while the layout does not show the camera: parked, no place on the picture.
    const parked = placeCameraMask({ ...mask, on: mask.on!, start: 12_000 }, arrangements.slice(0, 2));
    expect(parked).toHaveLength(1);
    expect(parked[0]!.region).toBeUndefined();
    expect(parked[0]).toMatchObject({ id: 'mk_r', start: 12_000, end: null });
  });
});
