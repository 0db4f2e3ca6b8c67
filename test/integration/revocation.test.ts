import { SignJWT } from 'jose';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientToServerEvents, CommandAck, Revocation, ServerToClientEvents } from '../../server/control/types.ts';
import { userCodec } from '../../server/domain/codecs.ts';
import { Records } from '../../server/store/records.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const SECRET = 'revocation-test-secret-0123456789-abcdef';
type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A console as the tests watch it: what it was told, and every state it received. */
interface Console {
  readonly socket: Client;
  readonly revoked: Revocation[];
  states: number;
  disconnected: boolean;
}

describe('an open control connection loses its rights the moment its account does', () => {
  let s: TestServer;
  let one: Awaited<ReturnType<typeof seedHearing>>;
  let two: Awaited<ReturnType<typeof seedHearing>>;
  const consoles: Console[] = [];
  let n = 0;
  const key = () => `revocation-key-${Date.now()}-${++n}`;

  const open = (token: string): Promise<Console> =>
    new Promise((resolve, reject) => {
      const socket: Client = connect(`${s.base}/control`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
      const c: Console = { socket, revoked: [], states: 0, disconnected: false };
      consoles.push(c);
      socket.on('revoked', (r) => c.revoked.push(r));
      socket.on('state', () => c.states++);
      socket.on('disconnect', () => (c.disconnected = true));
      socket.once('connect', () => resolve(c));
      socket.once('connect_error', (err) => reject(err));
    });
  const emit = (c: Console, event: 'join' | 'start' | 'pause' | 'cut', payload: unknown): Promise<CommandAck> =>
    (c.socket.timeout(3_000).emitWithAck as (ev: string, p: unknown) => Promise<CommandAck>)(event, payload);
  /** A clerk of courtroom one, signed in, with a console joined to hearing one. */
  const clerkConsole = async (name: string): Promise<{ id: string; token: string; c: Console }> => {
    const created = await s.api<{ id: string }>('POST', '/api/users', { username: name, password: `${name}-password`, roles: ['clerk'], courtroomIds: [one.courtroomId] });
    expect(created.status).toBe(201);
    const token = await s.login(name, `${name}-password`);
    const c = await open(token);
    expect(await emit(c, 'join', { hearingId: one.hearingId })).toMatchObject({ ok: true });
    return { id: created.body.id, token, c };
  };
  /** The admin's console, joined to hearing one, which stays live: it keeps receiving state. */
  let witness: Console;
  /** While the witness receives the hearing's state twice more, the revoked console gets none. */
  const noMoreState = async (c: Console): Promise<void> => {
    const before = { c: c.states, witness: witness.states };
    await waitFor(() => witness.states >= before.witness + 2, 'the witness to receive state', 10_000);
    expect(c.states).toBe(before.c);
  };

  beforeAll(async () => {
    s = await startTestServer({ auth: { jwtSecret: SECRET } });
    one = await seedHearing(s, { delaySeconds: 2 });
    two = await seedHearing(s, { delaySeconds: 2 });
    expect((await s.api('POST', `/api/hearings/${one.hearingId}/broadcast/open`, {})).status).toBe(200);
    witness = await open(s.token);
    expect(await emit(witness, 'join', { hearingId: one.hearingId })).toMatchObject({ ok: true });
  }, 60_000);

  afterAll(async () => {
    for (const c of consoles) c.socket.disconnect();
    await s?.close();
  });

  it('closes a disabled account’s connection, says why, and refuses its token everywhere', async () => {
    const { id, token, c } = await clerkConsole('clerk-disabled');
    expect((await s.api('PATCH', `/api/users/${id}`, { disabled: true })).status).toBe(200);
    await waitFor(() => c.revoked.length > 0 && c.disconnected, 'the revocation', 5_000);
    expect(c.revoked[0]).toMatchObject({ code: 'ACCOUNT_DISABLED' });
    await noMoreState(c);
    await expect(open(token)).rejects.toMatchObject({ data: { code: 'ACCOUNT_DISABLED' } });
    expect((await s.api('GET', '/api/me', undefined, token)).status).toBe(401);
    // Re-enabling the account does not bring the old token back.
    expect((await s.api('PATCH', `/api/users/${id}`, { disabled: false })).status).toBe(200);
    await expect(open(token)).rejects.toMatchObject({ data: { code: 'SESSION_ENDED' } });
    expect((await s.api('GET', '/api/me', undefined, token)).status).toBe(401);
  });

  it('closes a deleted account’s connection', async () => {
    const { id, token, c } = await clerkConsole('clerk-deleted');
    expect((await s.api('DELETE', `/api/users/${id}`)).status).toBe(204);
    await waitFor(() => c.revoked.length > 0 && c.disconnected, 'the revocation', 5_000);
    expect(c.revoked[0]).toMatchObject({ code: 'ACCOUNT_DELETED' });
    await noMoreState(c);
    await expect(open(token)).rejects.toMatchObject({ data: { code: 'ACCOUNT_DELETED' } });
  });

  it('ends every session of an account whose password changed', async () => {
    const { id, token, c } = await clerkConsole('clerk-password');
    expect((await s.api('PATCH', `/api/users/${id}`, { password: 'a-brand-new-password' })).status).toBe(200);
    await waitFor(() => c.revoked.length > 0 && c.disconnected, 'the revocation', 5_000);
    expect(c.revoked[0]).toMatchObject({ code: 'SESSION_ENDED' });
    expect((await s.api('GET', '/api/me', undefined, token)).status).toBe(401);
    const fresh = await s.login('clerk-password', 'a-brand-new-password');
    expect((await s.api('GET', '/api/me', undefined, fresh)).status).toBe(200);
  });

  it('takes a moved clerk out of the old courtroom’s hearing: no more state, commands refused', async () => {
    const { id, c } = await clerkConsole('clerk-moved');
    expect((await s.api('PATCH', `/api/users/${id}`, { courtroomIds: [two.courtroomId] })).status).toBe(200);
    await waitFor(() => c.revoked.length > 0, 'the revocation', 5_000);
    expect(c.revoked[0]).toMatchObject({ code: 'FORBIDDEN', hearingId: one.hearingId });
    expect(c.disconnected).toBe(false);
    await noMoreState(c);
    expect(await emit(c, 'cut', { hearingId: one.hearingId, idempotencyKey: key(), reason: 'test' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // The courtroom the clerk now serves works on the same connection.
    expect(await emit(c, 'join', { hearingId: two.hearingId })).toMatchObject({ ok: true });
  });

  it('closes a connection when its token lapses', async () => {
    const created = await s.api<{ id: string }>('POST', '/api/users', { username: 'clerk-expiring', password: 'clerk-expiring-password', roles: ['clerk'], courtroomIds: [one.courtroomId] });
    const now = Date.now();
    const short = await new SignJWT({ iatMs: now })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(created.body.id)
      .setIssuer('courtcast')
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(now / 1000) + 3)
      .sign(new TextEncoder().encode(SECRET));
    const c = await open(short);
    expect(await emit(c, 'join', { hearingId: one.hearingId })).toMatchObject({ ok: true });
    await waitFor(() => c.revoked.length > 0 && c.disconnected, 'the token to lapse', 6_000);
    expect(c.revoked[0]).toMatchObject({ code: 'TOKEN_EXPIRED' });
    await noMoreState(c);
  });

  it('applies an account change made on another node (straight in the store) within the refresh interval', async () => {
    const { id, c } = await clerkConsole('clerk-elsewhere');
    const stored = (await new Records(s.cc.state, 'users', userCodec).get(id))!;
    await s.cc.state.put('users', id, { ...stored, disabled: true });
    await waitFor(() => c.revoked.length > 0 && c.disconnected, 'the revocation from the store', 10_000);
    expect(c.revoked[0]).toMatchObject({ code: 'ACCOUNT_DISABLED' });
  });
});
