import type { RedisClientType } from 'redis';
import type { Lease, Leases } from './leases.ts';

/** The key holding a hearing's newest fencing token; fenced writes compare against it. */
export const fenceKey = (prefix: string, hearingId: string): string => `${prefix}:fence:${hearingId}`;
const leaseKey = (prefix: string, hearingId: string): string => `${prefix}:lease:${hearingId}`;
const holderOf = (l: Lease): string => `${l.token}:${l.nodeId}`;

// Each script runs atomically in Redis, so two nodes can never both take a lease.
// A node may take back its own lease: the same node restarted, and its old life is over.
const ACQUIRE = `local held = redis.call('GET', KEYS[1])
if held and string.match(held, '^%d+:(.*)$') ~= ARGV[1] then return false end
local t = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], t .. ':' .. ARGV[1], 'PX', ARGV[2])
return t`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Leases in Redis: `<prefix>:lease:<hearing>` names the holder and expires unless renewed;
 * `<prefix>:fence:<hearing>` counts up with every acquisition and never expires, so a token
 * once superseded stays superseded.
 */
export class RedisLeases implements Leases {
  constructor(
    private readonly client: RedisClientType,
    private readonly prefix: string,
  ) {}

  async acquire(hearingId: string, nodeId: string, ttlMs: number): Promise<number | null> {
    const t = await this.client.eval(ACQUIRE, { keys: [leaseKey(this.prefix, hearingId), fenceKey(this.prefix, hearingId)], arguments: [nodeId, String(ttlMs)] });
    return typeof t === 'number' ? t : null;
  }

  async renew(hearingId: string, lease: Lease, ttlMs: number): Promise<boolean> {
    return (await this.client.eval(RENEW, { keys: [leaseKey(this.prefix, hearingId)], arguments: [holderOf(lease), String(ttlMs)] })) === 1;
  }

  async release(hearingId: string, lease: Lease): Promise<void> {
    await this.client.eval(RELEASE, { keys: [leaseKey(this.prefix, hearingId)], arguments: [holderOf(lease)] });
  }

  async holder(hearingId: string): Promise<Lease | null> {
    const raw = await this.client.get(leaseKey(this.prefix, hearingId));
    const m = raw ? /^(\d+):(.+)$/.exec(raw) : null;
    return m ? { token: Number(m[1]), nodeId: m[2] as string } : null;
  }
}
