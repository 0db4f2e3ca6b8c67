import { describe, expect, it } from 'vitest';
import { layoutCapacity, layoutTiles, LAYOUTS, regionOnProgram, type Tile } from '../../server/domain/layouts.ts';

const overlap = (a: Tile, b: Tile) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('program layouts of several cameras', () => {
  it('places every camera a layout shows inside the picture, 16:9, none over another but the picture-in-picture inset', () => {
    const cameras = ['bench', 'witness', 'plaintiff', 'defendant', 'gallery'];
    for (const layout of LAYOUTS) {
      const tiles = layoutTiles(layout, cameras);
      expect(tiles.map((t) => t.source)).toEqual(cameras.slice(0, layoutCapacity(layout)));
      for (const t of tiles) {
        expect(t.x >= 0 && t.y >= 0 && t.x + t.w <= 1 && t.y + t.h <= 1, `${layout} ${t.source}`).toBe(true);
        // The program is 16:9 and so is every camera: a tile keeps the picture's proportions.
        expect(t.w / t.h, `${layout} ${t.source}`).toBeCloseTo(1, 5);
      }
      const pairs = tiles.flatMap((a, i) => tiles.slice(i + 1).map((b) => [a, b] as const));
      expect(pairs.filter(([a, b]) => overlap(a, b)).length, layout).toBe(layout === 'pip' ? 1 : 0);
    }
    // Fewer cameras than slots: only theirs.
    expect(layoutTiles('one-plus-three', ['bench', 'witness', 'gallery']).map((t) => t.source)).toEqual(['bench', 'witness', 'gallery']);
    expect(layoutTiles('single', ['witness'])).toEqual([{ source: 'witness', x: 0, y: 0, w: 1, h: 1 }]);
  });

  it('carries a mask set on a camera to wherever the layout puts that camera, scaled with it', () => {
    const box = { x: 0.5, y: 0.5, w: 0.2, h: 0.4 };
    expect(regionOnProgram('witness', box, layoutTiles('single', ['witness']))).toEqual(box);
    // In the quad the witness is top right: the box is halved and moved there.
    expect(regionOnProgram('witness', box, layoutTiles('quad', ['bench', 'witness']))).toEqual({ x: 0.75, y: 0.25, w: 0.1, h: 0.2 });
    // The same mask after a switch to 1 + 3 with the witness large.
    const large = regionOnProgram('witness', box, layoutTiles('one-plus-three', ['witness', 'bench']))!;
    expect(large.x).toBeCloseTo(0.375, 10);
    expect(large.w).toBeCloseTo(0.15, 10);
    // A camera the layout does not show has nowhere to be masked.
    expect(regionOnProgram('witness', box, layoutTiles('single', ['bench', 'witness']))).toBeNull();
    // A mask over a whole camera covers exactly its tile.
    for (const layout of LAYOUTS) {
      const tiles = layoutTiles(layout, ['bench', 'witness']);
      for (const t of tiles) expect(regionOnProgram(t.source, { x: 0, y: 0, w: 1, h: 1 }, tiles)).toEqual({ x: t.x, y: t.y, w: t.w, h: t.h });
    }
  });
});
