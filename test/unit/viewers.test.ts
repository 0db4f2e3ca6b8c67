import { describe, expect, it } from 'vitest';
import { clientKey, ViewerCounter } from '../../server/service/publicity/viewers.ts';

describe('viewer counter', () => {
  it('counts distinct clients per hearing', () => {
    const v = new ViewerCounter();
    v.saw('hg_a', '10.0.0.1|ua');
    v.saw('hg_a', '10.0.0.1|ua');
    v.saw('hg_a', '10.0.0.2|ua');
    v.saw('hg_b', '10.0.0.1|ua');
    expect(v.count('hg_a')).toBe(2);
    expect(v.count('hg_b')).toBe(1);
    expect(v.count('hg_none')).toBe(0);
  });

  it('keeps bounded memory under a flood of distinct clients with huge user agents', () => {
    const v = new ViewerCounter(15_000, 1_000);
    const ua = 'x'.repeat(8 * 1024);
    for (let i = 0; i < 20_000; i++) v.saw('hg_a', `198.51.${i >> 8}.${i & 255}|${ua}${i}`);
    expect(v.tracked()).toBe(1_000);
    expect(v.count('hg_a')).toBe(1_000);
    // What is kept per client does not grow with what the client sent.
    expect(clientKey(`1.2.3.4|${ua}`)).toHaveLength(16);
  });

  it('forgets clients after the window', async () => {
    const v = new ViewerCounter(50);
    v.saw('hg_a', 'one');
    expect(v.count('hg_a')).toBe(1);
    await new Promise((r) => setTimeout(r, 120));
    expect(v.count('hg_a')).toBe(0);
    expect(v.tracked()).toBe(0);
  });
});
