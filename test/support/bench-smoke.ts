import { spawn } from 'node:child_process';
import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';

/** What a bench run printed and how it ended. */
export interface BenchRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `npm run bench -- NAME --smoke` as a developer would: its own process, through bench/run.ts. */
export function runBenchSmoke(name: string): Promise<BenchRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', name, '--smoke'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8_000)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Past this a smoke run reports its stderr even when it passes. */
const SLOW_SMOKE_MS = 75_000;

/**
 * The suite's check of the benches: each one's smoke run exits 0 and prints its report, with the
 * rows or lines only a complete run prints. A feature that breaks a bench fails CI here. The
 * smokes mostly wait on real time (short hearings on tiny pictures), so four run side by side,
 * in the order given. All nine at once saturated two cores: three smokes' short hearings aired
 * stand-by slates and measured nothing. The heavy ones (a browser painting, a compositor, WebRTC)
 * run at most two at a time: four of them side by side (ci93: captions, verify, compositor and
 * WHIP) starved the captions page to 18 frames in 8 s.
 */
export function benchSmokes(benches: Readonly<Record<string, readonly string[]>>, heavy: ReadonlySet<string> = new Set()): void {
  const limit = pLimit(4);
  const heavyLimit = pLimit(2);
  describe.concurrent('every bench, in its smoke mode', () => {
    for (const [name, expected] of Object.entries(benches)) {
      // A heavy smoke waits for its own turn before it takes one of the four places.
      const queue = <T>(f: () => Promise<T>) => (heavy.has(name) ? heavyLimit(() => limit(f)) : limit(f));
      it(`npm run bench -- ${name} --smoke runs end to end and prints its report`, async () => {
        const run = await queue(async () => {
          const started = Date.now();
          const r = await runBenchSmoke(name);
          // A slow smoke passes but says what it printed on the way (its phases, if it logs them).
          if (Date.now() - started > SLOW_SMOKE_MS) process.stderr.write(`bench ${name} --smoke took ${Date.now() - started} ms; its stderr ends:\n${r.stderr.slice(-3_000)}\n`);
          return r;
        });
        expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
        expect(run.stdout).toContain('| --- |');
        for (const text of expected) expect(run.stdout, run.stdout).toContain(text);
        // The time counts from the file's start, so the last smokes include their wait in the queue.
      }, 420_000);
    }
  });
}
