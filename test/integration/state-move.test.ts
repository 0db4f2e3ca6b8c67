import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestRedis } from '../support/redis.ts';
import { seedHearing, startTestServer } from '../support/server.ts';

const run = promisify(execFile);

/**
 * A court outgrows one machine: its embedded state moves to Redis with one command, and a server
 * started on Redis has the same courts, hearings, users and audit chains (which still verify).
 */
describe('moving a deployment from the embedded store to Redis', () => {
  const redis = new TestRedis();
  const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'cc-move-')), 'data');
  beforeAll(() => redis.start(), 20_000);
  afterAll(async () => {
    await redis.stop();
    await rm(path.dirname(dataDir), { recursive: true, force: true });
  });

  it('carries courts, hearings, users and audit chains, and refuses to mix into a non-empty store', async () => {
    const first = await startTestServer({ dataDir, stores: { state: 'embedded' } });
    const seeded = await seedHearing(first, { delaySeconds: 10 });
    expect((await first.api('POST', '/api/users', { username: 'clerk-two', displayName: 'Clerk Two', password: 'another long password', roles: ['clerk'], courtroomIds: [seeded.courtroomId] })).status).toBe(201);
    expect((await first.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/open`, {})).status).toBe(200);
    const audit = (await first.api<unknown[]>('GET', `/api/hearings/${seeded.hearingId}/audit`)).body;
    const courts = (await first.api<{ id: string }[]>('GET', '/api/courts')).body;
    await first.cc.close();

    const env = { ...process.env, COURTCAST_DATA_DIR: dataDir, COURTCAST_LOG_LEVEL: 'silent' };
    const moved = await run(process.execPath, ['--import', 'tsx', 'scripts/state.ts', 'move', redis.url], { env });
    expect(moved.stdout).toMatch(/moved \d+ records and \d+ log entries/);
    // A second move would mix two deployments: refused.
    await expect(run(process.execPath, ['--import', 'tsx', 'scripts/state.ts', 'move', redis.url], { env })).rejects.toThrow(/empty store/);

    const second = await startTestServer({ stores: { state: 'redis', redisUrl: redis.url } });
    try {
      expect((await second.api<{ id: string }[]>('GET', '/api/courts')).body.map((c) => c.id).sort()).toEqual(courts.map((c) => c.id).sort());
      expect((await second.api('GET', `/api/hearings/${seeded.hearingId}`)).status).toBe(200);
      await second.login('clerk-two', 'another long password');
      const after = (await second.api<unknown[]>('GET', `/api/hearings/${seeded.hearingId}/audit`)).body;
      expect(after.slice(0, audit.length)).toEqual(audit);
      expect((await second.api<{ ok: boolean }>('GET', `/api/hearings/${seeded.hearingId}/audit/verify`)).body.ok).toBe(true);
    } finally {
      await second.close();
    }
  }, 90_000);
});
