import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config/schema.ts';
import { bestLocale } from '../../player/locale-match.js';

/** A text for the public in one language for all, or one per language tag. */
export type Localized = string | Readonly<Record<string, string>>;

/** The text of a localized setting for a reader of `lang`: theirs, else English, else any. */
export function pick(text: Localized | undefined, lang: string): string | undefined {
  if (text === undefined || typeof text === 'string') return text;
  const tags = Object.keys(text);
  const best = bestLocale([lang], tags, '');
  return text[best] ?? text.en ?? (tags[0] !== undefined ? text[tags[0]] : undefined);
}

/** The court's emblem as served at `path`. */
export interface Emblem {
  readonly path: string;
  readonly type: string;
  readonly bytes: Buffer;
}

/** How the portal presents the deployment, read once at start. */
export interface Brand {
  readonly portal: Config['portal'];
  readonly emblem: Emblem | null;
}

/** Largest emblem file taken: it is sent with every page's header. */
export const EMBLEM_MAX_BYTES = 256 * 1024;

const TYPES: Readonly<Record<string, string>> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.svg': 'image/svg+xml' };

/**
 * Reads the emblem the configuration names. A file that is missing, empty or too large stops the
 * start with its reason rather than leave a court's pages with a broken picture.
 */
export async function loadBrand(portal: Config['portal']): Promise<Brand> {
  if (!portal.emblemFile) return { portal, emblem: null };
  const file = portal.emblemFile;
  const size = (await stat(file).catch(() => null))?.size;
  if (size === undefined) throw new Error(`portal.emblemFile: no file at ${file}`);
  if (size === 0 || size > EMBLEM_MAX_BYTES) throw new Error(`portal.emblemFile: ${file} is ${size} bytes; an emblem is 1 to ${EMBLEM_MAX_BYTES} bytes`);
  const ext = path.extname(file).toLowerCase();
  return { portal, emblem: { path: `/brand/emblem${ext === '.jpeg' ? '.jpg' : ext}`, type: TYPES[ext] ?? 'application/octet-stream', bytes: await readFile(file) } };
}
