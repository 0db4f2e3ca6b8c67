import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { CourtcastError } from '../domain/errors.ts';
import { isObjectKey, type ByteRange, type ObjectInfo, type ObjectStore } from './object-store.ts';

/** Where and how to reach an S3-compatible bucket. */
export interface S3Settings {
  readonly bucket: string;
  readonly region: string;
  /** For S3-compatible services (MinIO, Ceph, …); AWS itself needs none. */
  readonly endpoint?: string | undefined;
  readonly forcePathStyle?: boolean;
  /** Without them the SDK's default chain applies (environment, profile, instance role). */
  readonly accessKeyId?: string | undefined;
  readonly secretAccessKey?: string | undefined;
  /** Prepended to every key, so one bucket can hold several deployments. */
  readonly prefix?: string;
  /** Files at least this large go up in parts of this size. */
  readonly partSizeBytes?: number;
  /** A connection silent this long is abandoned, so a hung peer fails (and is retried) rather than blocking. */
  readonly idleTimeoutMs?: number;
  /**
   * HTTP headers stored with each object, by key: what a CDN or nginx in front of the bucket
   * passes on to viewers (the public store's content types and cache lifetimes).
   */
  readonly objectHeaders?: (key: string) => { readonly ContentType?: string; readonly CacheControl?: string };
}

const MIN_PART = 5 * 1024 * 1024;

/**
 * The MD5 fingerprints an S3 peer may report as the ETag of a file uploaded in parts of
 * `partSize`: the plain MD5 (single-part uploads, and peers that rehash the whole object) and the
 * multipart form, the MD5 of the parts' MD5s and the part count.
 */
async function etagsOf(file: string, partSize: number): Promise<Set<string>> {
  const whole = createHash('md5');
  const parts: Buffer[] = [];
  let part = createHash('md5');
  let inPart = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    whole.update(chunk);
    let rest = chunk;
    while (rest.length > 0) {
      const take = Math.min(rest.length, partSize - inPart);
      part.update(rest.subarray(0, take));
      inPart += take;
      rest = rest.subarray(take);
      if (inPart === partSize) {
        parts.push(part.digest());
        part = createHash('md5');
        inPart = 0;
      }
    }
  }
  if (inPart > 0) parts.push(part.digest());
  const multipart = `${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-${parts.length}`;
  return new Set([whole.digest('hex'), multipart]);
}

const notFound = (err: unknown): boolean =>
  err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound');

/**
 * An object store in an S3 bucket (AWS SDK v3). Large files go up as multipart uploads; every
 * file upload is confirmed against the store's own size and ETag before it resolves, so a caller
 * may delete its local copy once `putFile` returns.
 */
export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  readonly client: S3Client;
  private readonly prefix: string;
  private readonly partSize: number;

  constructor(private readonly s: S3Settings) {
    this.prefix = s.prefix ? `${s.prefix.replace(/\/+$/, '')}/` : '';
    this.partSize = Math.max(MIN_PART, s.partSizeBytes ?? 8 * 1024 * 1024);
    this.description = `s3:${s.endpoint ?? 'aws'}/${s.bucket}/${this.prefix}`;
    this.client = new S3Client({
      region: s.region,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      forcePathStyle: s.forcePathStyle ?? false,
      ...(s.accessKeyId && s.secretAccessKey ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } } : {}),
      // Checksums only where S3 demands them: some S3-compatible peers store the framed body of a
      // streamed upload with a trailing checksum as the object itself.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 5_000, socketTimeout: s.idleTimeoutMs ?? 30_000 },
    });
  }

  private k(key: string): string {
    if (!isObjectKey(key)) throw new CourtcastError('VALIDATION_FAILED', `invalid object key: ${JSON.stringify(key)}`);
    return this.prefix + key;
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    await this.client.send(
      new PutObjectCommand({ Bucket: this.s.bucket, Key: this.k(key), Body: buf, ContentLength: buf.length, ContentMD5: createHash('md5').update(buf).digest('base64'), ...this.s.objectHeaders?.(key) }),
    );
  }

  async putFile(key: string, sourcePath: string): Promise<void> {
    const { size } = await stat(sourcePath);
    const Key = this.k(key);
    const expected = etagsOf(sourcePath, this.partSize);
    if (size < this.partSize) {
      await this.client.send(new PutObjectCommand({ Bucket: this.s.bucket, Key, Body: createReadStream(sourcePath), ContentLength: size, ...this.s.objectHeaders?.(key) }));
    } else {
      await new Upload({ client: this.client, params: { Bucket: this.s.bucket, Key, Body: createReadStream(sourcePath), ...this.s.objectHeaders?.(key) }, partSize: this.partSize, queueSize: 2 }).done();
    }
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.s.bucket, Key }));
    const etag = (head.ETag ?? '').replace(/"/g, '');
    if (head.ContentLength !== size || !(await expected).has(etag)) {
      throw new CourtcastError('STORE_UNAVAILABLE', `the store holds ${key} as ${head.ContentLength} bytes, etag ${etag}; expected ${size} bytes of the local file`);
    }
  }

  async get(key: string): Promise<Buffer | null> {
    const found = await this.stream(key);
    if (!found) return null;
    const chunks: Buffer[] = [];
    for await (const c of found.body as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks);
  }

  async stream(key: string, range?: ByteRange): Promise<{ body: Readable; info: ObjectInfo } | null> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.s.bucket, Key: this.k(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      const total = out.ContentRange ? Number(out.ContentRange.split('/')[1]) : (out.ContentLength ?? 0);
      return { body: out.Body as Readable, info: { key, size: total, modifiedAt: out.LastModified ?? new Date(0) } };
    } catch (err) {
      if (notFound(err)) return null;
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.s.bucket, Key: this.k(key) }));
      return { key, size: out.ContentLength ?? 0, modifiedAt: out.LastModified ?? new Date(0) };
    } catch (err) {
      if (notFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.s.bucket, Key: this.k(key) }));
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.s.bucket, Prefix: this.prefix + prefix, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key) out.push({ key: o.Key.slice(this.prefix.length), size: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  /** A time-limited URL a browser can download the object from directly. */
  async presign(key: string, seconds: number, downloadName?: string): Promise<string> {
    const cmd = new GetObjectCommand({
      Bucket: this.s.bucket,
      Key: this.k(key),
      ...(downloadName ? { ResponseContentDisposition: `attachment; filename="${downloadName.replace(/["\\]/g, '_')}"` } : {}),
    });
    return getSignedUrl(this.client, cmd, { expiresIn: seconds });
  }

  close(): void {
    this.client.destroy();
  }
}
