import { describe, expect, it } from 'vitest';
import { LeaseLost, withLease } from '../../server/store/lease-holder.ts';
import { LocalLeases, type Lease, type Leases } from '../../server/store/leases.ts';

/** Local leases whose renewals answer as a test says: refused, failing, slow, or at once. */
function leasesWhere(renewal: 'ok' | 'refused' | 'fails' | 'hangs'): Leases & { renewals: number; concurrent: number; maxConcurrent: number } {
  const inner = new LocalLeases();
  const l = {
    renewals: 0,
    concurrent: 0,
    maxConcurrent: 0,
    acquire: (h: string, n: string, ttl: number) => inner.acquire(h, n, ttl),
    release: (h: string, lease: Lease) => inner.release(h, lease),
    holder: (h: string) => inner.holder(h),
    renew: async (h: string, lease: Lease, ttl: number): Promise<boolean> => {
      l.renewals++;
      l.concurrent++;
      l.maxConcurrent = Math.max(l.maxConcurrent, l.concurrent);
      try {
        if (renewal === 'refused') return false;
        if (renewal === 'fails') throw new Error('store down');
        if (renewal === 'hangs') await new Promise(() => undefined);
        return await inner.renew(h, lease, ttl);
      } finally {
        l.concurrent--;
      }
    },
  };
  return l;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('holding a lease for a piece of work', () => {
  it('keeps a lease that renews, and gives it back at the end', async () => {
    const leases = leasesWhere('ok');
    const out = await withLease(leases, 'archive:h1', 'a', 80, async (held) => {
      await sleep(200);
      held.assertHeld();
      return 'done';
    });
    expect(out).toBe('done');
    expect(leases.renewals).toBeGreaterThan(3);
    expect(await leases.holder('archive:h1')).toBeNull();
  });

  it('does not run the work while another node holds the lease', async () => {
    const leases = leasesWhere('ok');
    await leases.acquire('archive:h1', 'b', 10_000);
    let ran = false;
    expect(await withLease(leases, 'archive:h1', 'a', 80, async () => void (ran = true))).toBeNull();
    expect(ran).toBe(false);
  });

  for (const renewal of ['refused', 'fails', 'hangs'] as const) {
    it(`counts the lease lost when a renewal ${renewal === 'hangs' ? 'does not answer' : 'is ' + renewal}, and the work is told at once`, async () => {
      const leases = leasesWhere(renewal);
      const lost = await withLease(leases, 'archive:h1', 'a', 80, async (held) => {
        await new Promise((resolve) => held.signal.addEventListener('abort', resolve));
        return (() => {
          try {
            held.assertHeld();
            return null;
          } catch (err) {
            return err;
          }
        })();
      });
      expect(lost).toBeInstanceOf(LeaseLost);
      // One renewal at a time: a slow store never has a pile of renewals in flight.
      expect(leases.maxConcurrent).toBe(1);
    });
  }
});
