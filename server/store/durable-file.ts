import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Replaces a file so that a crash at any instant leaves the old content or the new, and once this
 * resolves the new content survives a power cut: written to a temp file, fsynced, renamed over
 * the target, and the directory fsynced so the rename itself is on disk.
 */
export async function writeFileDurably(file: string, data: string | Buffer): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
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

/** The parsed JSON of a file, or null when it is absent or unreadable. */
export async function readJsonFile<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}
