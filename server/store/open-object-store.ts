import path from 'node:path';
import type { Config } from '../../config/schema.ts';
import { LocalObjectStore } from './local-object-store.ts';
import type { ObjectStore } from './object-store.ts';
import { S3ObjectStore, type S3Settings } from './s3-object-store.ts';

type S3Config = NonNullable<Config['archive']['s3']>;

function s3Store(s3: S3Config, objectHeaders?: S3Settings['objectHeaders']): S3ObjectStore {
  return new S3ObjectStore({
    bucket: s3.bucket,
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    ...(s3.prefix ? { prefix: s3.prefix } : {}),
    partSizeBytes: s3.partSizeMb * 1024 * 1024,
    ...(objectHeaders ? { objectHeaders } : {}),
  });
}

/** The archive store the configuration names: a local directory by default, or an S3 bucket. */
export function openArchiveStore(config: Pick<Config, 'archive'>, dataDir: string): ObjectStore {
  const a = config.archive;
  if (a.store === 's3' && a.s3) return s3Store(a.s3);
  return new LocalObjectStore(a.dir ? path.resolve(a.dir) : path.join(dataDir, 'archive'));
}

/**
 * What a cache in front of the public bucket must pass on: playlists live a second (they change
 * every segment), segments forever (they never change once published).
 */
export function publicObjectHeaders(key: string): { ContentType?: string; CacheControl?: string } {
  if (key.endsWith('.m3u8')) return { ContentType: 'application/vnd.apple.mpegurl', CacheControl: 'public, max-age=1' };
  if (key.endsWith('.ts')) return { ContentType: 'video/mp2t', CacheControl: 'public, max-age=31536000, immutable' };
  // A slot's captions never change once released; the live checkpoint changes with every slot.
  if (key.endsWith('.vtt')) return { ContentType: 'text/vtt; charset=utf-8', CacheControl: 'public, max-age=31536000, immutable' };
  if (key.endsWith('/checkpoint.json')) return { ContentType: 'application/json', CacheControl: 'public, max-age=1' };
  return {};
}

/** The public store: a directory under the data directory by default, or an S3 bucket any node or CDN reads. */
export function openPublicStore(config: Pick<Config, 'stores'>, publicDir: string): ObjectStore {
  const { objects, publicS3 } = config.stores;
  return objects === 's3' && publicS3 ? s3Store(publicS3, publicObjectHeaders) : new LocalObjectStore(publicDir);
}
