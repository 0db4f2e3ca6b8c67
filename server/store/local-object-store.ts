import { replaceDurably } from './durable-file.ts';
import { createReadStream } from 'node:fs';
import { copyFile, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CourtcastError } from '../domain/errors.ts';
import { filesUnder } from './file-tree.ts';
import { isObjectKey, type ByteRange, type ObjectInfo, type ObjectStore } from './object-store.ts';

/** An object store on the local disk, rooted at one directory that nothing can escape. */
export class LocalObjectStore implements ObjectStore {
  readonly description: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.description = `local:${this.root}`;
  }

  /** The absolute path of a key; throws on any key that is not a plain relative path. */
  private resolve(key: string): string {
    if (!isObjectKey(key)) throw new CourtcastError('VALIDATION_FAILED', `invalid object key: ${JSON.stringify(key)}`);
    const full = path.join(this.root, key);
    // Belt and braces: the pattern already forbids '..', but the root check is what matters.
    if (!full.startsWith(this.root + path.sep)) throw new CourtcastError('VALIDATION_FAILED', 'object key escapes the store');
    return full;
  }

  private async atomically(key: string, write: (tmp: string) => Promise<void>): Promise<void> {
    await replaceDurably(this.resolve(key), write);
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    await this.atomically(key, (tmp) => writeFile(tmp, body));
  }

  async putFile(key: string, sourcePath: string): Promise<void> {
    await this.atomically(key, async (tmp) => {
      await copyFile(sourcePath, tmp);
      const [a, b] = await Promise.all([stat(sourcePath), stat(tmp)]);
      if (a.size !== b.size) throw new CourtcastError('STORE_UNAVAILABLE', `copied ${b.size} of ${a.size} bytes of ${key}`);
    });
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.resolve(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const s = await stat(this.resolve(key));
      return s.isFile() ? { key, size: s.size, modifiedAt: s.mtime } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async stream(key: string, range?: ByteRange): Promise<{ body: ReturnType<typeof createReadStream>; info: ObjectInfo } | null> {
    const info = await this.head(key);
    return info ? { body: createReadStream(this.resolve(key), range ? { start: range.start, end: range.end } : {}), info } : null;
  }

  async delete(key: string): Promise<void> {
    await rm(this.resolve(key), { force: true });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const dir = prefix === '' ? this.root : this.resolve(prefix.replace(/\/$/, ''));
    const out: ObjectInfo[] = [];
    for (const { key, full } of await filesUnder(dir, this.root)) {
      if (key.endsWith('.part')) continue; // a write in progress
      const s = await stat(full);
      out.push({ key, size: s.size, modifiedAt: s.mtime });
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }
}
