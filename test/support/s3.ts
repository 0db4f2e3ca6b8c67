import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { mkdir, rename, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3rver from 's3rver';
import { Turns } from '../../server/domain/turns.ts';
import { S3ObjectStore, type S3Settings } from '../../server/store/s3-object-store.ts';

/** The parts of s3rver's filesystem store that `atomicWrites` replaces. */
interface FilesystemStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  getObject(bucket: string, key: string, options?: unknown): Promise<unknown>;
  putObject(object: { bucket: string; key: string; content: Buffer | Readable; metadata: unknown }): Promise<{ size: number; md5: string }>;
  deleteObject(bucket: string, key: string): Promise<void>;
}

/**
 * Makes s3rver replace an object the way S3 does: a reader gets the old object or the new one,
 * whole. s3rver writes over the object file in place and keeps its length in a second file, so a
 * GET racing a PUT could be cut short or fail. Here the body is written aside and renamed in, and
 * a read (length, then open) and a replacement (rename, then length) never interleave for one key.
 */
function atomicWrites(store: FilesystemStore, scratch: string): void {
  const turns = new Turns();
  const inTurn = <T>(bucket: string, key: string, work: () => Promise<T>): Promise<T> => turns.run(`${bucket}/${key}`, work);
  const getObject = store.getObject.bind(store);
  const deleteObject = store.deleteObject.bind(store);
  store.getObject = (bucket, key, options) => inTurn(bucket, key, () => getObject(bucket, key, options));
  store.deleteObject = (bucket, key) => inTurn(bucket, key, () => deleteObject(bucket, key));
  store.putObject = async (object) => {
    await mkdir(scratch, { recursive: true });
    const aside = path.join(scratch, randomUUID());
    const md5 = createHash('md5');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        md5.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    const body = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    try {
      await pipeline(body, count, createWriteStream(aside));
    } catch (err) {
      await unlink(aside).catch(() => undefined);
      throw err;
    }
    const digest = md5.digest('hex');
    const target = store.getResourcePath(object.bucket, object.key, 'object');
    await inTurn(object.bucket, object.key, async () => {
      await mkdir(path.dirname(target), { recursive: true });
      await rename(aside, target);
      await store.putMetadata(object.bucket, object.key, object.metadata, digest);
    });
    return { size, md5: digest };
  };
}

/**
 * A real S3 peer for tests: s3rver in this process, on a free port, over a scratch directory.
 * It can be stopped and started again on the same port with the same contents (a store outage).
 */
export class S3Peer {
  constructor(readonly bucket = 'courtcast-test') {}

  readonly directory = mkdtempSync(path.join(os.tmpdir(), 'cc-s3-'));
  private server: S3rver | null = null;
  port = 0;

  async start(): Promise<this> {
    const s = new S3rver({ address: '127.0.0.1', port: this.port, silent: true, directory: this.directory, configureBuckets: [{ name: this.bucket }] });
    atomicWrites((s as unknown as { store: FilesystemStore }).store, `${this.directory}-writing`);
    const addr = await s.run();
    this.port = addr.port;
    this.server = s;
    return this;
  }

  /** Stops answering at once: open connections are dropped too. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    const closed = s.close();
    s.httpServer?.closeAllConnections();
    await closed;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  settings(extra: Partial<S3Settings> = {}): S3Settings {
    return { bucket: this.bucket, region: 'us-east-1', endpoint: this.endpoint, forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', ...extra };
  }

  store(extra: Partial<S3Settings> = {}): S3ObjectStore {
    return new S3ObjectStore(this.settings(extra));
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.directory, { recursive: true, force: true });
    await rm(`${this.directory}-writing`, { recursive: true, force: true });
  }
}
