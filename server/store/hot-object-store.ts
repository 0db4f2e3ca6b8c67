import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ByteRange, ObjectInfo, ObjectStore } from './object-store.ts';

/** An object held in memory, ready to serve. */
export interface HotObject {
  readonly body: Buffer;
  /** A strong validator: the body's hash. */
  readonly etag: string;
  readonly modifiedAt: Date;
}

/**
 * The public store with what this process wrote to it kept in memory: every playlist, and the
 * newest segments up to a byte budget (least recently written go first). Every viewer fetches
 * the same few newest objects, so the origin answers them from memory without touching the disk
 * or the store; anything not held (after a restart, an old segment) is read from the store as
 * before. Writes go to the store first and are held only once it has them, so memory never
 * serves what the store does not have.
 */
export class HotObjectStore implements ObjectStore {
  private readonly held = new Map<string, HotObject>();
  private bytes = 0;

  constructor(
    private readonly inner: ObjectStore,
    private readonly budgetBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  get description(): string {
    return this.inner.description;
  }

  /** The object, if held in memory. */
  hot(key: string): HotObject | null {
    return this.held.get(key) ?? null;
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    await this.inner.put(key, body);
    this.hold(key, Buffer.isBuffer(body) ? body : Buffer.from(body));
  }

  async putFile(key: string, sourcePath: string): Promise<void> {
    await this.inner.putFile(key, sourcePath);
    // The caller may delete the file once this resolves, so it is read now (from the page cache).
    this.hold(key, await readFile(sourcePath));
  }

  async get(key: string): Promise<Buffer | null> {
    return this.held.get(key)?.body ?? this.inner.get(key);
  }

  async stream(key: string, range?: ByteRange): Promise<{ body: Readable; info: ObjectInfo } | null> {
    const h = this.held.get(key);
    if (!h) return this.inner.stream(key, range);
    const body = range ? h.body.subarray(range.start, range.end + 1) : h.body;
    return { body: Readable.from([body]), info: { key, size: h.body.length, modifiedAt: h.modifiedAt } };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const h = this.held.get(key);
    return h ? { key, size: h.body.length, modifiedAt: h.modifiedAt } : this.inner.head(key);
  }

  async delete(key: string): Promise<void> {
    this.drop(key);
    await this.inner.delete(key);
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.inner.list(prefix);
  }

  close(): void {
    this.held.clear();
    this.bytes = 0;
    this.inner.close?.();
  }

  private hold(key: string, body: Buffer): void {
    this.drop(key);
    // Playlists are always held (they are small and change every segment); segments within budget.
    const playlist = key.endsWith('.m3u8');
    if (!playlist && body.length > this.budgetBytes) return;
    this.held.set(key, { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"`, modifiedAt: new Date(this.now()) });
    this.bytes += body.length;
    for (const k of this.held.keys()) {
      if (this.bytes <= this.budgetBytes) break;
      if (!k.endsWith('.m3u8')) this.drop(k);
    }
  }

  private drop(key: string): void {
    const h = this.held.get(key);
    if (!h) return;
    this.held.delete(key);
    this.bytes -= h.body.length;
  }
}
