import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { S3ObjectStore, type S3Settings } from '../../server/store/s3-object-store.ts';

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
  }
}
