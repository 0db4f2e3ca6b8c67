import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_KEYS, loadConfig } from '../../config/load.ts';

type Service = {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
};
// Compose reads YAML merge keys: both nodes share one definition.
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const example = new Map(
  readFileSync('.env.example', 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
);

/**
 * docker-compose.yml cannot run here (no Docker engine), so its structure is checked instead: the
 * services and their health checks, that every Courtcast setting it passes exists in config/,
 * that every variable it reads is in .env.example, and that the configuration it gives the node
 * loads without an error.
 */
const NODES = ['courtcast-1', 'courtcast-2'];

describe('docker-compose.yml', () => {
  it('runs Redis, MinIO, two Courtcast nodes and nginx, each with a health check, and makes the buckets once', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['courtcast-1', 'courtcast-2', 'minio', 'minio-buckets', 'nginx', 'redis']);
    for (const name of ['redis', 'minio', ...NODES, 'nginx']) expect(compose.services[name]?.healthcheck?.test.length, name).toBeGreaterThan(0);
    for (const node of NODES) {
      expect(compose.services[node]?.depends_on).toEqual({ redis: { condition: 'service_healthy' }, 'minio-buckets': { condition: 'service_completed_successfully' } });
      expect(compose.services.nginx?.depends_on?.[node]?.condition).toBe('service_healthy');
      // Each node has its own name among the nodes, the same across its restarts.
      expect(compose.services[node]?.environment?.COURTCAST_NODE_ID).toBe(node);
    }
  });

  it('publishes RTMP and HTTP through nginx only (a node only its own WebRTC UDP ports), and keeps each node’s data in its own named volume', () => {
    expect(compose.services.nginx?.ports).toEqual(['8080:80', '1935:1935']);
    for (const name of ['redis', 'minio']) expect(compose.services[name]?.ports, name).toBeUndefined();
    // WebRTC media goes to the node that answered: its UDP range, the one it gathers on, and nothing else.
    const ranges = NODES.map((node) => {
      const ports = compose.services[node]?.ports ?? [];
      expect(ports, node).toHaveLength(1);
      const [range, proto] = ports[0]!.split('/');
      expect(proto, node).toBe('udp');
      const [outside, inside] = range!.split(':');
      expect(outside, node).toBe(inside);
      expect(JSON.parse(String(compose.services[node]?.environment?.COURTCAST_WEBRTC_PORT_RANGE))).toEqual(inside!.split('-').map(Number));
      return inside!.split('-').map(Number) as [number, number];
    });
    expect(ranges[0]![1]).toBeLessThan(ranges[1]![0]);
    for (const [name, mount] of [['redis', 'redis-data:/data'], ['minio', 'minio-data:/data'], ...NODES.map((n) => [n, `${n}-data:/var/lib/courtcast`])]) {
      expect(compose.services[name as string]?.volumes).toContain(mount);
      expect(Object.keys(compose.volumes)).toContain((mount as string).split(':')[0]);
    }
    const conf = (compose.services.nginx?.volumes ?? []).find((v) => v.endsWith(':/etc/nginx/nginx.conf:ro'));
    expect(conf && existsSync(conf.split(':')[0] as string)).toBe(true);
  });

  it('passes the node only settings that exist, reads only variables .env.example names, and its configuration loads', () => {
    const env = compose.services['courtcast-1']?.environment ?? {};
    for (const key of Object.keys(env)) expect(Object.keys(ENV_KEYS), key).toContain(key);
    const yaml = readFileSync('docker-compose.yml', 'utf8');
    const read = new Set([...yaml.matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1] as string));
    for (const v of read) expect([...example.keys()], v).toContain(v);
    // What the node would be started with, the variables taken from .env.example.
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{([A-Z_]+)\}/g, (_m, n: string) => example.get(n) ?? '')]));
    const config = loadConfig({ env: { ...resolved, COURTCAST_DATA_DIR: '/var/lib/courtcast' } });
    expect(config.stores).toMatchObject({ state: 'redis', objects: 's3', publicS3: { bucket: 'courtcast-public' } });
    expect(config.archive).toMatchObject({ store: 's3', s3: { bucket: 'courtcast-archive', forcePathStyle: true } });
  });

  it('builds the node from a Dockerfile that runs the server with FFmpeg installed', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    for (const node of NODES) expect(compose.services[node]?.build).toBe('.');
    // A Node LTS still supported (20 ended in April 2026); runtimes.test runs the server on it.
    expect(dockerfile).toMatch(/^FROM node:(22|24)-bookworm-slim$/m);
    expect(dockerfile).toMatch(/apt-get install[^\n]*ffmpeg/);
    expect(dockerfile).toContain('CMD ["node", "--import", "tsx", "server/main.ts"]');
    // Everything the server reads at run time is copied in.
    for (const dir of ['config', 'server', 'recorder', 'player', 'console']) expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
  });

  it('hands nginx a configuration it accepts', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-nginx-t-'));
    // The cache lives where the container's volume is; here, in a scratch directory.
    const conf = path.join(dir, 'nginx.conf');
    // Debian builds the stream module (RTMP balancing) as a module to load; the nodes' names are
    // resolved when nginx starts, so here they are this machine.
    const text = readFileSync('deploy/nginx.conf', 'utf8').replaceAll('/var/cache/nginx', dir).replace(/courtcast-\d(?=:)/g, '127.0.0.1');
    writeFileSync(conf, `load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n${text}`);
    const { stderr } = await promisify(execFile)('/usr/sbin/nginx', ['-t', '-c', conf, '-e', path.join(dir, 'error.log'), '-g', `pid ${dir}/nginx.pid;`]).finally(() => rm(dir, { recursive: true, force: true }));
    expect(stderr).toContain('test is successful');
  });
});
