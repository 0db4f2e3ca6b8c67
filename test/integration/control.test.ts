import { SignJWT } from 'jose';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../server/audit/trail.ts';
import type { ClientToServerEvents, CommandAck, ConsoleState, ServerToClientEvents } from '../../server/control/types.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

const SECRET = 'control-test-secret-0123456789-abcdef';
type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

describe('Socket.IO control channel', () => {
  let s: TestServer;
  let one: Awaited<ReturnType<typeof seedHearing>>;
  let two: Awaited<ReturnType<typeof seedHearing>>;
  const tokens: Record<string, string> = {};
  const clients: Client[] = [];

  /** Connects to /control; resolves once connected or rejects with the refusal. */
  const open = (token?: string): Promise<Client> =>
    new Promise((resolve, reject) => {
      const c: Client = connect(`${s.base}/control`, { auth: token === undefined ? {} : { token }, transports: ['websocket'], reconnection: false, forceNew: true });
      clients.push(c);
      c.once('connect', () => resolve(c));
      c.once('connect_error', (err) => reject(err));
    });
  const emit = <E extends 'join' | 'start' | 'pause' | 'resume' | 'cut' | 'end'>(c: Client, event: E, payload: unknown): Promise<CommandAck> =>
    (c.timeout(10_000).emitWithAck as (ev: string, p: unknown) => Promise<CommandAck>)(event, payload);
  let keyCounter = 0;
  const key = () => `test-key-${Date.now()}-${++keyCounter}`;

  beforeAll(async () => {
    s = await startTestServer({ auth: { jwtSecret: SECRET } });
    one = await seedHearing(s, { delaySeconds: 2 });
    two = await seedHearing(s, { delaySeconds: 2 });
    const users = [
      { username: 'clerk-one', roles: ['clerk'], courtroomIds: [one.courtroomId] },
      { username: 'clerk-one-b', roles: ['clerk'], courtroomIds: [one.courtroomId] },
      { username: 'clerk-two', roles: ['clerk'], courtroomIds: [two.courtroomId] },
    ];
    for (const u of users) {
      expect((await s.api('POST', '/api/users', { ...u, password: `${u.username}-password` })).status).toBe(201);
      tokens[u.username] = await s.login(u.username, `${u.username}-password`);
    }
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await s?.close();
  });

  it('refuses a public client, a forged token and an expired one', async () => {
    const refused = { data: { code: 'UNAUTHORIZED' } };
    await expect(open()).rejects.toMatchObject(refused);
    await expect(open('not-a-jwt')).rejects.toMatchObject(refused);
    const me = (await s.api<{ userId: string }>('GET', '/api/me', undefined, tokens['clerk-one'])).body.userId;
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(me).setIssuer('courtcast').setExpirationTime('5m').sign(new TextEncoder().encode('some-other-secret-0123456789-abcdef'));
    await expect(open(forged)).rejects.toMatchObject(refused);
    const expired = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(me).setIssuer('courtcast').setIssuedAt(Math.floor(Date.now() / 1000) - 3600).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(new TextEncoder().encode(SECRET));
    await expect(open(expired)).rejects.toMatchObject({ ...refused, message: expect.stringMatching(/expired/) });
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: me, iss: 'courtcast' })).toString('base64url')}.`;
    await expect(open(none)).rejects.toMatchObject(refused);
  });

  it('refuses a clerk of another courtroom, for joining and for commands', async () => {
    const c = await open(tokens['clerk-two']);
    const join = await emit(c, 'join', { hearingId: one.hearingId });
    expect(join).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const cmd = await emit(c, 'start', { hearingId: one.hearingId, idempotencyKey: key() });
    expect(cmd).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('answers malformed payloads with error acks and keeps serving', async () => {
    const c = await open(tokens['clerk-one']);
    const bad: unknown[] = [null, 42, 'x', [], { hearingId: 'nope' }, { hearingId: one.hearingId, idempotencyKey: 'short' }, { hearingId: one.hearingId, idempotencyKey: key(), extra: 1 }, { hearingId: one.hearingId, idempotencyKey: key(), reason: 'x'.repeat(501) }, { hearingId: 'hg_' + 'a'.repeat(5000) }];
    for (const payload of bad) {
      const ack = await emit(c, 'start', payload);
      expect(ack.ok, JSON.stringify(payload)?.slice(0, 80)).toBe(false);
      if (!ack.ok) expect(ack.error.code).toBe('VALIDATION_FAILED');
    }
    // No ack callback at all, and an unknown event: ignored, not a crash.
    (c.emit as (ev: string, p: unknown) => void)('start', { hearingId: one.hearingId });
    (c.emit as (ev: string, p: unknown) => void)('self-destruct', {});
    const pause = await emit(c, 'pause', { hearingId: one.hearingId, idempotencyKey: key() });
    expect(pause).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/reason/) } });
    expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
    expect(c.connected).toBe(true);
  });

  it('fans state out to every console in the room and to no one else', async () => {
    const a = await open(tokens['clerk-one']);
    const b = await open(tokens['clerk-one-b']);
    const other = await open(tokens['clerk-two']);
    const seen = { a: [] as ConsoleState[], b: [] as ConsoleState[], other: [] as ConsoleState[] };
    a.on('state', (st) => seen.a.push(st));
    b.on('state', (st) => seen.b.push(st));
    other.on('state', (st) => seen.other.push(st));
    const joinA = await emit(a, 'join', { hearingId: one.hearingId });
    expect(joinA).toMatchObject({ ok: true, state: { hearing: { id: one.hearingId } } });
    expect((await emit(b, 'join', { hearingId: one.hearingId })).ok).toBe(true);
    expect((await emit(other, 'join', { hearingId: two.hearingId })).ok).toBe(true);

    const ack = await emit(a, 'start', { hearingId: one.hearingId, idempotencyKey: key() });
    expect(ack).toMatchObject({ ok: true, state: { live: { phase: 'on-air' } } });
    await waitFor(() => seen.b.some((st) => st.live?.phase === 'on-air'), 'console B to see on-air', 5_000);
    expect(seen.a.some((st) => st.live?.phase === 'on-air')).toBe(true);
    await elapse(500); // give a stray broadcast time to arrive before asserting its absence
    expect(seen.other.filter((st) => st.hearing.id === one.hearingId)).toEqual([]);
  });

  it('acts once for retried commands with the same idempotency key', async () => {
    const c = await open(tokens['clerk-one']);
    const k = key();
    const payload = { hearingId: one.hearingId, idempotencyKey: k, reason: 'recess' };
    const [first, concurrent] = await Promise.all([emit(c, 'pause', payload), emit(c, 'pause', payload)]);
    const retry = await emit(c, 'pause', payload);
    const oks = [first, concurrent].filter((x) => x.ok);
    expect(oks).toHaveLength(1);
    const other = [first, concurrent].find((x) => !x.ok);
    expect(other).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_IN_FLIGHT' } });
    expect(retry).toEqual(oks[0]);
    // A new key is a new command: pausing a paused broadcast is refused, not repeated.
    const again = await emit(c, 'pause', { ...payload, idempotencyKey: key() });
    expect(again).toMatchObject({ ok: false, error: { code: 'INVALID_TRANSITION' } });
    const audit = (await s.api<AuditEntry[]>('GET', `/api/hearings/${one.hearingId}/audit`)).body;
    expect(audit.filter((e) => e.action === 'pause')).toHaveLength(1);
  });

  it('takes mask commands on the same pattern: presets, validation, idempotency, lift', async () => {
    const presets = await s.api('PUT', `/api/courtrooms/${one.courtroomId}/presets`, [{ name: 'Witness box', region: { x: 0.6, y: 0.2, w: 0.3, h: 0.5 }, key: '1' }]);
    expect(presets.status).toBe(200);
    const c = await open(tokens['clerk-one']);
    const joined = await emit(c, 'join', { hearingId: one.hearingId });
    expect(joined).toMatchObject({ ok: true, state: { presets: [{ name: 'Witness box' }] } });
    const k = key();
    const payload = { hearingId: one.hearingId, idempotencyKey: k, kind: 'blur', preset: 'witness box', reason: 'protected witness' };
    const first = await (c.timeout(10_000).emitWithAck as (ev: string, p: unknown) => Promise<CommandAck & { mask?: { id: string; region: unknown } }>)('mask', payload);
    expect(first).toMatchObject({ ok: true, mask: { kind: 'blur', region: { x: 0.6, y: 0.2, w: 0.3, h: 0.5 }, end: null }, alreadyPublic: null });
    const again = await (c.timeout(10_000).emitWithAck as (ev: string, p: unknown) => Promise<CommandAck>)('mask', payload);
    expect(again).toEqual(first);
    const masks = first.ok ? first.state.masks : [];
    expect(masks.filter((m) => m.kind === 'blur')).toHaveLength(1);
    const bad = [
      { hearingId: one.hearingId, idempotencyKey: key(), kind: 'black' },
      { hearingId: one.hearingId, idempotencyKey: key(), kind: 'mute', region: { x: 0, y: 0, w: 0.5, h: 0.5 } },
      { hearingId: one.hearingId, idempotencyKey: key(), kind: 'black', region: { x: 0.9, y: 0, w: 0.5, h: 0.5 } },
      { hearingId: one.hearingId, idempotencyKey: key(), kind: 'black', preset: 'dock' },
      { hearingId: one.hearingId, idempotencyKey: key(), kind: 'black', region: { x: 0, y: 0, w: 0.1, h: 0.1 }, start: new Date(Date.now() + 60_000).toISOString() },
    ];
    for (const b of bad) expect((await (c.timeout(10_000).emitWithAck as (ev: string, p: unknown) => Promise<CommandAck>)('mask', b)).ok, JSON.stringify(b)).toBe(false);
    const maskId = first.ok ? first.mask!.id : '';
    const lift = await (c.timeout(10_000).emitWithAck as (ev: string, p: unknown) => Promise<CommandAck>)('lift', { hearingId: one.hearingId, idempotencyKey: key(), maskId });
    expect(lift.ok).toBe(true);
    if (lift.ok) expect(lift.state.masks.find((m) => m.id === maskId)?.end).not.toBeNull();
    const audit = (await s.api<AuditEntry[]>('GET', `/api/hearings/${one.hearingId}/audit`)).body;
    expect(audit.filter((e) => e.action === 'mask')).toHaveLength(1);
    expect(audit.filter((e) => e.action === 'lift-mask')).toHaveLength(1);
  });

  it('gives a reconnecting console the full current state', async () => {
    const c = await open(tokens['clerk-one']);
    c.disconnect();
    const again = await open(tokens['clerk-one']);
    const joined = await emit(again, 'join', { hearingId: one.hearingId });
    expect(joined).toMatchObject({ ok: true, state: { live: { phase: 'paused' }, hearing: { id: one.hearingId } } });
    if (joined.ok) expect(joined.state.audit.some((e) => e.action === 'pause' && e.reason === 'recess')).toBe(true);
    await emit(again, 'end', { hearingId: one.hearingId, idempotencyKey: key() });
  });

});

describe('idempotency answers under a flood of keys', () => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startTestServer({}, { maxIdempotencyKeys: 50 });
  }, 60_000);

  afterAll(async () => {
    await s?.close();
  });

  it('holds at most the configured number of answers, newest kept', async () => {
    const { hearingId } = await seedHearing(s, { delaySeconds: 2 });
    const c: Client = connect(`${s.base}/control`, { auth: { token: s.token }, transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise((resolve) => c.once('connect', () => resolve(null)));
    const send = (k: string) => (c.timeout(10_000).emitWithAck as (ev: string, p: unknown) => Promise<CommandAck>)('pause', { hearingId, idempotencyKey: k, reason: 'flood' });
    const keys = Array.from({ length: 200 }, (_, i) => `flood-key-${String(i).padStart(4, '0')}`);
    for (const k of keys) expect(await send(k)).toMatchObject({ ok: false, error: { code: 'INVALID_TRANSITION' } });
    expect(s.cc.control.idempotencyKeysHeld).toBe(50);
    // The newest answer is still the one a retry gets.
    expect(await send(keys.at(-1)!)).toMatchObject({ ok: false, error: { code: 'INVALID_TRANSITION' } });
    c.disconnect();
  });

});
