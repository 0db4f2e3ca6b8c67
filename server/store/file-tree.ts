import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * The files under `dir`, as keys relative to `root` with `/` separators, depth first; none when
 * `dir` does not exist. Used by the stores that keep one object a file (the local object store,
 * the archive spool).
 */
export async function filesUnder(dir: string, root = dir): Promise<{ key: string; full: string }[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: { key: string; full: string }[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(full, root)));
    else if (e.isFile()) out.push({ key: path.relative(root, full).split(path.sep).join('/'), full });
  }
  return out;
}
