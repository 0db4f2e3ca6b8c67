import os from 'node:os';
import path from 'node:path';

/**
 * Where a browser test saves its picture of a page: docs/NAME.png when the screenshots are being
 * regenerated (scripts/screenshots.sh sets COURTCAST_SCREENSHOTS), else a temporary file.
 */
export function shotPath(name: string): string {
  return process.env.COURTCAST_SCREENSHOTS ? path.resolve(`docs/screenshots/${name}.png`) : path.join(os.tmpdir(), `courtcast-${name}.png`);
}

/** Whether this run regenerates docs' screenshots (tests that only shoot for docs skip it otherwise). */
export const regeneratingShots = (): boolean => Boolean(process.env.COURTCAST_SCREENSHOTS);
