import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEncoder } from '../support/encoder.ts';
import { decodeCounters, decodeFeed, PublicFeed, type DecodedEntry } from '../support/public-feed.ts';
import { serverOnFreePorts, type ServerProcess } from '../support/server-process.ts';
import { elapse, waitFor } from '../support/wait.ts';
import { clearHearing } from '../support/governance.ts';

const D = 4_000;

/**
 * The embedded default (no Redis, no configured token key) killed with SIGKILL the moment a cut
 * and an account change were acknowledged: after a restart both are there, the cut holds and
 * nothing from the dumped window airs, the audit chain verifies, and a token signed before the
 * crash still works.
 */
describe('the embedded default killed right after an acknowledged cut and account change', () => {
  let server: ServerProcess;
  let base = '';
  let dataDir = '';
  let token = '';
  let hearingId = '';
  let encoder: TestEncoder;
  let feed: PublicFeed;
  let dumpedFrom = 0;
  let phaseAfterRestart = '';
  let oldPasswordAfter = 0;
  let newPasswordAfter = 0;
  let tokenAfter = 0;
  let verify: { ok: boolean; entries?: number } = { ok: false };
  let lastActions: string[] = [];
  let decoded: DecodedEntry[] = [];

  const api = async <T>(method: string, p: string, body?: unknown, as = token): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}${p}`, { method, headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
  const login = async (username: string, password: string) =>
    fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'courtcast-crash-'));
    const made = await serverOnFreePorts(dataDir, { COURTCAST_ADMIN_USER: 'admin', COURTCAST_ADMIN_PASSWORD: 'crash-admin-password' });
    server = made.server;
    base = made.base;
    const rtmpPort = made.rtmpPort;
    await server.start(base);
    token = ((await (await login('admin', 'crash-admin-password')).json()) as { token: string }).token;
    const court = await api<{ id: string }>('POST', '/api/courts', { name: 'Crash Court' });
    const room = await api<{ id: string; streamKey: string }>('POST', `/api/courts/${court.body.id}/courtrooms`, { name: 'Room' });
    const hearing = await api<{ id: string }>('POST', '/api/hearings', { courtroomId: room.body.id, caseNumber: 'K-1', title: 'Crash', caseType: 'criminal', scheduledStart: new Date().toISOString(), delaySeconds: D / 1000, isPublic: true });
    hearingId = hearing.body.id;
    await clearHearing(base, token, court.body.id, hearingId);
    const clerk = await api<{ id: string }>('POST', '/api/users', { username: 'clerk', displayName: 'Clerk', password: 'the old password', roles: ['clerk'], courtroomIds: [room.body.id] });
    feed = new PublicFeed(`${base}/hls/hearings/${hearingId}/180p/index.m3u8`).start(200);
    const epoch = Date.now();
    encoder = new TestEncoder(`rtmp://127.0.0.1:${rtmpPort}/live/${room.body.streamKey}`, 'flv', epoch).start();
    expect((await api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    await waitFor(async () => (await decodeFeed(feed, { hear: false })).some((e) => e.program), 'the first picture', 45_000, 500);
    await elapse(2_000);

    // The account change and the cut are acknowledged; the server dies at once.
    expect((await api('PATCH', `/api/users/${clerk.body.id}`, { password: 'the new password' })).status).toBe(200);
    expect((await api('POST', `/api/hearings/${hearingId}/broadcast/cut`, { reason: 'protected witness' })).status).toBe(200);
    // Everything captured from here back to D before the answer was still unreleased: dumped.
    dumpedFrom = Date.now() - D;
    await server.kill();

    await server.start(base);
    tokenAfter = (await api('GET', '/api/me')).status;
    phaseAfterRestart = (await api<{ live: { phase: string } | null }>('GET', `/api/hearings/${hearingId}`)).body.live?.phase ?? 'none';
    oldPasswordAfter = (await login('clerk', 'the old password')).status;
    newPasswordAfter = (await login('clerk', 'the new password')).status;
    verify = (await api<{ ok: boolean; entries?: number }>('GET', `/api/hearings/${hearingId}/audit/verify`)).body;
    lastActions = (await api<{ action: string }[]>('GET', `/api/hearings/${hearingId}/audit`)).body.map((e) => e.action);
    // The encoder reconnects; the hearing stays cut until it ends.
    await encoder.kill();
    encoder = new TestEncoder(encoder.target, 'flv', epoch).start();
    await elapse(D + 3_000);
    expect((await api('POST', `/api/hearings/${hearingId}/broadcast/end`, {})).status).toBe(200);
    await feed.untilEnded(D + 20_000);
    decoded = await decodeFeed(feed);
  }, 180_000);

  afterAll(async () => {
    feed?.stop();
    await encoder?.kill();
    await server?.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps the cut and the account change', () => {
    expect(phaseAfterRestart).toBe('cut');
    expect(oldPasswordAfter).toBe(401);
    expect(newPasswordAfter).toBe(200);
  });

  it('keeps the sign-in made before the crash, and an audit chain that verifies with the cut on it', () => {
    expect(tokenAfter).toBe(200);
    expect(verify.ok).toBe(true);
    expect(lastActions).toContain('cut');
  });

  it('never airs anything from the dumped window, before or after the restart', async () => {
    const aired = decoded.flatMap((e) => e.counters.filter((c) => c > 0));
    expect(aired.length).toBeGreaterThan(30);
    // A counter's time is an underestimate of its capture, so these were captured in the window.
    expect(aired.filter((c) => encoder.timeOf(c) >= dumpedFrom)).toEqual([]);
    expect(feed.errors).toEqual([]);
    // Every segment still listed decodes.
    for (const e of feed.sorted().slice(-3)) expect((await decodeCounters(Buffer.from(await (await fetch(e.uri)).arrayBuffer()))).length).toBeGreaterThan(0);
  });
});
