import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../server/store/s3-object-store.ts';
import { S3Peer } from '../support/s3.ts';

/**
 * s3rver accepts any signature, so refusals are exercised another way: a bucket that does not
 * exist, and an endpoint that answers every request the way S3 answers bad credentials.
 */
describe('S3 store refusals', () => {
  const peer = new S3Peer();
  let denying: Server;
  let denyingUrl: string;
  const src = path.join(mkdtempSync(path.join(os.tmpdir(), 'cc-s3err-')), 'seg.ts');
  writeFileSync(src, Buffer.alloc(4096, 3));

  beforeAll(async () => {
    await peer.start();
    denying = createServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>');
    });
    await new Promise<void>((r) => denying.listen(0, '127.0.0.1', r));
    denyingUrl = `http://127.0.0.1:${(denying.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    denying.closeAllConnections();
    await new Promise((r) => denying.close(r));
    await peer.dispose();
    await rm(path.dirname(src), { recursive: true, force: true });
  });

  it('names a bucket that does not exist', async () => {
    const store = peer.store({ bucket: 'no-such-bucket' });
    await expect(store.putFile('a/0.ts', src)).rejects.toThrow(/bucket/i);
    await expect(store.put('a/x', 'x')).rejects.toThrow(/bucket/i);
  });

  it('rejects with the store\'s reason when credentials are refused, and never reports a refused upload as stored', async () => {
    const store = new S3ObjectStore({ bucket: 'b', region: 'us-east-1', endpoint: denyingUrl, forcePathStyle: true, accessKeyId: 'wrong', secretAccessKey: 'wrong' });
    await expect(store.putFile('a/0.ts', src)).rejects.toThrow(/Access Key Id/);
    await expect(store.head('a/0.ts')).rejects.toThrow();
    await expect(store.list('a/')).rejects.toThrow(/Access Key Id/);
  });

  it('fails, without hanging, when nothing answers at the endpoint', async () => {
    const gone = new S3Peer();
    await gone.start();
    const store = gone.store();
    await gone.dispose();
    await expect(store.putFile('a/0.ts', src)).rejects.toThrow();
  });

  it('gives up on a peer that accepts and never answers, rather than hanging', async () => {
    const hung = createServer(() => undefined);
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const store = new S3ObjectStore({ bucket: 'b', region: 'us-east-1', endpoint: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`, forcePathStyle: true, accessKeyId: 'k', secretAccessKey: 's', idleTimeoutMs: 1_000 });
    // Without the idle timeout this would never settle (the test's own limit would fail it).
    await expect(store.putFile('a/0.ts', src)).rejects.toThrow();
    store.close();
    hung.closeAllConnections();
    await new Promise((r) => hung.close(r));
  }, 30_000);
});
