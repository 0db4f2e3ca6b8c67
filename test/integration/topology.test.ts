import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEncoder } from '../support/encoder.ts';
import { caller, clearHearing, signIn } from '../support/governance.ts';
import { decodeCounters } from '../support/public-feed.ts';
import { freeTcpPort, TestRedis } from '../support/redis.ts';
import { S3Peer } from '../support/s3.ts';
import { serverOnFreePorts, type ServerProcess } from '../support/server-process.ts';
import { elapse, waitFor } from '../support/wait.ts';

/**
 * The docker-compose topology as processes on this machine: a Courtcast node on Redis with its
 * public store in an S3 bucket (s3rver), behind Debian's nginx running deploy/nginx.conf (the
 * service names pointed at these processes). Staff and viewers use only nginx: the API, the
 * control channel over a WebSocket, and /hls cached from the bucket.
 */
describe('the compose topology as processes', () => {
  const redis = new TestRedis();
  const bucket = new S3Peer('courtcast-public');
  let node: ServerProcess;
  let nginx: ChildProcess;
  let encoder: TestEncoder;
  let dir = '';
  let base = '';
  let token = '';
  let hearingId = '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cc-topology-'));
    await redis.start();
    await bucket.start();
    const made = await serverOnFreePorts(path.join(dir, 'data'), {
      COURTCAST_STATE_STORE: 'redis',
      COURTCAST_REDIS_URL: redis.url,
      COURTCAST_OBJECT_STORE: 's3',
      COURTCAST_PUBLIC_S3_BUCKET: bucket.bucket,
      COURTCAST_PUBLIC_S3_ENDPOINT: bucket.endpoint,
      COURTCAST_PUBLIC_S3_FORCE_PATH_STYLE: 'true',
      COURTCAST_PUBLIC_S3_ACCESS_KEY_ID: 'S3RVER',
      COURTCAST_PUBLIC_S3_SECRET_ACCESS_KEY: 'S3RVER',
      COURTCAST_ADMIN_USER: 'admin',
      COURTCAST_ADMIN_PASSWORD: 'topology-admin-password',
      COURTCAST_TRUST_PROXY: 'loopback',
      COURTCAST_TIME_OVERLAY: 'false',
    });
    node = made.server;
    await node.start(made.base);
    const port = await freeTcpPort();
    const conf = readFileSync('deploy/nginx.conf', 'utf8')
      .replace('listen 80;', `listen 127.0.0.1:${port};`)
      .replace(/resolver [^;]+;/, '')
      .replaceAll('http://minio:9000', bucket.endpoint)
      .replaceAll('http://courtcast:8080', made.base)
      .replaceAll('/var/cache/nginx', path.join(dir, 'cache'))
      .replace('worker_processes auto;', `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log warn;${process.getuid?.() === 0 ? ' user root;' : ''}`);
    writeFileSync(path.join(dir, 'nginx.conf'), conf);
    mkdirSync(path.join(dir, 'cache'));
    nginx = spawn('/usr/sbin/nginx', ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
    base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/nginx-health`).catch(() => null))?.status === 204, 'nginx', 10_000, 100);

    token = await signIn(base, 'admin', 'topology-admin-password');
    const api = caller(base, token);
    const court = await api<{ id: string }>('POST', '/api/courts', { name: 'Topology Court' });
    const room = await api<{ id: string; streamKey: string }>('POST', `/api/courts/${court.body.id}/courtrooms`, { name: 'Room' });
    hearingId = (await api<{ id: string }>('POST', '/api/hearings', { courtroomId: room.body.id, caseNumber: 'N-1', title: 'Through nginx', caseType: 'civil', scheduledStart: new Date().toISOString(), delaySeconds: 4, isPublic: true })).body.id;
    await clearHearing(base, token, court.body.id, hearingId);
    encoder = new TestEncoder(`rtmp://127.0.0.1:${made.rtmpPort}/live/${room.body.streamKey}`, 'flv', Date.now(), { width: 320, height: 180 }).start();
    expect((await api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await encoder?.kill();
    nginx?.kill('SIGTERM');
    await node?.kill();
    await bucket.dispose();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the public output from the bucket through nginx’s cache', async () => {
    const playlist = `${base}/hls/hearings/${hearingId}/360p/index.m3u8`;
    const segment = await waitFor(async () => {
      const res = await fetch(playlist);
      const text = res.status === 200 ? await res.text() : '';
      const uris = text.split('\n').filter((l) => l.endsWith('.ts'));
      for (const uri of uris.reverse()) {
        const url = new URL(uri, playlist).toString();
        const body = Buffer.from(await (await fetch(url)).arrayBuffer());
        if ((await decodeCounters(body)).some((c) => c > 0)) return url;
      }
      return null;
    }, 'program media through nginx', 60_000, 1000);
    // Fetched once above; the second answer comes from nginx's cache, byte for byte the bucket's.
    const again = await fetch(segment);
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(again.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(again.headers.get('access-control-allow-origin')).toBe('*');
    const key = new URL(segment).pathname.replace(/^\/hls\//, '');
    expect(Buffer.from(await again.arrayBuffer()).equals((await bucket.store().get(key)) as Buffer)).toBe(true);
  });

  it('carries the clerk’s control channel over a WebSocket through nginx, and the cut reaches viewers', async () => {
    const socket: Socket = connect(`${base}/control`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    try {
      const emit = (event: string, payload: unknown) => new Promise<{ ok: boolean }>((resolve) => socket.timeout(10_000).emit(event, payload, (err: unknown, ack: { ok: boolean }) => resolve(err ? { ok: false } : ack)));
      expect((await emit('join', { hearingId })).ok).toBe(true);
      const cutAt = Date.now();
      expect((await emit('cut', { hearingId, idempotencyKey: 'topology-cut-1', reason: 'a minor was named' })).ok).toBe(true);
      await elapse(6_000);
      // After the cut, what nginx hands viewers is the slate: no frame captured after it.
      const playlist = `${base}/hls/hearings/${hearingId}/360p/index.m3u8`;
      const text = await (await fetch(playlist)).text();
      const last = text.split('\n').filter((l) => l.endsWith('.ts')).slice(-2);
      for (const uri of last) {
        const counters = await decodeCounters(Buffer.from(await (await fetch(new URL(uri, playlist))).arrayBuffer()));
        expect(counters.filter((c) => c > 0 && encoder.timeOf(c) > cutAt)).toEqual([]);
      }
    } finally {
      socket.disconnect();
    }
  });
});
