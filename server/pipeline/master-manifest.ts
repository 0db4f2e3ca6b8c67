import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { readJsonLines } from './json-lines.ts';
import { z } from 'zod';

/**
 * The master manifest: one JSON line per sealed master segment, appended by the sealer (and by
 * crash recovery for segments sealed late), read by recovery and by the recorder. This module is
 * its one codec; the file's name and shape are written and read nowhere else.
 */
const MANIFEST_FILE = 'manifest.jsonl';

/** One line: a segment as sealed live, or (`recovered`) one hashed after a crash, without timing. */
export interface MasterManifestLine {
  readonly run: number;
  readonly index: number;
  /** Relative to the hearing's master directory (an absolute path is made relative when written). */
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
  readonly durationSec?: number;
  readonly listedAt?: number;
  readonly captureStart?: number;
  readonly captureEnd?: number;
  readonly dated?: 'clock' | 'observed';
  readonly recovered?: true;
}

const lineCodec: z.ZodType<MasterManifestLine> = z.looseObject({
  run: z.number().int(),
  index: z.number().int(),
  file: z.string().min(1),
  size: z.number().int(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  durationSec: z.number().optional(),
  listedAt: z.number().optional(),
  captureStart: z.number().optional(),
  captureEnd: z.number().optional(),
  dated: z.enum(['clock', 'observed']).optional(),
  recovered: z.literal(true).optional(),
});

/** Where a hearing keeps a further camera's master: beside its own, with a manifest of its own. */
export const sourceMasterDir = (masterDir: string, source: string): string => path.join(masterDir, SOURCES_DIR, source);
/** The folder of a hearing's master directory that holds its further cameras'. */
export const SOURCES_DIR = 'sources';

/** The manifest file of a hearing's master directory. */
export const masterManifestOf = (masterDir: string): string => path.join(masterDir, MANIFEST_FILE);

/** Appends one line, its file made relative to the master directory. */
export async function appendMasterLine(masterDir: string, line: MasterManifestLine, o: { readonly afterFailure?: boolean } = {}): Promise<void> {
  const file = path.isAbsolute(line.file) ? path.relative(masterDir, line.file) : line.file;
  // After a failed append (a full disk) part of a line may be on file: start a fresh line, so the
  // torn part is skipped alone and this one reads whole.
  await appendFile(masterManifestOf(masterDir), `${o.afterFailure ? '\n' : ''}${JSON.stringify(lineCodec.parse({ ...line, file }))}\n`);
}

/**
 * Every readable line of a hearing's master manifest, in order; none when it is absent. A line torn
 * by a crash (or one that does not read as a line) is skipped: recovery seals its segment again.
 */
export async function readMasterManifest(masterDir: string): Promise<MasterManifestLine[]> {
  return readJsonLines(masterManifestOf(masterDir), lineCodec);
}
