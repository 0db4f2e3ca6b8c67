import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../server/domain/users.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';

describe('accounts, roles and scopes over HTTP', () => {
  let s: TestServer;
  let mine: Awaited<ReturnType<typeof seedHearing>>;
  let other: Awaited<ReturnType<typeof seedHearing>>;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    s = await startTestServer();
    mine = await seedHearing(s);
    other = await seedHearing(s);
    const users = [
      { username: 'clerk1', roles: ['clerk'], courtroomIds: [mine.courtroomId] },
      { username: 'super', roles: ['supervisor'] },
      { username: 'arch', roles: ['archivist'] },
    ];
    for (const u of users) {
      const res = await s.api('POST', '/api/users', { ...u, password: `${u.username}-long-password` });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      tokens[u.username] = await s.login(u.username, `${u.username}-long-password`);
    }
  }, 60_000);

  afterAll(async () => {
    await s?.close();
  });

  it('stores passwords only as scrypt hashes and never returns them', async () => {
    const stored = await s.cc.accounts.list();
    expect(JSON.stringify(stored)).not.toContain('passwordHash');
    const raw = await s.cc.accounts.get(stored.find((u) => u.username === 'clerk1')!.id);
    expect((raw as User).passwordHash).toMatch(/^scrypt\$/);
    expect(JSON.stringify(raw)).not.toContain('clerk1-long-password');
  });

  it('refuses a wrong password without saying which part was wrong', async () => {
    for (const body of [{ username: 'clerk1', password: 'nope' }, { username: 'nobody', password: 'nope' }]) {
      const res = await fetch(`${s.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { detail: string }).detail).toBe('wrong username or password');
    }
  });

  it('lets a clerk control only the courtrooms they serve', async () => {
    expect((await s.api('POST', `/api/hearings/${mine.hearingId}/broadcast/open`, {}, tokens.clerk1)).status).toBe(200);
    const denied = await s.api<{ code: string }>('POST', `/api/hearings/${other.hearingId}/broadcast/open`, {}, tokens.clerk1);
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('FORBIDDEN');
    expect((await s.api('GET', `/api/hearings/${other.hearingId}`, undefined, tokens.clerk1)).status).toBe(403);
    const list = await s.api<{ id: string }[]>('GET', '/api/hearings', undefined, tokens.clerk1);
    expect(list.body.map((h) => h.id)).toEqual([mine.hearingId]);
    await s.api('POST', `/api/hearings/${mine.hearingId}/broadcast/end`, {}, tokens.clerk1);
  });

  it('keeps admin work for admins and the stream key for admins only', async () => {
    for (const who of ['clerk1', 'super', 'arch']) {
      expect((await s.api('POST', '/api/users', { username: 'x', password: 'x-long-password!', roles: ['admin'] }, tokens[who])).status).toBe(403);
      expect((await s.api('POST', `/api/courtrooms/${mine.courtroomId}/rotate-key`, {}, tokens[who])).status).toBe(403);
    }
    const asClerk = await s.api<Record<string, unknown>>('GET', `/api/courtrooms/${mine.courtroomId}`, undefined, tokens.clerk1);
    expect(asClerk.status).toBe(200);
    expect(asClerk.body).not.toHaveProperty('streamKey');
    const asAdmin = await s.api<Record<string, unknown>>('GET', `/api/courtrooms/${mine.courtroomId}`);
    expect(asAdmin.body).toHaveProperty('streamKey');
  });

  it('lets supervisors plan hearings and refuses archivists broadcast control', async () => {
    const h = await s.api('POST', '/api/hearings', { courtroomId: other.courtroomId, caseNumber: 'S-1', title: 'Planned', caseType: 'family', scheduledStart: new Date().toISOString(), isPublic: false }, tokens.super);
    expect(h.status).toBe(201);
    expect((await s.api('POST', `/api/hearings/${other.hearingId}/broadcast/open`, {}, tokens.arch)).status).toBe(403);
    expect((await s.api('GET', `/api/hearings/${other.hearingId}`, undefined, tokens.arch)).status).toBe(200);
  });

  it('revokes access at once when an account is disabled', async () => {
    const users = await s.api<{ id: string; username: string }[]>('GET', '/api/users');
    const arch = users.body.find((u) => u.username === 'arch')!;
    expect((await s.api('GET', '/api/me', undefined, tokens.arch)).status).toBe(200);
    expect((await s.api('PATCH', `/api/users/${arch.id}`, { disabled: true })).status).toBe(200);
    expect((await s.api('GET', '/api/me', undefined, tokens.arch)).status).toBe(401);
  });

  it('validates account input', async () => {
    const bad = [
      { username: 'Bad Name', password: 'long-enough-pass', roles: ['clerk'] },
      { username: 'ok', password: 'short', roles: ['clerk'] },
      { username: 'ok', password: 'long-enough-pass', roles: ['judge'] },
      { username: 'ok', password: 'long-enough-pass', roles: [] },
    ];
    for (const b of bad) expect((await s.api('POST', '/api/users', b)).status).toBe(400);
    expect((await s.api('POST', '/api/users', { username: 'clerk1', password: 'long-enough-pass', roles: ['clerk'] })).status).toBe(409);
  });
});

describe('sign-in under load', () => {
  let s: TestServer;

  beforeAll(async () => {
    // Hashes slow enough (2^16, about 0.3 s) that a burst arriving within a few ms outruns the
    // queue, as it does at the production cost, in a quarter of the time.
    s = await startTestServer({ auth: { scryptLogN: 16 } });
  }, 60_000);

  afterAll(async () => {
    await s?.close();
  });

  it('hashes one password at a time and refuses a burst it cannot queue with 503 BUSY', async () => {
    // Distinct client addresses (the loopback proxy is trusted), so the per-address limit does not hide the queue.
    const attempts = Array.from({ length: 30 }, (_, i) =>
      fetch(`${s.base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i + 1}` },
        body: JSON.stringify({ username: 'admin', password: `wrong-${i}` }),
      }).then(async (res) => ({ status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as { code: string } })),
    );
    const answers = await Promise.all(attempts);
    const busy = answers.filter((a) => a.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const a of busy) expect(a).toMatchObject({ type: expect.stringContaining('application/problem+json'), body: { code: 'BUSY' } });
    expect(answers.filter((a) => a.status === 401).length + busy.length).toBe(30);
    // The queue drains: a right password gets through afterwards.
    expect(await s.login('admin', 'test-admin-password')).toBeTruthy();
  });

  it('answers a rate-limited client with problem+json 429', async () => {
    let last: Response | null = null;
    for (let i = 0; i < 601 && last?.status !== 429; i++) last = await fetch(`${s.base}/public/schedule`);
    expect(last?.status).toBe(429);
    expect(last?.headers.get('content-type')).toContain('application/problem+json');
    expect(((await last!.json()) as { code: string }).code).toBe('RATE_LIMITED');
  });
});
