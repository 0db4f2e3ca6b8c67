import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { freeTcpPort, TestRedis } from './redis.ts';
import { S3Peer } from './s3.ts';
import { serverOnFreePorts, type ServerProcess } from './server-process.ts';
import { waitFor } from './wait.ts';

/** One Courtcast node of the topology. */
export interface TopologyNode {
  readonly id: string;
  readonly server: ServerProcess;
  readonly base: string;
  readonly rtmpPort: number;
  /** Where the node keeps its data (its masters under `master/<hearing>`). */
  readonly dataDir: string;
}

/** The compose topology running as processes. */
export interface Topology {
  readonly nodes: readonly TopologyNode[];
  /** nginx: the API, consoles and /hls. */
  readonly base: string;
  /** nginx's RTMP front, balanced over the nodes: append `/<stream key>`. */
  readonly ingestUrl: string;
  /** The public store's bucket. */
  readonly bucket: S3Peer;
  /** The archive's bucket, shared by the nodes. */
  readonly archive: S3Peer;
  /** The Redis both nodes share. */
  readonly redis: TestRedis;
  readonly adminPassword: string;
  /** The node holding a hearing's lease now, as the nodes read it in Redis. */
  owner(hearingId: string): Promise<TopologyNode | null>;
  /** A raw read of Redis, for what the nodes share there. */
  redisGet(key: string): Promise<string | null>;
  stop(): Promise<void>;
}

export const TOPOLOGY_ADMIN = 'admin';

/**
 * docker-compose.yml's topology as processes on this machine: `nodes` Courtcast nodes on one
 * redis-server, their public store in an S3 bucket (s3rver), behind Debian's nginx running
 * deploy/nginx.conf with the service names pointed at these processes. The nodes start one after
 * the other, so only the first makes the bootstrap account.
 */
export async function startTopology(o: { leaseSeconds: number; env?: NodeJS.ProcessEnv; workerConnections?: number }): Promise<Topology> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-topology-'));
  const redis = new TestRedis();
  const bucket = new S3Peer('courtcast-public');
  const archive = new S3Peer('courtcast-archive');
  await redis.start();
  await bucket.start();
  await archive.start();
  const lookup = createClient({ url: redis.url });
  lookup.on('error', () => {});
  await lookup.connect();
  const adminPassword = 'topology-admin-password';
  const nodes: TopologyNode[] = [];
  for (const n of [1, 2]) {
    const dataDir = path.join(dir, `data-${n}`);
    const made = await serverOnFreePorts(dataDir, {
      COURTCAST_NODE_ID: `node-${n}`,
      COURTCAST_LEASE_SECONDS: String(o.leaseSeconds),
      COURTCAST_STATE_STORE: 'redis',
      COURTCAST_REDIS_URL: redis.url,
      COURTCAST_OBJECT_STORE: 's3',
      COURTCAST_PUBLIC_S3_BUCKET: bucket.bucket,
      COURTCAST_PUBLIC_S3_ENDPOINT: bucket.endpoint,
      COURTCAST_PUBLIC_S3_FORCE_PATH_STYLE: 'true',
      COURTCAST_PUBLIC_S3_ACCESS_KEY_ID: 'S3RVER',
      COURTCAST_PUBLIC_S3_SECRET_ACCESS_KEY: 'S3RVER',
      // One archive for the deployment, as in compose: a hearing that moves keeps one archive.
      COURTCAST_ARCHIVE_STORE: 's3',
      COURTCAST_S3_BUCKET: archive.bucket,
      COURTCAST_S3_ENDPOINT: archive.endpoint,
      COURTCAST_S3_FORCE_PATH_STYLE: 'true',
      COURTCAST_S3_ACCESS_KEY_ID: 'S3RVER',
      COURTCAST_S3_SECRET_ACCESS_KEY: 'S3RVER',
      // Every node must accept the same sign-ins.
      COURTCAST_JWT_SECRET: 'topology-shared-token-key-of-32-characters',
      COURTCAST_ADMIN_USER: TOPOLOGY_ADMIN,
      COURTCAST_ADMIN_PASSWORD: adminPassword,
      COURTCAST_TRUST_PROXY: 'loopback',
      COURTCAST_TIME_OVERLAY: 'false',
      ...o.env,
    });
    await made.server.start(made.base);
    nodes.push({ id: `node-${n}`, dataDir, ...made });
  }
  const [one, two] = nodes as [TopologyNode, TopologyNode];
  const port = await freeTcpPort();
  const rtmpFront = await freeTcpPort();
  const conf = readFileSync('deploy/nginx.conf', 'utf8')
    .replace('listen 80;', `listen 127.0.0.1:${port};`)
    .replace('listen 1935;', `listen 127.0.0.1:${rtmpFront};`)
    .replace(/resolver [^;]+;/, '')
    .replace('worker_connections 4096;', `worker_connections ${o.workerConnections ?? 4096};`)
    .replaceAll('http://minio:9000', bucket.endpoint)
    .replaceAll('courtcast-1:8080', one.base.replace('http://', ''))
    .replaceAll('courtcast-2:8080', two.base.replace('http://', ''))
    .replaceAll('courtcast-1:1935', `127.0.0.1:${one.rtmpPort}`)
    .replaceAll('courtcast-2:1935', `127.0.0.1:${two.rtmpPort}`)
    .replaceAll('/var/cache/nginx', path.join(dir, 'cache'))
    .replace('worker_processes auto;', `worker_processes 1; worker_rlimit_nofile ${(o.workerConnections ?? 4096) * 2}; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log warn;${process.getuid?.() === 0 ? ' user root;' : ''}`);
  // Debian builds the stream module (the encoders' TCP balancing) as a module to load.
  writeFileSync(path.join(dir, 'nginx.conf'), `load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n${conf}`);
  mkdirSync(path.join(dir, 'cache'));
  const nginx: ChildProcess = spawn('/usr/sbin/nginx', ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/nginx-health`).catch(() => null))?.status === 204, 'nginx', 10_000, 100);
  return {
    nodes,
    base,
    ingestUrl: `rtmp://127.0.0.1:${rtmpFront}/live`,
    bucket,
    archive,
    redis,
    adminPassword,
    owner: async (hearingId) => {
      const held = await lookup.get(`courtcast:lease:${hearingId}`);
      const id = held ? held.slice(held.indexOf(':') + 1) : null;
      return nodes.find((n) => n.id === id) ?? null;
    },
    redisGet: (key) => lookup.get(key),
    stop: async () => {
      nginx.kill('SIGTERM');
      for (const n of nodes) await n.server.kill();
      await lookup.quit().catch(() => undefined);
      await bucket.dispose();
      await archive.dispose();
      // A test that failed while Redis was frozen must not leave it unable to take SIGTERM.
      redis.thaw();
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
