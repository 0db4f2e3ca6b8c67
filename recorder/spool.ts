import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, rm, stat, writeFile } from 'node:fs/promises';
import { replaceDurably } from '../server/store/durable-file.ts';
import path from 'node:path';
import { filesUnder } from '../server/store/file-tree.ts';
import { isObjectKey } from '../server/store/object-store.ts';

/** One object waiting in the spool for the archive store. */
export interface Spooled {
  readonly key: string;
  readonly file: string;
  readonly size: number;
  /** When it entered the spool (its file's mtime), so lag survives a restart. */
  readonly spooledAt: number;
  /** Identity of this version of the file: a replaced object is a new version. */
  readonly version: string;
}

/** SHA-256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) h.update(chunk);
  return h.digest('hex');
}

/**
 * The recorder's outbox on the local disk: one file per object, under the object's own key, so the
 * directory is the queue and a restart finds every upload still owed. A file enters whole and
 * durably (store/durable-file.ts) and leaves only when the store has confirmed it.
 */
export class Spool {
  constructor(readonly dir: string) {}

  pathOf(key: string): string {
    if (!isObjectKey(key)) throw new Error(`not an object key: ${key}`);
    return path.join(this.dir, key);
  }

  private async enter(key: string, write: (tmp: string) => Promise<void>): Promise<Spooled> {
    // Durable before it counts as spooled: an upload owed must survive a power cut.
    await replaceDurably(this.pathOf(key), write);
    return this.describe(key);
  }

  /** Spools a file that must not change afterwards: a hard link when it can be (no copy), else a copy. */
  addFile(key: string, source: string): Promise<Spooled> {
    return this.enter(key, (tmp) => link(source, tmp).catch(() => copyFile(source, tmp)));
  }

  add(key: string, body: Buffer | string): Promise<Spooled> {
    return this.enter(key, (tmp) => writeFile(tmp, body));
  }

  async describe(key: string): Promise<Spooled> {
    const file = this.pathOf(key);
    const s = await stat(file);
    return { key, file, size: s.size, spooledAt: s.mtimeMs, version: `${s.ino}:${s.mtimeMs}:${s.size}` };
  }

  /** Removes `item` if the spool still holds that very version (a newer one stays queued). */
  async remove(item: Spooled): Promise<void> {
    const now = await this.describe(item.key).catch(() => null);
    if (now?.version === item.version) await rm(item.file, { force: true });
  }

  /** Everything in the spool, oldest first. */
  async all(): Promise<Spooled[]> {
    const out: Spooled[] = [];
    for (const { key, full } of await filesUnder(this.dir)) {
      if (key.endsWith('.part')) await rm(full, { force: true }); // a crash mid-entry
      else out.push(await this.describe(key));
    }
    return out.sort((a, b) => a.spooledAt - b.spooledAt);
  }
}
