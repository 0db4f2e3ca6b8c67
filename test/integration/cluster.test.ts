import { pino } from 'pino';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CourtcastError } from '../../server/domain/errors.ts';
import { Cluster } from '../../server/service/cluster/cluster.ts';
import { dispatch, parseReply, type RemoteHandlers } from '../../server/service/cluster/remote-calls.ts';
import { RedisStateStore } from '../../server/store/redis-state-store.ts';
import { TestRedis } from '../support/redis.ts';
import { waitFor } from '../support/wait.ts';

const logger = pino({ level: 'silent' });

/**
 * Two cluster members on a real Redis: leases, their renewal and loss, and calls carried to the
 * node holding a hearing. Each test uses its own key prefix.
 */
/** A command's answer as the running node gives it. */
const STATUS = { hearingId: 'hg_x', phase: 'cut', delaySeconds: 10, encoder: 'connected', encoderLostAt: null, encoderOutage: false, releasedUntil: '2026-12-03T10:00:00.000Z', finished: false, programSaved: true, publicStoreFault: null, persisted: true, recorded: true } as const;

describe('cluster membership over Redis', () => {
  const redis = new TestRedis();
  const stores: RedisStateStore[] = [];
  const members: Cluster[] = [];
  let prefix = 0;

  const pair = async (leaseMs: number, callTimeoutMs = 2_000): Promise<[Cluster, Cluster, RedisStateStore]> => {
    const p = `cluster${++prefix}`;
    const made = await Promise.all(['a', 'b'].map(async (id) => {
      const store = await RedisStateStore.connect(redis.url, p);
      stores.push(store);
      const c = new Cluster({ nodeId: `node-${id}`, leases: store.leases, leaseMs, transport: store.transport(), callTimeoutMs, logger });
      members.push(c);
      return [c, store] as const;
    }));
    return [made[0]![0], made[1]![0], made[0]![1]];
  };

  beforeAll(async () => {
    await redis.start();
  }, 20_000);

  afterAll(async () => {
    for (const c of members) await c.close();
    for (const s of stores) await s.close();
    await redis.stop();
  });

  it('carries a call to the node holding the hearing and answers as it did, errors with their code and details', async () => {
    const [a, b] = await pair(5_000);
    await a.start(async (call) => {
      if (call.op === 'refuse') throw new CourtcastError('NOT_APPROVED', 'no approval', { blockers: ['no-application'] });
      if (call.op === 'crash') throw new Error('secret internals');
      return { did: call.op, on: call.hearingId, args: call.args };
    });
    await b.start(async () => null);
    expect(await a.hold('hg_call')).toMatchObject({ nodeId: 'node-a' });
    expect(await b.hold('hg_call')).toBeNull();
    const owner = await b.owner('hg_call');
    expect(await b.call(owner!.nodeId, { op: 'cut', hearingId: 'hg_call', args: { reason: 'x' } })).toEqual({ did: 'cut', on: 'hg_call', args: { reason: 'x' } });
    await expect(b.call('node-a', { op: 'refuse', hearingId: 'hg_call', args: {} })).rejects.toMatchObject({ code: 'NOT_APPROVED', details: { blockers: ['no-application'] } });
    // An unexpected failure says nothing internal.
    await expect(b.call('node-a', { op: 'crash', hearingId: 'hg_call', args: {} })).rejects.toMatchObject({ code: 'INTERNAL', message: expect.not.stringContaining('secret') });
  });

  it('drops malformed messages on a node’s channel, and refuses a malformed call with a clear error', async () => {
    const [a, b] = await pair(5_000);
    const carried: unknown[] = [];
    const fail = (): never => {
      throw new Error('not expected here');
    };
    const handlers: RemoteHandlers = {
      command: (hearingId, args) => {
        carried.push({ hearingId, args });
        return STATUS;
      },
      mask: fail,
      lift: fail,
      switch: fail,
      withdraw: fail,
      // A node whose answer is not what the operation promises.
      view: () => ({ hearing: { id: 'hg_x' }, status: 'on-air' }) as never,
      handover: fail,
      preview: fail,
      cue: fail,
    };
    await a.start(async (call) => dispatch(handlers, call));
    await b.start(async () => null);
    // Garbage published straight onto node-a's channel, as anything with Redis access could.
    const raw = createClient({ url: redis.url });
    raw.on('error', () => {});
    await raw.connect();
    const channel = `cluster${prefix}:node:node-a`;
    for (const m of ['not json', 'null', '[]', '{"kind":"answer"}', '{"kind":"call","id":"x"}', JSON.stringify({ kind: 'answer', id: 'x', ok: false, error: { code: 'NOPE' } }), JSON.stringify({ kind: 'call', id: 'y', from: 'node-b', call: { op: 'command', hearingId: 'hg_x', args: 'cut' } })]) {
      await raw.publish(channel, m);
    }
    await raw.quit();
    // A call whose arguments are wrong is refused with what is wrong, and nothing is carried out.
    await expect(b.call('node-a', { op: 'command', hearingId: 'hg_x', args: { cmd: 'explode', ctx: { actor: { kind: 'system' } } } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: 'cmd' })] });
    await expect(b.call('node-a', { op: 'command', hearingId: 'hg_x', args: { cmd: 'cut', ctx: { actor: { kind: 'user', userId: 'u' } } } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(b.call('node-a', { op: 'constructor', hearingId: 'hg_x', args: {} })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: 'no such call: constructor' });
    // The node is still there, and a good call is carried out once, with its checked arguments.
    await b.call('node-a', { op: 'command', hearingId: 'hg_x', args: { cmd: 'cut', ctx: { actor: { kind: 'system' }, reason: 'a name' } } });
    expect(carried).toEqual([{ hearingId: 'hg_x', args: { cmd: 'cut', ctx: { actor: { kind: 'system' }, reason: 'a name' } } }]);
    // Replies are checked as calls are: a good one passes, a malformed one is refused, not cast.
    expect(parseReply('command', await b.call('node-a', { op: 'command', hearingId: 'hg_x', args: { cmd: 'end', ctx: { actor: { kind: 'system' } } } }))).toEqual({ ...STATUS, load: 'keeping-up', shed: [] }); // a node from before load and shedding were reported: the defaults
    const bad = await b.call('node-a', { op: 'view', hearingId: 'hg_x', args: {} });
    expect(() => parseReply('view', bad)).toThrow(/malformed view reply/);
  });

  it('says a node that does not answer did not answer', async () => {
    const [, b] = await pair(5_000, 300);
    await b.start(async () => null);
    await expect(b.call('node-gone', { op: 'cut', hearingId: 'hg_x', args: {} })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('stops a node that could not renew in time: another takes the lease, and the first learns it lost it', async () => {
    const [a, b] = await pair(400);
    const lease = await a.hold('hg_stall');
    expect(a.fresh('hg_stall')).toBe(true);
    expect(a.fence('hg_stall')).toEqual({ hearingId: 'hg_stall', token: lease?.token });
    // a does not renew (as if its event loop stalled): past half the period it must not release.
    await waitFor(() => !a.fresh('hg_stall'), 'the lease to go stale', 2_000, 20);
    await waitFor(async () => (await b.hold('hg_stall')) !== null, 'the other node to take the lease', 3_000, 50);
    const lost: string[] = [];
    a.on('lost', (id) => lost.push(id));
    await a.start(async () => null);
    await waitFor(() => lost.length > 0, 'the first node to learn it lost the lease', 3_000, 20);
    expect(lost).toEqual(['hg_stall']);
    expect(a.fence('hg_stall')).toBeNull();
    expect((await b.owner('hg_stall'))?.nodeId).toBe('node-b');
  });

  it('keeps renewing while it holds, and takes its lease back with a new token if the store lost it', async () => {
    const [a, b, store] = await pair(400);
    await a.start(async () => null);
    const first = await a.hold('hg_keep');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(a.fresh('hg_keep')).toBe(true);
    expect(await b.hold('hg_keep')).toBeNull();
    // Redis restarted without the lease: nobody else holds it, so the holder takes it again.
    await store.redis.del(`cluster${prefix}:lease:hg_keep`);
    await waitFor(() => (a.fence('hg_keep')?.token ?? 0) > (first?.token ?? 0), 'a new token', 3_000, 20);
    expect((await b.owner('hg_keep'))?.nodeId).toBe('node-a');
    await a.letGo('hg_keep');
    expect(await b.owner('hg_keep')).toBeNull();
  });
});
