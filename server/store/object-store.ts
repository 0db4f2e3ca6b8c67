import type { Readable } from 'node:stream';

/** Object keys are relative, slash-separated paths of safe characters; nothing can climb out. */
export const OBJECT_KEY_PATTERN = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9_][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;

/** Whether `key` is a well-formed object key. */
export function isObjectKey(key: string): boolean {
  return key.length <= 512 && OBJECT_KEY_PATTERN.test(key);
}

/** Bytes `start` to `end` of an object, both included (as in an HTTP Range header). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** Metadata about a stored object. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly modifiedAt: Date;
}

/**
 * What a reader of a store may do: the HTTP origin gets only this view of the public store, so
 * nothing reachable from a request can write to it (only the delay line's public writer does).
 */
export type ObjectReader = Pick<ObjectStore, 'description' | 'get' | 'stream' | 'head' | 'list'>;

/**
 * A bucket of objects: a local directory or an S3 bucket. Writes are atomic:
 * a reader sees the old object or the new one, never half of one.
 */
export interface ObjectStore {
  /** A label for logs, e.g. "local:/var/courtcast/public". */
  readonly description: string;
  put(key: string, body: Buffer | string): Promise<void>;
  /**
   * Copies a file from the local disk into the store. Resolves only once the store holds the
   * object whole (its size and checksum confirmed), so the caller may then delete the file.
   */
  putFile(key: string, sourcePath: string): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  /** A stream of the object (or of `range` of it; `info.size` is still the whole size), or null when absent. */
  stream(key: string, range?: ByteRange): Promise<{ body: Readable; info: ObjectInfo } | null>;
  head(key: string): Promise<ObjectInfo | null>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Releases connections, if the store holds any. */
  close?(): void;
}
