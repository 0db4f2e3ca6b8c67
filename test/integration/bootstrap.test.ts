import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userCodec } from '../../server/domain/codecs.ts';
import { Accounts } from '../../server/service/identity/accounts.ts';
import { RedisStateStore } from '../../server/store/redis-state-store.ts';
import { TestRedis } from '../support/redis.ts';
import { serverOnFreePorts, type ServerProcess } from '../support/server-process.ts';

/**
 * Nodes started together, as `docker compose up` starts them: each finds no account and makes the
 * bootstrap admin. The username is claimed in the state store atomically, so there is one admin,
 * and it signs in on every node at once.
 */
describe('two nodes bootstrapping on one Redis at once', () => {
  const redis = new TestRedis();
  const dirs = [0, 1].map(() => mkdtempSync(path.join(os.tmpdir(), 'cc-bootstrap-')));
  const nodes: { server: ServerProcess; base: string }[] = [];
  const ADMIN = { username: 'admin', password: 'bootstrap-admin-password' };

  beforeAll(async () => {
    await redis.start();
    const env = { COURTCAST_STATE_STORE: 'redis', COURTCAST_REDIS_URL: redis.url, COURTCAST_JWT_SECRET: 'bootstrap-test-secret-0123456789-abcdef', COURTCAST_ADMIN_USER: ADMIN.username, COURTCAST_ADMIN_PASSWORD: ADMIN.password };
    for (const dir of dirs) nodes.push(await serverOnFreePorts(dir, env));
    await Promise.all(nodes.map((n) => n.server.start(n.base)));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.server.kill()));
    await redis.stop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('makes one admin account, which signs in on both nodes', async () => {
    const store = await RedisStateStore.connect(redis.url);
    try {
      const admins = (await store.list('users')).map((u) => userCodec.parse(u)).filter((u) => u.username === ADMIN.username);
      expect(admins).toHaveLength(1);
    } finally {
      await store.close();
    }
    for (const n of nodes) {
      const res = await fetch(`${n.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
      expect(res.status, n.base).toBe(200);
    }
  });

  it('refuses the same username made on two nodes at once, whatever its case, to all but one', async () => {
    const [a, b] = await Promise.all(['x', 'y'].map(async () => {
      const store = await RedisStateStore.connect(redis.url, 'claims');
      const accounts = new Accounts(store);
      await accounts.load();
      return { store, accounts };
    }));
    try {
      const made = await Promise.allSettled([
        a!.accounts.create({ username: 'clerk-li', password: 'a long enough password', roles: ['clerk'] }, 'configuration'),
        b!.accounts.create({ username: 'Clerk-Li', password: 'another long password', roles: ['clerk'] }, 'configuration'),
      ]);
      expect(made.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(made.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
      // The name is free again once its account is removed.
      const winner = (made.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ user: { id: string } }>).value.user;
      const holder = made[0]!.status === 'fulfilled' ? a! : b!;
      await holder.accounts.remove(winner.id);
      await expect(holder.accounts.create({ username: 'clerk-li', password: 'a third long password', roles: ['clerk'] }, 'configuration')).resolves.toMatchObject({ user: { username: 'clerk-li' } });
    } finally {
      await Promise.all([a!.store.close(), b!.store.close()]);
    }
  });
});
