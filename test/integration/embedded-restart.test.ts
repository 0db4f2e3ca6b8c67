import { mkdtempSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seedHearing, startTestServer } from '../support/server.ts';

/**
 * With the embedded state store, a server stopped and started again on the same data directory
 * keeps its courts, courtrooms, hearings, accounts and audit trails (the chain still verifies), and
 * a clerk signed in before the restart is still signed in: the token key is kept in the data
 * directory.
 */
describe('embedded state store across a restart', () => {
  const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'cc-embedded-restart-')), 'data');
  const overrides = { dataDir, stores: { state: 'embedded' } };
  afterAll(() => rm(path.dirname(dataDir), { recursive: true, force: true }));

  it('keeps configuration, accounts and the audit trail', async () => {
    const first = await startTestServer(overrides);
    const seeded = await seedHearing(first, { delaySeconds: 10 });
    const clerk = await first.api<{ id: string }>('POST', '/api/users', { username: 'clerk-one', displayName: 'Clerk One', password: 'a long enough password', roles: ['clerk'], courtroomIds: [seeded.courtroomId] });
    expect(clerk.status).toBe(201);
    expect((await first.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/open`, {})).status).toBe(200);
    const before = await first.api<unknown[]>('GET', `/api/hearings/${seeded.hearingId}/audit`);
    expect(before.body.length).toBeGreaterThan(0);
    const clerkToken = await first.login('clerk-one', 'a long enough password');
    await first.cc.close();
    // The generated token key is kept for the owner alone.
    const key = await stat(path.join(dataDir, 'secrets', 'token-key'));
    expect(key.mode & 0o077).toBe(0);
    expect((await stat(path.join(dataDir, 'secrets'))).mode & 0o077).toBe(0);

    const second = await startTestServer(overrides);
    try {
      expect((await second.api<{ id: string }>('GET', `/api/hearings/${seeded.hearingId}`)).status).toBe(200);
      expect((await second.api<{ id: string }>('GET', `/api/courtrooms/${seeded.courtroomId}`)).status).toBe(200);
      const users = await second.api<{ username: string }[]>('GET', '/api/users');
      expect(users.body.map((u) => u.username)).toContain('clerk-one');
      // The clerk's sign-in from before the restart still works, and so does the password.
      expect((await second.api('GET', '/api/me', undefined, clerkToken)).status).toBe(200);
      await second.login('clerk-one', 'a long enough password');
      // The audit trail kept everything and verifies.
      const after = await second.api<unknown[]>('GET', `/api/hearings/${seeded.hearingId}/audit`);
      expect(after.body.length).toBeGreaterThanOrEqual(before.body.length);
      expect(after.body.slice(0, before.body.length)).toEqual(before.body);
      const verdict = await second.api<{ ok: boolean }>('GET', `/api/hearings/${seeded.hearingId}/audit/verify`);
      expect(verdict.body.ok).toBe(true);
    } finally {
      await second.cc.close();
    }
  }, 60_000);
});
