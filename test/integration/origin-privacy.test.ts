import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEncoder } from '../support/encoder.ts';
import { seedHearing, startTestServer, TEST_SLATE_CACHE, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

/** A GET with the path sent exactly as written: no client-side normalisation of '..' or '%2e'. */
function rawGet(port: number, rawPath: string): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** True when the body looks like MPEG-TS (sync bytes every 188). */
const looksLikeTs = (b: Buffer): boolean => b.length >= 376 && b[0] === 0x47 && b[188] === 0x47;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  }
  return out;
}

describe('the origin serves the public store and nothing else', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let hearingId = '';
  let streamKey = '';
  let pendingFile = '';
  let masterFile = '';

  beforeAll(async () => {
    s = await startTestServer();
    const seeded = await seedHearing(s, { delaySeconds: 30 });
    ({ hearingId, streamKey } = seeded);
    await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {});
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`, 'flv', Date.now()).start();
    // With D = 30 s, pending and master media pile up while nothing of the picture is public.
    pendingFile = await waitFor(async () => (await filesUnder(s.cc.dirs.pending)).find((f) => f.endsWith('000001.ts')), 'a pending segment', 30_000);
    masterFile = await waitFor(async () => (await filesUnder(s.cc.dirs.master)).find((f) => f.endsWith('000001.ts')), 'a master segment', 30_000);
  }, 60_000);

  afterAll(async () => {
    await encoder?.kill();
    await s?.close();
  });

  it('refuses every path that could reach pending or master media', async () => {
    const p = `pending/${pendingFile}`;
    const m = `master/${masterFile}`;
    const enc = (x: string) => encodeURIComponent(x);
    const attacks = [
      `/hls/../${p}`,
      `/hls/../../${p}`,
      `/hls/%2e%2e/${p}`,
      `/hls/%2E%2E%2F${enc(p)}`,
      `/hls/..%2f${enc(m)}`,
      `/hls/hearings/${hearingId}/../../${p}`,
      `/hls/hearings/${hearingId}/%2e%2e/%2e%2e/${m}`,
      `/hls/hearings/${hearingId}/..%5c..%5c${enc(p)}`,
      `/hls/..\\..\\${p.replaceAll('/', '\\')}`,
      `/hls/${p}`,
      `/hls/${m}`,
      `/hls/public/../${m}`,
      `/hls//${path.join(s.cc.dirs.pending, pendingFile).slice(1)}`,
      `/hls/${enc(path.join(s.cc.dirs.master, masterFile))}`,
      `/hls/%252e%252e/${p}`,
      `/hls/hearings/${hearingId}/${pendingFile.split('/').slice(1).join('/')}`,
      `/hls/hearings/${hearingId}/180p/000001.ts`,
      `/hls/hearings/${hearingId}/r0001/180p/000001.ts`,
      `/hls/hearings/${hearingId}/180p/index.m3u8%00.ts`,
      `/hls/${enc('/etc/passwd')}`,
      `/${p}`,
      `/${m}`,
      `/pending/${pendingFile}`,
      `/data/${p}`,
    ];
    for (const a of attacks) {
      const res = await rawGet(s.cc.httpPort, a);
      expect([400, 404], `${a} -> ${res.status}`).toContain(res.status);
      expect(looksLikeTs(res.body), a).toBe(false);
      expect(res.body.toString('utf8'), a).not.toContain('#EXTINF');
    }
  });

  it('holds only playlists, released segments and the signed checkpoint of them in the public store, none of the picture yet', async () => {
    const files = await filesUnder(s.cc.dirs.public);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f).toMatch(/^hearings\/hg_[A-Za-z0-9_-]+\/(master\.m3u8|checkpoint\.json|[a-z0-9_-]+\/(index\.m3u8|\d+\.ts))$/);
    // The checkpoint names only files the store holds, by hash: nothing of what has not aired.
    const checkpoint = JSON.parse(await readFile(path.join(s.cc.dirs.public, `hearings/${hearingId}/checkpoint.json`), 'utf8')) as { entries: { key: string; sha256: string }[] };
    expect(checkpoint.entries.length).toBeGreaterThan(0);
    let matched = 0;
    for (const e of checkpoint.entries) {
      // Files a window behind are deleted; the checkpoint still lists them for late players.
      const held = await readFile(path.join(s.cc.dirs.public, `hearings/${hearingId}/${e.key}`)).catch(() => null);
      if (held) expect(sha(held), e.key).toBe(e.sha256);
      if (held) matched++;
    }
    expect(matched).toBeGreaterThan(0);
    // D = 30 s has not passed, so every public segment is a slate, byte for byte.
    const slateDir = TEST_SLATE_CACHE;
    const slates = new Set(await Promise.all((await filesUnder(slateDir)).map(async (f) => sha(await readFile(path.join(slateDir, f))))));
    const segments = files.filter((f) => f.endsWith('.ts'));
    expect(segments.length).toBeGreaterThan(0);
    for (const f of segments) expect(slates.has(sha(await readFile(path.join(s.cc.dirs.public, f)))), f).toBe(true);
    const res = await fetch(`${s.base}/hls/hearings/${hearingId}/180p/index.m3u8`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('max-age=1');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('serves segments with their MIME type, CORS and immutable caching', async () => {
    const res = await fetch(`${s.base}/hls/hearings/${hearingId}/180p/0.ts`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp2t');
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refuses to let anyone but the pipeline pull the undelayed feed over RTMP', async () => {
    for (const url of [`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`, `rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}?token=guess`]) {
      const child = spawn('ffmpeg', ['-v', 'error', '-rw_timeout', '5000000', '-i', url, '-t', '1', '-f', 'null', '-'], { stdio: 'ignore' });
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      expect(code, url).not.toBe(0);
    }
  });
});
