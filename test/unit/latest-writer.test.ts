import { describe, expect, it } from 'vitest';
import { LatestWriter } from '../../server/store/latest-writer.ts';

describe('LatestWriter', () => {
  it('stores the newest value, never waiting the caller past its bound', async () => {
    const stored: number[] = [];
    let down = true;
    const faults: (unknown | null)[] = [];
    const w = new LatestWriter<number>(
      async (v) => {
        if (down) throw new Error('store down');
        stored.push(v);
      },
      { retryMs: 10, maxRetryMs: 20, onFault: (e) => faults.push(e) },
    );
    expect(await w.submit(1, 50)).toBe(false);
    expect(w.faulty).toBe(true);
    expect(await w.submit(2, 0)).toBe(false);
    expect(w.settled).toBe(false);
    down = false;
    expect(await w.flush(1_000)).toBe(true);
    // The older unwritten value was superseded, not written late over the newer one.
    expect(stored).toEqual([2]);
    expect(faults).toHaveLength(2);
    expect(faults[1]).toBeNull();
    expect(await w.submit(3, 1_000)).toBe(true);
    expect(stored).toEqual([2, 3]);
    w.close();
  });

  it('writes in order and one at a time', async () => {
    let active = 0;
    let most = 0;
    const order: number[] = [];
    const w = new LatestWriter<number>(async (v) => {
      active++;
      most = Math.max(most, active);
      await new Promise((r) => setTimeout(r, 5));
      order.push(v);
      active--;
    });
    const results = await Promise.all([1, 2, 3, 4].map((v) => w.submit(v, 1_000)));
    expect(results).toEqual([true, true, true, true]);
    expect(most).toBe(1);
    expect(order[order.length - 1]).toBe(4);
    expect([...order].sort()).toEqual(order);
  });
});
