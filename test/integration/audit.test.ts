import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../server/audit/trail.ts';
import { TestRedis } from '../support/redis.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);

describe('audit trail: every command on a verifiable hash chain', () => {
  const redis = new TestRedis();
  let s: TestServer;
  let hearingId = '';
  let clerkToken = '';

  beforeAll(async () => {
    await redis.start();
    s = await startTestServer({ stores: { state: 'redis', redisUrl: redis.url } });
    const seeded = await seedHearing(s, { delaySeconds: 2 });
    hearingId = seeded.hearingId;
    await s.api('POST', '/api/users', { username: 'clerk', password: 'clerk-long-password', roles: ['clerk'], courtroomIds: [seeded.courtroomId] });
    clerkToken = await s.login('clerk', 'clerk-long-password');
    const steps: [string, string | undefined][] = [
      ['start', undefined],
      ['pause', 'recess'],
      ['resume', undefined],
      ['cut', 'minor named in court'],
      ['end', undefined],
    ];
    for (const [cmd, reason] of steps) {
      const res = await s.api('POST', `/api/hearings/${hearingId}/broadcast/${cmd}`, reason ? { reason } : {}, clerkToken);
      expect(res.status, `${cmd}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    await waitFor(async () => (await s.api<AuditEntry[]>('GET', `/api/hearings/${hearingId}/audit`)).body.some((e) => e.action === 'playlist-ended'), 'the playlist to end', 20_000);
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    await redis.stop();
  });

  it('records who, role, when, the action, its reason and when it took effect', async () => {
    const entries = (await s.api<AuditEntry[]>('GET', `/api/hearings/${hearingId}/audit`)).body;
    // Before the clerk's commands, the court's approval of the broadcast is on the same chain.
    expect(entries.slice(0, 3).map((e) => [e.action, e.actor.kind === 'user' && e.actor.role])).toEqual([['broadcast-applied', 'admin'], ['broadcast-approved', 'approver'], ['confidentiality-reviewed', 'approver']]);
    const commands = entries.filter((e) => e.actor.kind === 'user' && e.actor.username === 'clerk');
    expect(commands.map((e) => e.action)).toEqual(['open', 'start', 'pause', 'resume', 'cut', 'end']);
    for (const e of commands) {
      expect(e.actor).toMatchObject({ kind: 'user', username: 'clerk', role: 'clerk' });
      expect(e.hearingId).toBe(hearingId);
      expect(Date.parse(e.at)).toBeGreaterThan(0);
      expect(Date.parse(e.effectiveAt ?? '')).toBeGreaterThan(0);
    }
    expect(commands.find((e) => e.action === 'cut')?.reason).toBe('minor named in court');
    expect(commands.find((e) => e.action === 'pause')?.reason).toBe('recess');
    // A cut takes effect from the last released instant, never after the command itself.
    const cut = commands.find((e) => e.action === 'cut')!;
    expect(Date.parse(cut.effectiveAt!)).toBeLessThanOrEqual(Date.parse(cut.at));
    // Automatic events are on the same chain.
    expect(entries.some((e) => e.actor.kind === 'system' && e.action === 'slate-aired')).toBe(true);
    entries.forEach((e, i) => expect(e.seq).toBe(i));
  });

  it('lets supervisors and archivists read it, not clerks', async () => {
    expect((await s.api('GET', `/api/hearings/${hearingId}/audit`, undefined, clerkToken)).status).toBe(403);
    await s.api('POST', '/api/users', { username: 'arch', password: 'arch-long-password', roles: ['archivist'] });
    const arch = await s.login('arch', 'arch-long-password');
    expect((await s.api('GET', `/api/hearings/${hearingId}/audit`, undefined, arch)).status).toBe(200);
  });

  it('verifies through the API and the CLI, and names the entry that was edited', async () => {
    expect((await s.api('GET', `/api/hearings/${hearingId}/audit/verify`)).body).toMatchObject({ ok: true });
    const env = { ...process.env, COURTCAST_STATE_STORE: 'redis', COURTCAST_REDIS_URL: redis.url };
    const ok = await run('npx', ['tsx', 'scripts/audit-verify.ts', hearingId], { env });
    expect(ok.stdout).toMatch(/^ok\s/);

    // Someone with access to Redis rewrites the reason of the pause.
    const client = createClient({ url: redis.url });
    await client.connect();
    const key = `courtcast:log:audit:${hearingId}`;
    const at = (await client.lRange(key, 0, -1)).findIndex((r) => (JSON.parse(r) as AuditEntry).action === 'pause');
    const entry = JSON.parse((await client.lIndex(key, at)) as string) as AuditEntry;
    expect(entry.action).toBe('pause');
    await client.lSet(key, at, JSON.stringify({ ...entry, reason: 'nothing to see' }));
    await client.quit();

    expect((await s.api('GET', `/api/hearings/${hearingId}/audit/verify`)).body).toMatchObject({ ok: false, badSeq: at });
    const bad = await run('npx', ['tsx', 'scripts/audit-verify.ts', hearingId], { env }).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`TAMPERED ${hearingId}  entry ${at}`);
  });

  it('detects a truncated, a substituted and a reordered chain in the store, naming the first bad entry', async () => {
    const client = createClient({ url: redis.url });
    client.on('error', () => {});
    await client.connect();
    const key = `courtcast:log:audit:${hearingId}`;
    const original = await client.lRange(key, 0, -1);
    const restore = async () => {
      await client.del(key);
      await client.rPush(key, original);
    };
    const verdict = async () => (await s.api<{ ok: boolean; badSeq?: number }>('GET', `/api/hearings/${hearingId}/audit/verify`)).body;
    // The edit of the test before is still there; put the chain back as it was, then edit it right.
    const entries = original.map((r) => JSON.parse(r) as AuditEntry);
    const at = entries.findIndex((e) => e.action === 'pause');
    entries[at] = { ...entries[at]!, reason: 'recess' };
    const { entryHash } = await import('../../server/audit/chain.ts');
    original.splice(at, 1, JSON.stringify(entries[at]));
    await restore();
    expect(await verdict()).toMatchObject({ ok: true });

    // Truncated: the last two entries removed.
    await client.lTrim(key, 0, -3);
    expect(await verdict()).toMatchObject({ ok: false, badSeq: original.length - 2 });
    await restore();

    // Substituted: from entry 2 on, a consistent chain with new content and new hashes.
    let prev = entries[1]!.hash;
    const forged = entries.slice(2).map((e) => {
      const { hash: _hash, ...body } = { ...e, params: { ...e.params, rewritten: true }, prevHash: prev };
      const next = { ...body, hash: entryHash(body) };
      prev = next.hash;
      return JSON.stringify(next);
    });
    await client.del(key);
    await client.rPush(key, [...original.slice(0, 2), ...forged]);
    expect(await verdict()).toMatchObject({ ok: false, badSeq: 2 });
    await restore();

    // Reordered: entries 1 and 2 swapped.
    await client.del(key);
    await client.rPush(key, [original[0]!, original[2]!, original[1]!, ...original.slice(3)]);
    expect(await verdict()).toMatchObject({ ok: false, badSeq: 1 });
    await restore();
    expect(await verdict()).toMatchObject({ ok: true });

    // The head published with the hearing is the chain's last entry.
    const published = (await s.api<{ auditHead: { seq: number; hash: string } }>('GET', `/api/hearings/${hearingId}`)).body.auditHead;
    expect(published).toEqual({ seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash });
    await client.quit();
  });
});
