import { mkdtempSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEncoder } from '../support/encoder.ts';
import { decodeCounters, decodeFeed, PublicFeed, type DecodedEntry } from '../support/public-feed.ts';
import { TestRedis } from '../support/redis.ts';
import { serverOnFreePorts, type ServerProcess } from '../support/server-process.ts';
import { elapse, waitFor } from '../support/wait.ts';
import { clearHearing } from '../support/governance.ts';

const D = 4_000;

/** The durable stores recovery must work on: Redis, and the embedded store with no service at all. */
const STORES = [['redis'], ['embedded']] as const;

describe.each(STORES)('restart recovery on the %s store: a server killed mid-broadcast comes back and fails closed', (store) => {
  const redis = new TestRedis();
  let server: ServerProcess;
  let base = '';
  let rtmpPort = 0;
  let dataDir = '';
  let token = '';
  let hearingId = '';
  let streamKey = '';
  let feed: PublicFeed;
  const encoders: TestEncoder[] = [];
  const epoch = Date.now();
  const marks: Record<string, number> = {};
  let phaseAfterRestart = '';
  let releasedAtCut = 0;
  let seqBeforeKill = 0;
  let decoded: DecodedEntry[] = [];

  const api = async <T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}${p}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
  const command = async (cmd: string, reason?: string): Promise<number> => {
    const before = Date.now();
    const res = await api(`POST`, `/api/hearings/${hearingId}/broadcast/${cmd}`, reason ? { reason } : {});
    expect(res.status, `${cmd}: ${JSON.stringify(res.body)}`).toBe(200);
    return before;
  };
  const encoder = () => {
    const e = new TestEncoder(`rtmp://127.0.0.1:${rtmpPort}/live/${streamKey}`, 'flv', epoch).start();
    encoders.push(e);
    return e;
  };
  const timeOf = (c: number) => encoders[0]!.timeOf(c);
  const airedAfter = (t: number, what: string) =>
    waitFor(async () => {
      await feed.poll();
      for (const e of feed.sorted().slice(-3)) {
        const res = await fetch(e.uri).catch(() => null);
        if (!res?.ok) continue;
        if ((await decodeCounters(Buffer.from(await res.arrayBuffer()))).some((c) => c > 0 && timeOf(c) > t)) return true;
      }
      return false;
    }, what, 45_000, 500);

  beforeAll(async () => {
    if (store === 'redis') await redis.start();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'courtcast-recovery-'));
    const made = await serverOnFreePorts(dataDir, {
      COURTCAST_STATE_STORE: store,
      ...(store === 'redis' ? { COURTCAST_REDIS_URL: redis.url } : {}),
      COURTCAST_JWT_SECRET: 'recovery-test-secret-0123456789-abcdef',
      COURTCAST_ADMIN_USER: 'admin',
      COURTCAST_ADMIN_PASSWORD: 'recovery-admin-password',
    });
    server = made.server;
    base = made.base;
    rtmpPort = made.rtmpPort;
    await server.start(base);
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'recovery-admin-password' }) });
    token = ((await login.json()) as { token: string }).token;
    const court = await api<{ id: string }>('POST', '/api/courts', { name: 'Crash Court' });
    const room = await api<{ id: string; streamKey: string }>('POST', `/api/courts/${court.body.id}/courtrooms`, { name: 'Room' });
    streamKey = room.body.streamKey;
    const hearing = await api<{ id: string }>('POST', '/api/hearings', { courtroomId: room.body.id, caseNumber: 'R-1', title: 'Recovery', caseType: 'criminal', scheduledStart: new Date().toISOString(), delaySeconds: D / 1000, isPublic: true });
    hearingId = hearing.body.id;
    await clearHearing(base, token, court.body.id, hearingId);
    feed = new PublicFeed(`${base}/hls/hearings/${hearingId}/180p/index.m3u8`).start(200);

    encoder();
    await command('start');
    await airedAfter(epoch, 'the first picture');
    marks.pause = await command('pause', 'off the record');
    await elapse(1_500);
    await feed.poll();
    seqBeforeKill = Math.max(...feed.sorted().map((e) => e.seq));
    await server.kill();
    marks.killed = Date.now();
    await elapse(1_000);
    await server.start(base);
    phaseAfterRestart = (await api<{ live: { phase: string } | null }>('GET', `/api/hearings/${hearingId}`)).body.live?.phase ?? 'none';
    encoder(); // the encoder's connection died with the server; it reconnects
    await elapse(3_000);
    marks.resume = await command('resume');
    await airedAfter(marks.resume + 500, 'the picture after resume');
    await command('cut', 'protected witness');
    await feed.poll();
    releasedAtCut = Math.max(0, ...(await decodeFeed(feed, { hear: false })).filter((e) => e.program).flatMap((e) => e.counters));
    marks.cut = Date.now();
    await elapse(3_000);
    await command('end');
    await feed.untilEnded(D + 20_000);
    decoded = await decodeFeed(feed);
  }, 240_000);

  afterAll(async () => {
    feed?.stop();
    await Promise.all(encoders.map((e) => e.kill()));
    await server?.kill();
    if (store === 'redis') await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('comes back with the program where it was', () => {
    expect(phaseAfterRestart).toBe('paused');
  });

  it('never airs a frame captured while off air, before or after the restart', () => {
    const aired = decoded.flatMap((e) => e.counters.filter((c) => c > 0));
    const offAir = aired.filter((c) => timeOf(c) > marks.pause! && timeOf(c) < marks.resume! - 600);
    expect(offAir).toEqual([]);
    const dumped = aired.filter((c) => c > releasedAtCut);
    expect(dumped).toEqual([]);
    // And the broadcast really resumed after the restart.
    expect(aired.some((c) => timeOf(c) > marks.resume!)).toBe(true);
  });

  it('continues the same public playlist: sequence numbers go on, every version parses', () => {
    expect(feed.errors).toEqual([]);
    const after = feed.sorted().filter((e) => e.appearedAt > marks.killed!);
    expect(after.length).toBeGreaterThan(0);
    expect(Math.min(...after.map((e) => e.seq))).toBeGreaterThan(seqBeforeKill);
  });

  it('keeps the master sealed across the crash: every segment on disk is in the manifest', async () => {
    const dir = path.join(dataDir, 'master', hearingId);
    const manifest = (await readFile(path.join(dir, 'manifest.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { file: string });
    const files: string[] = [];
    for (const run of (await readdir(dir)).filter((d) => /^[rm]\d{4}$/.test(d))) {
      for (const f of (await readdir(path.join(dir, run))).filter((x) => /^\d{6}\.ts$/.test(x))) files.push(`${run}/${f}`);
    }
    expect(files.length).toBeGreaterThan(5);
    const sealed = new Set(manifest.map((m) => m.file));
    expect(files.filter((f) => !sealed.has(f))).toEqual([]);
  });
});
