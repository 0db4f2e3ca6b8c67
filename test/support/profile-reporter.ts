import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

/** CPU time the whole machine has spent busy so far, in ms (every core). */
function machineBusyMs(): number {
  return os.cpus().reduce((n, c) => n + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
}

interface FileRow {
  file: string;
  project: string;
  wallMs: number;
  /** Average cores the machine was busy while the file ran (its FFmpegs and browsers included, and whatever ran beside it). */
  cores: number;
  tests: number;
  assertions: number;
}

interface TestRow {
  file: string;
  name: string;
  ms: number;
  assertions: number;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
 * Where the suite's time goes: the ten slowest files (wall time, and how busy the machine was
 * meanwhile, which is what a real-time FFmpeg test costs) and the ten slowest tests, with the total
 * of assertions made (test/support/count-assertions.ts), so a faster suite can be shown to check no
 * less. With SUITE_PROFILE=<file> the whole table is also written as JSON; with
 * SUITE_DURATIONS=test/support/file-durations.json the integration files' times are refreshed for
 * the sequencer.
 */
export default class ProfileReporter implements Reporter {
  private readonly started = new Map<string, { at: number; busy: number }>();
  private readonly files: FileRow[] = [];
  private readonly tests: TestRow[] = [];
  private readonly runStart = { at: performance.now(), busy: machineBusyMs() };

  onTestModuleStart(m: TestModule): void {
    this.started.set(m.moduleId, { at: performance.now(), busy: machineBusyMs() });
  }

  onTestCaseResult(t: TestCase): void {
    this.tests.push({ file: this.rel(t.module.moduleId), name: t.fullName, ms: t.diagnostic()?.duration ?? 0, assertions: t.meta().assertions ?? 0 });
  }

  onTestModuleEnd(m: TestModule): void {
    const s = this.started.get(m.moduleId);
    if (!s) return;
    // Vitest's own time for the file. A worker that keeps its modules (isolate: false) may announce
    // a file's start late, so the time since that event can fall short; then the cores busy are
    // not known for the file.
    const sinceStart = performance.now() - s.at;
    const wallMs = m.diagnostic().duration || sinceStart;
    const cases = [...m.children.allTests()];
    this.files.push({
      file: this.rel(m.moduleId),
      project: m.project.name,
      wallMs,
      cores: sinceStart > 0 && sinceStart >= wallMs * 0.9 ? (machineBusyMs() - s.busy) / sinceStart : Number.NaN,
      tests: cases.length,
      assertions: cases.reduce((n, c) => n + (c.meta().assertions ?? 0), 0),
    });
  }

  onTestRunEnd(): void {
    const wallMs = performance.now() - this.runStart.at;
    const cores = (machineBusyMs() - this.runStart.busy) / Math.max(1, wallMs);
    const top = <T,>(rows: T[], key: (r: T) => number) => [...rows].sort((a, b) => key(b) - key(a)).slice(0, 10);
    const lines = [
      '',
      `Suite profile: ${this.tests.length} tests, ${this.tests.reduce((n, t) => n + t.assertions, 0)} assertions, ${secs(wallMs)} wall, machine ${cores.toFixed(2)} cores busy on average`,
      'Slowest files (wall, cores busy meanwhile, tests):',
      ...top(this.files, (f) => f.wallMs).map((f) => `  ${secs(f.wallMs).padStart(8)}  ${Number.isNaN(f.cores) ? "  –  " : f.cores.toFixed(2)}  ${String(f.tests).padStart(3)}  ${f.file}`),
      'Slowest tests:',
      ...top(this.tests, (t) => t.ms).map((t) => `  ${secs(t.ms).padStart(8)}  ${t.file} > ${t.name}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const out = process.env.SUITE_PROFILE;
    if (out) writeFileSync(out, JSON.stringify({ wallMs, cores, files: this.files, tests: this.tests }, null, 1));
    // The integration files' wall times, for the sequencer's longest-first order (suite-order.ts).
    const durations = process.env.SUITE_DURATIONS;
    if (durations) {
      const rows = this.files.filter((f) => f.project !== 'unit').sort((a, b) => a.file.localeCompare(b.file));
      writeFileSync(durations, `${JSON.stringify(Object.fromEntries(rows.map((f) => [f.file, Math.round(f.wallMs / 100) / 10])), null, 1)}\n`);
    }
  }

  private rel(id: string): string {
    return path.relative(process.cwd(), id);
  }
}
