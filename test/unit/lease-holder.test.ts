import { describe, expect, it } from 'vitest';
import { LeaseLost, RenewedLease, withLease } from '../../server/store/lease-holder.ts';
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

describe('a renewed lease, as the cluster and finalizing share it', () => {
  it('runs one renewal at a time: a second asked while the first hangs is told it is busy', async () => {
    const leases = leasesWhere('hangs');
    const held = (await RenewedLease.acquire(leases, 'h1', 'a', 1_000))!;
    void held.renew();
    expect(await held.renew()).toBe('busy');
    expect(leases.renewals).toBe(1);
  });

  it('counts from when a renewal was sent, and reports a refusal and a failure apart', async () => {
    let t = 1_000;
    const now = () => t;
    const ok = (await RenewedLease.acquire(leasesWhere('ok'), 'h1', 'a', 1_000, now))!;
    t = 1_400;
    expect(ok.age()).toBe(400);
    expect(await ok.renew()).toBe('confirmed');
    expect(ok.age()).toBe(0);
    expect(await (await RenewedLease.acquire(leasesWhere('refused'), 'h1', 'a', 1_000, now))!.renew()).toBe('refused');
    expect(await (await RenewedLease.acquire(leasesWhere('fails'), 'h1', 'a', 1_000, now))!.renew()).toBe('failed');
  });

  it('retakes a lapsed lease with a newer token, and not one another node has taken', async () => {
    const leases = leasesWhere('ok');
    const held = (await RenewedLease.acquire(leases, 'h1', 'a', 30))!;
    const first = held.lease.token;
    await sleep(60);
    expect(await held.retake()).toBe(true);
    expect(held.lease.token).toBeGreaterThan(first);
    await sleep(60);
    await leases.acquire('h1', 'b', 10_000);
    expect(await held.retake()).toBe(false);
  });
});
