import { layoutTiles, regionOnProgram, type Layout, type Tile } from './layouts.ts';
import type { Mask, Region } from './masks.ts';

/** How a composed program is laid out from an instant on: its layout and the cameras in its tiles, in order. */
export interface Arrangement {
  /** Capture instant it holds from (ms since the epoch). */
  readonly at: number;
  readonly layout: Layout;
  readonly cameras: readonly string[];
}

/** The tiles of an arrangement. */
export const tilesOf = (a: Pick<Arrangement, 'layout' | 'cameras'>): Tile[] => layoutTiles(a.layout, a.cameras);

const sameRegion = (a: Region | undefined, b: Region | undefined): boolean => a !== undefined && b !== undefined && a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;

/**
 * Where a switch from tiles `from` to tiles `to` changes the picture: the whole of it when the
 * layout changes (the picture under the tiles changes too), else the tiles whose camera changes,
 * as they were and as they will be. Pure.
 */
export function changedRegions(from: Pick<Arrangement, 'layout' | 'cameras'>, to: Pick<Arrangement, 'layout' | 'cameras'>): Region[] {
  if (from.layout !== to.layout) return [{ x: 0, y: 0, w: 1, h: 1 }];
  const [a, b] = [tilesOf(from), tilesOf(to)];
  const out: Region[] = [];
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const [was, now] = [a[i], b[i]];
    if (was?.source === now?.source) continue;
    const { source: _s, ...tile } = (was ?? now) as Tile;
    out.push(tile);
  }
  return out;
}

/**
 * The masks drawn on cameras, moved with their cameras by a switch at `at` to tiles `to`. A mask whose camera's tile changes ends at `at` and goes on from `at` as a new piece over
 * the camera's new tile (its id `<first piece's id>~<at>`, `of` naming the first piece); a camera
 * the new layout does not show keeps its open masks parked, without a place on the picture, until
 * a later switch shows it again. Masks on the program itself, and pieces that end by `at`, stay as
 * they are. Pure.
 */
export function moveCameraMasks(masks: readonly Mask[], parked: readonly Mask[], to: readonly Tile[], at: number): { masks: Mask[]; parked: Mask[] } {
  const out: Mask[] = [];
  const parkedOut: Mask[] = [];
  const piece = (m: Mask, region: Region | null): Mask => {
    const { region: _r, ...rest } = m;
    return { ...rest, id: `${m.of ?? m.id}~${at}`, of: m.of ?? m.id, start: at, ...(region ? { region } : {}) };
  };
  for (const m of masks) {
    if (!m.on || (m.end !== null && m.end <= at)) {
      out.push(m);
      continue;
    }
    const region = regionOnProgram(m.on.source, m.on.region, to);
    if (sameRegion(region ?? undefined, m.region)) {
      out.push(m);
      continue;
    }
    if (m.start < at) out.push({ ...m, end: at, exactEnd: false });
    if (region) out.push(piece(m, region));
    else parkedOut.push(piece(m, null));
  }
  for (const p of parked) {
    if (!p.on || (p.end !== null && p.end <= at)) continue;
    const region = regionOnProgram(p.on.source, p.on.region, to);
    if (region) out.push(piece(p, region));
    else parkedOut.push(p);
  }
  return { masks: out, parked: parkedOut };
}

/**
 * A mask drawn on a camera, placed on the program over its whole interval: one piece per
 * arrangement in force over part of it, over the camera's tile in that arrangement (none where it
 * was not shown), the first keeping the mask's id, the others `<id>~<instant>` with `of` naming it.
 * A piece still open under an arrangement that does not show the camera is parked (no region). A
 * retroactive mask reaching back over a switch thus covers the camera where it was before it, too.
 * `arrangements` oldest first. Pure.
 */
export function placeCameraMask(mask: Mask & { readonly on: NonNullable<Mask['on']> }, arrangements: readonly Arrangement[]): Mask[] {
  const out: Mask[] = [];
  arrangements.forEach((a, k) => {
    const next = arrangements[k + 1];
    const from = Math.max(mask.start, k === 0 ? mask.start : a.at);
    const to = next ? (mask.end === null ? next.at : Math.min(mask.end, next.at)) : mask.end;
    if (to !== null && to <= from) return;
    const region = regionOnProgram(mask.on.source, mask.on.region, tilesOf(a));
    // Over a finished part where the camera was not shown, nothing of it aired: nothing to cover.
    if (!region && to !== null) return;
    const { region: _r, ...rest } = mask;
    const first = out.length === 0;
    const piece: Mask = { ...rest, ...(first ? {} : { id: `${mask.id}~${from}`, of: mask.id }), start: from, end: next ? to : mask.end, ...(next && to !== mask.end ? { exactEnd: false } : {}), ...(region ? { region } : {}) };
    out.push(piece);
  });
  return out;
}
