import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../server/audit/trail.ts';
import type { ClientToServerEvents, CommandAck, ConsoleState, ServerToClientEvents } from '../../server/control/types.ts';
import { programRecords } from '../../server/service/broadcast/hearing-records.ts';
import type { HealthReport } from '../../server/service/operations/health.ts';
import { startLiveHearing, type LiveHearing } from '../support/live-hearing.ts';
import { decodeFeed, type PublicFeed, type DecodedEntry } from '../support/public-feed.ts';
import { TestRedis } from '../support/redis.ts';
import type { TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

const D = 6_000;
type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

describe('the dump button works while Redis is down', () => {
  let live: LiveHearing;
  const redisDir = mkdtempSync(path.join(os.tmpdir(), 'courtcast-redis-'));
  const redis = new TestRedis(redisDir);
  let s: TestServer;
  let feed: PublicFeed;
  let console_: Client;
  let hearingId = '';
  let cutAck: CommandAck | null = null;
  const cutAt = { before: 0, after: 0 };
  let releasedAtCut = 0;
  let healthWhileDown: { status: number; body: HealthReport } | null = null;
  let consoleWhileDown: ConsoleState | null = null;
  let decoded: DecodedEntry[] = [];

  const health = async () => {
    const res = await fetch(`${s.base}/healthz`);
    return { status: res.status, body: (await res.json()) as HealthReport };
  };

  beforeAll(async () => {
    await redis.start();
    live = await startLiveHearing({ delaySeconds: D / 1000, begin: 'open', config: { stores: { state: 'redis', redisUrl: redis.url } } });
    ({ s, feed, hearingId } = live);
    await live.command('start');
    console_ = connect(`${s.base}/control`, { auth: { token: s.token }, transports: ['websocket'], forceNew: true });
    const joined = await console_.timeout(10_000).emitWithAck('join', { hearingId });
    expect(joined.ok).toBe(true);
    await waitFor(async () => {
      await feed.poll();
      return (await decodeFeed(feed, { hear: false })).some((e) => e.program);
    }, 'program media in public', 30_000, 500);
    await elapse(2_500);

    await redis.stop();
    cutAt.before = Date.now();
    cutAck = await console_.timeout(10_000).emitWithAck('cut', { hearingId, idempotencyKey: `outage-cut-${Date.now()}`, reason: 'witness named a child' });
    cutAt.after = Date.now();
    await feed.poll();
    releasedAtCut = Math.max(0, ...(await decodeFeed(feed, { hear: false })).filter((e) => e.program).flatMap((e) => e.counters));
    healthWhileDown = await waitFor(async () => {
      const h = await health();
      return h.status === 503 ? h : null;
    }, '/healthz to report the state store down', 10_000);
    consoleWhileDown = await waitFor(
      () =>
        new Promise<ConsoleState | null>((resolve) => {
          const timer = setTimeout(() => resolve(null), 3_000);
          console_.once('state', (st) => {
            clearTimeout(timer);
            resolve(st.health.stateStore === 'down' ? st : null);
          });
        }),
      'the console to hear that the store is down',
      10_000,
    );
    // Everything captured before the cut would be public by now, had the cut not held.
    await elapse(D + 4_000);
    await redis.start();
    await waitFor(async () => (await health()).status === 200, '/healthz to recover', 20_000);
    await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {});
    await feed.untilEnded(D + 20_000);
    decoded = await decodeFeed(feed);
  }, 180_000);

  afterAll(async () => {
    console_?.disconnect();
    await live?.close();
    await redis.stop();
    await rm(redisDir, { recursive: true, force: true });
  });

  it('cuts at once and says the store has not saved it yet', () => {
    expect(cutAck).toMatchObject({ ok: true, persisted: false });
    if (cutAck?.ok) expect(cutAck.state.live?.phase).toBe('cut');
    expect(releasedAtCut).toBeGreaterThan(0);
  });

  it('airs no frame captured after the last release before the cut', () => {
    const leaked = decoded.flatMap((e) => e.counters).filter((c) => c > releasedAtCut);
    expect(leaked).toEqual([]);
    const afterCut = decoded.filter((e) => e.appearedAt > cutAt.after);
    expect(afterCut.length).toBeGreaterThan(3);
    expect(afterCut.every((e) => !e.program)).toBe(true);
  });

  it('reports the outage on /healthz (503) and to the console', () => {
    expect(healthWhileDown?.body.stateStore.ok).toBe(false);
    expect(healthWhileDown?.body.status).toBe('degraded');
    expect(consoleWhileDown?.health.stateStore).toBe('down');
  });

  it('reconciles when Redis returns: the store holds the cut program and the cut is on the record', async () => {
    const stored = await waitFor(async () => {
      const p = await programRecords(s.cc.state).get(hearingId);
      return p && p.dumped.length > 0 ? p : null;
    }, 'the cut program in Redis', 10_000);
    expect(stored.dumped.length).toBeGreaterThan(0);
    const audit = await waitFor(async () => {
      const entries = (await s.api<AuditEntry[]>('GET', `/api/hearings/${hearingId}/audit`)).body;
      return entries.some((e) => e.action === 'cut') ? entries : null;
    }, 'the cut in the audit trail', 10_000);
    expect(audit.find((e) => e.action === 'cut')?.reason).toBe('witness named a child');
    expect((await s.api('GET', `/api/hearings/${hearingId}/audit/verify`)).body).toMatchObject({ ok: true });
  });
});
