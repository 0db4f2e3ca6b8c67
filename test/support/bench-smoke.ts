import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** What a bench run printed and how it ended. */
export interface BenchRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `npm run bench -- NAME --smoke` as a developer would (its own process, through bench/run.ts),
 * at the lowest CPU priority: the smoke proves the bench still works end to end, not how fast, and
 * the files beside it keep the cores their timing needs.
 */
export function runBenchSmoke(name: string): Promise<BenchRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('nice', ['-n', '19', process.execPath, '--import', 'tsx', 'bench/run.ts', name, '--smoke'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8_000)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The suite's check of one bench: its smoke run exits 0 and prints its report, with `expected`
 * (a row or line only a complete run prints). A feature that breaks a bench fails CI here.
 */
export function benchSmoke(name: string, expected: readonly string[]): void {
  describe(`npm run bench -- ${name} --smoke`, () => {
    it('runs end to end and prints its report', async () => {
      const run = await runBenchSmoke(name);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('| --- |');
      for (const text of expected) expect(run.stdout, run.stdout).toContain(text);
    });
  });
}
