import type { Region } from './masks.ts';

/**
 * How a courtroom's cameras share the program picture (issue 29): one camera at a time, two side
 * by side, one large with up to three small, a 2 × 2 quad, and picture-in-picture (the evidence
 * screen with the speaker inset).
 */
export const LAYOUTS = ['single', 'side-by-side', 'one-plus-three', 'quad', 'pip'] as const;
export type Layout = (typeof LAYOUTS)[number];

/** Where one camera's whole picture lies in the program picture (fractions of its width and height). */
export interface Tile extends Region {
  readonly source: string;
}

/** Every tile's slots, in order: the first camera named takes the first. Cameras are 16:9, as the program is. */
const SLOTS: Readonly<Record<Layout, readonly Region[]>> = {
  single: [{ x: 0, y: 0, w: 1, h: 1 }],
  // Two 16:9 pictures side by side fill half the height: centred, with bands above and below.
  'side-by-side': [
    { x: 0, y: 0.25, w: 0.5, h: 0.5 },
    { x: 0.5, y: 0.25, w: 0.5, h: 0.5 },
  ],
  'one-plus-three': [
    { x: 0, y: 0, w: 0.75, h: 0.75 },
    { x: 0.75, y: 0, w: 0.25, h: 0.25 },
    { x: 0.75, y: 0.25, w: 0.25, h: 0.25 },
    { x: 0.75, y: 0.5, w: 0.25, h: 0.25 },
  ],
  quad: [
    { x: 0, y: 0, w: 0.5, h: 0.5 },
    { x: 0.5, y: 0, w: 0.5, h: 0.5 },
    { x: 0, y: 0.5, w: 0.5, h: 0.5 },
    { x: 0.5, y: 0.5, w: 0.5, h: 0.5 },
  ],
  // The inset sits inside the picture's safe area, clear of the time overlay at the top.
  pip: [
    { x: 0, y: 0, w: 1, h: 1 },
    { x: 0.7, y: 0.7, w: 0.25, h: 0.25 },
  ],
};

/** How many cameras a layout shows at most. */
export const layoutCapacity = (layout: Layout): number => SLOTS[layout].length;

/**
 * The tiles of a layout for cameras named in order (the first takes the large or main slot);
 * cameras beyond the layout's slots are not shown. Pure.
 */
export function layoutTiles(layout: Layout, sources: readonly string[]): Tile[] {
  return SLOTS[layout].slice(0, sources.length).map((slot, i) => ({ source: sources[i] as string, ...slot }));
}

/**
 * Where a region of one camera's picture lies in the program picture, through that camera's tile;
 * null when the layout does not show the camera. A mask set on a camera follows it this way
 * wherever the layout places or scales it. Pure.
 */
export function regionOnProgram(source: string, region: Region, tiles: readonly Tile[]): Region | null {
  const tile = tiles.find((t) => t.source === source);
  if (!tile) return null;
  return { x: tile.x + region.x * tile.w, y: tile.y + region.y * tile.h, w: region.w * tile.w, h: region.h * tile.h };
}
