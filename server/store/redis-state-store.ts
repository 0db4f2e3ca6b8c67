import { createClient, type RedisClientType } from 'redis';
import { FencedOut, type Fence, type Leases } from './leases.ts';
import { fenceKey, RedisLeases } from './redis-leases.ts';
import { RedisTransport } from './redis-transport.ts';
import type { StateNamespace, StateStore, Versioned } from './state-store.ts';

/** How long one command may wait for Redis's answer before it fails. */
const COMMAND_TIMEOUT_MS = 5_000;

// Atomic in Redis: the check and the write cannot be separated by another node's write.
const PUT_FENCED = `if tonumber(redis.call('GET', KEYS[1]) or '0') > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`;
// The stored record's version (0 when absent or unversioned) must be the one the writer read.
const PUT_IF_VERSION = `local raw = redis.call('HGET', KEYS[1], ARGV[1])
local v = 0
if raw then local r = cjson.decode(raw); if type(r) == 'table' and type(r.version) == 'number' then v = r.version end end
if v ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;
const APPEND_IF = `if redis.call('LLEN', KEYS[1]) ~= tonumber(ARGV[1]) then return 0 end
for i = 2, #KEYS do redis.call('RPUSH', KEYS[i], ARGV[i]) end
return 1`;

/**
 * State in Redis. Records of a namespace share one hash (`<prefix>:<ns>`), so listing is one
 * HVALS; records with a time to live are plain keys (`<prefix>:<ns>:ttl:<id>`), since hash fields
 * cannot expire on Redis 7.0; logs are lists (`<prefix>:log:<name>`).
 */
export class RedisStateStore implements StateStore {
  readonly description: string;
  readonly leases: Leases;

  private constructor(
    private readonly client: RedisClientType,
    private readonly prefix: string,
    url: string,
  ) {
    this.description = `redis:${url.replace(/\/\/[^@]*@/, '//***@')}`;
    this.leases = new RedisLeases(client, prefix);
  }

  /** Connects; rejects if Redis cannot be reached. */
  static async connect(url: string, prefix = 'courtcast'): Promise<RedisStateStore> {
    // Commands fail at once while the connection is down instead of queueing: a caller that must
    // not wait on the store (a cut) gets its answer, and one that can wait retries on its own.
    // A Redis that stalls (paused, swapping, a half-open connection) fails each command after a
    // few seconds too, so nothing (a lease renewal, a console's state) waits on it for ever.
    const client: RedisClientType = createClient({
      url,
      disableOfflineQueue: true,
      commandOptions: { timeout: COMMAND_TIMEOUT_MS },
      socket: { connectTimeout: 2_000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2_000) },
    });
    // Without a listener, a dropped connection would be an unhandled 'error' event.
    client.on('error', () => {});
    await client.connect();
    return new RedisStateStore(client, prefix, url);
  }

  /** Messages between the nodes that share this Redis. */
  transport(): RedisTransport {
    return new RedisTransport(this.client, this.prefix);
  }

  /** The underlying client, for the Socket.IO adapter (which needs its own duplicates). */
  get redis(): RedisClientType {
    return this.client;
  }

  private hash(ns: StateNamespace): string {
    return `${this.prefix}:${ns}`;
  }

  private ttlKey(ns: StateNamespace, id: string): string {
    return `${this.prefix}:${ns}:ttl:${id}`;
  }

  async get<T>(ns: StateNamespace, id: string): Promise<T | null> {
    const raw = (await this.client.hGet(this.hash(ns), id)) ?? (await this.client.get(this.ttlKey(ns, id)));
    return raw === null || raw === undefined ? null : (JSON.parse(raw) as T);
  }

  async put<T>(ns: StateNamespace, id: string, value: T, ttlMs?: number): Promise<void> {
    if (ttlMs === undefined) await this.client.hSet(this.hash(ns), id, JSON.stringify(value));
    else await this.client.set(this.ttlKey(ns, id), JSON.stringify(value), { PX: ttlMs });
  }

  async putFenced<T>(ns: StateNamespace, id: string, value: T, fence: Fence): Promise<void> {
    const keys = [fenceKey(this.prefix, fence.hearingId), this.hash(ns)];
    const ok = await this.client.eval(PUT_FENCED, { keys, arguments: [String(fence.token), id, JSON.stringify(value)] });
    if (ok !== 1) throw new FencedOut(fence);
  }

  async delete(ns: StateNamespace, id: string): Promise<void> {
    await this.client.hDel(this.hash(ns), id);
    await this.client.del(this.ttlKey(ns, id));
  }

  /** Records stored with a time to live are not listed; they are looked up by id only. */
  async list<T>(ns: StateNamespace): Promise<T[]> {
    return (await this.client.hVals(this.hash(ns))).map((raw) => JSON.parse(raw) as T);
  }

  async putIfVersion<T extends Versioned>(ns: StateNamespace, id: string, value: T, expected: number): Promise<boolean> {
    return (await this.client.eval(PUT_IF_VERSION, { keys: [this.hash(ns)], arguments: [id, String(expected), JSON.stringify(value)] })) === 1;
  }

  async putIfAbsent<T>(ns: StateNamespace, id: string, value: T, ttlMs?: number): Promise<T | null> {
    const raw = JSON.stringify(value);
    if (ttlMs === undefined) {
      const stored = await this.client.hSetNX(this.hash(ns), id, raw);
      return stored ? null : await this.get<T>(ns, id);
    }
    const ok = await this.client.set(this.ttlKey(ns, id), raw, { NX: true, PX: ttlMs });
    return ok === 'OK' ? null : await this.get<T>(ns, id);
  }

  async append(log: string, entry: string): Promise<number> {
    return this.client.rPush(`${this.prefix}:log:${log}`, entry);
  }

  async appendAll(entries: readonly { readonly log: string; readonly entry: string }[]): Promise<void> {
    const tx = this.client.multi();
    for (const { log, entry } of entries) tx.rPush(`${this.prefix}:log:${log}`, entry);
    await tx.exec();
  }

  async appendAllIf(at: { log: string; length: number }, entries: readonly { readonly log: string; readonly entry: string }[]): Promise<boolean> {
    const keys = [this.logKey(at.log), ...entries.map((e) => this.logKey(e.log))];
    const ok = await this.client.eval(APPEND_IF, { keys, arguments: [String(at.length), ...entries.map((e) => e.entry)] });
    return ok === 1;
  }

  private logKey(log: string): string {
    return `${this.prefix}:log:${log}`;
  }

  async readLog(log: string, last?: number): Promise<string[]> {
    return this.client.lRange(`${this.prefix}:log:${log}`, last === undefined ? 0 : -last, -1);
  }

  async readLogFrom(log: string, from: number): Promise<string[]> {
    return this.client.lRange(`${this.prefix}:log:${log}`, Math.max(0, from), -1);
  }

  async entries<T>(ns: StateNamespace): Promise<[string, T][]> {
    return Object.entries(await this.client.hGetAll(this.hash(ns))).map(([id, raw]) => [id, JSON.parse(raw) as T]);
  }

  async logNames(): Promise<string[]> {
    const head = `${this.prefix}:log:`;
    const names: string[] = [];
    for await (const keys of this.client.scanIterator({ MATCH: `${head}*`, COUNT: 500 })) {
      for (const key of [keys].flat()) names.push(key.slice(head.length));
    }
    return names;
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.quit();
  }
}
