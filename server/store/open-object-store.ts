import path from 'node:path';
import type { Config } from '../../config/schema.ts';
import { LocalObjectStore } from './local-object-store.ts';
import type { ObjectStore } from './object-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';

/** The archive store the configuration names: a local directory by default, or an S3 bucket. */
export function openArchiveStore(config: Pick<Config, 'archive'>, dataDir: string): ObjectStore {
  const a = config.archive;
  if (a.store === 's3' && a.s3) {
    const s3 = a.s3;
    return new S3ObjectStore({
      bucket: s3.bucket,
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: s3.forcePathStyle,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      ...(s3.prefix ? { prefix: s3.prefix } : {}),
      partSizeBytes: s3.partSizeMb * 1024 * 1024,
    });
  }
  return new LocalObjectStore(a.dir ? path.resolve(a.dir) : path.join(dataDir, 'archive'));
}
