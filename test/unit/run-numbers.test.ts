import { mkdirSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextRunNumber } from '../../server/pipeline/recovery.ts';
import { firstRunOf, RUNS_PER_HOLDER } from '../../server/service/broadcast/hearing-factory.ts';

describe('run numbers across holders', () => {
  it('gives every holder its own block, whatever its fencing token', () => {
    expect(firstRunOf(1, 1)).toBe(1);
    expect(firstRunOf(1, 2)).toBe(RUNS_PER_HOLDER + 1);
    // Tokens past 99 used to fall back to the local count, colliding with the first holder's runs.
    for (const token of [99, 100, 101, 1_000, 99_999]) expect(firstRunOf(1, token)).toBe((token - 1) * RUNS_PER_HOLDER + 1);
    // A node that held before keeps counting past its own runs.
    expect(firstRunOf(RUNS_PER_HOLDER * 3 + 5, 2)).toBe(RUNS_PER_HOLDER * 3 + 5);
    // Blocks do not overlap: holder k's runs end before holder k+1's begin.
    for (let token = 1; token < 300; token++) expect(firstRunOf(1, token) + RUNS_PER_HOLDER - 1).toBeLessThan(firstRunOf(1, token + 1));
  });

  it('finds the next run by number, past four digits', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-runs-'));
    try {
      for (const d of ['m0001', 'm9999', 'r10001', 'm10002', 'notarun', 'm12']) mkdirSync(path.join(dir, d));
      expect(await nextRunNumber(dir)).toBe(10_003);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
