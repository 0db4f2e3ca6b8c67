import type { z } from 'zod';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The one way a file is written to survive a crash. `write` fills a temp file beside the target
 * (`<target>.<random>.part`: listings skip such names and recovery removes them); it is fsynced,
 * renamed over the target, and the directory fsynced so the rename itself is on disk. Once this
 * resolves the new content survives a power cut; a crash at any instant leaves the old content or
 * the new, never a part.
 */
export async function replaceDurably(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.part`;
  try {
    await write(tmp);
    await syncPath(tmp);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncPath(dir);
}

/** Flushes a file's (or a directory's) content and metadata to the disk. */
async function syncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces a file's content durably (see `replaceDurably`); private to this process's user. */
export function writeFileDurably(file: string, data: string | Buffer): Promise<void> {
  return replaceDurably(file, (tmp) => writeFile(tmp, data, { mode: 0o600 }));
}

/** Appends one line and fsyncs it: once this resolves, the line survives a crash. */
export async function appendLineDurably(file: string, line: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const fh = await open(file, 'a', 0o600);
  try {
    await fh.writeFile(`${line}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The parsed JSON of a file as its codec reads it; null when absent, unreadable or not of that shape. */
export async function readJsonFile<T>(file: string, codec: z.ZodType<T>): Promise<T | null> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
  const parsed = codec.safeParse(raw);
  return parsed.success ? parsed.data : null;
}
