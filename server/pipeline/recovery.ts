import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../domain/logger.ts';
import { PID_FILE } from './hearing-pipeline.ts';
import { appendMasterLine, readMasterManifest, SOURCES_DIR, sourceMasterDir } from './master-manifest.ts';

const RUN_DIR = /^[rmg](\d{4,9})$/;
const runOf = (dir: string): number => Number(RUN_DIR.exec(dir)?.[1] ?? 0);

/** Run directories in run order (numbers grow past four digits: m10001 comes after m9999). */
async function runDirs(root: string): Promise<string[]> {
  try {
    return (await readdir(root)).filter((d) => RUN_DIR.test(d)).sort((a, b) => runOf(a) - runOf(b) || a.localeCompare(b));
  } catch {
    return [];
  }
}

/** The number after the highest run found in either directory, so a new run never reuses one. */
export async function nextRunNumber(...roots: string[]): Promise<number> {
  let max = 0;
  for (const root of roots) for (const d of await runDirs(root)) max = Math.max(max, runOf(d));
  return max + 1;
}

/** Whether a live process's command line mentions `needle` (so a reused pid is never killed). */
async function commandLineHas(pid: number, needle: string): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes(needle);
  } catch {
    return false;
  }
}

/**
 * Stops FFmpegs left running by a server that crashed: each run directory holds its FFmpeg's
 * pid, and only a process whose command line names that directory is signalled. SIGINT first so
 * the master segment being written is finished; SIGKILL after `graceMs`.
 */
export async function reapOrphans(roots: readonly string[], logger: Logger, graceMs = 3000): Promise<number> {
  const victims: number[] = [];
  for (const root of roots) {
    for (const run of await runDirs(root)) {
      const dir = path.join(root, run);
      const pid = Number((await readFile(path.join(dir, PID_FILE), 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 1 && (await commandLineHas(pid, dir))) {
        logger.warn({ pid, dir }, 'stopping an FFmpeg orphaned by a crash');
        process.kill(pid, 'SIGINT');
        victims.push(pid);
      }
    }
  }
  const deadline = Date.now() + graceMs;
  for (const pid of victims) {
    while (Date.now() < deadline && (await readFile(`/proc/${pid}/stat`, 'utf8').then((st) => !/\) Z /.test(st), () => false))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return victims.length;
}

/** A hearing's master directory and each of its further cameras' (each with runs and a manifest of its own). */
export async function masterDirsOf(masterDir: string): Promise<string[]> {
  const sources = await readdir(path.join(masterDir, SOURCES_DIR)).catch(() => [] as string[]);
  return [masterDir, ...sources.sort().map((s) => sourceMasterDir(masterDir, s))];
}

/**
 * Seals master segments that were finished but never hashed (the server died between FFmpeg
 * completing them and sealing them). FFmpeg writes segments under a temporary name and renames
 * them when complete, so every `.ts` present is whole.
 */
export async function sealUnsealed(masterDir: string, logger: Logger): Promise<number> {
  const sealed = new Set((await readMasterManifest(masterDir)).map((l) => l.file));
  let count = 0;
  for (const run of await runDirs(masterDir)) {
    for (const f of (await readdir(path.join(masterDir, run))).filter((x) => /^\d{6}\.ts$/.test(x)).sort()) {
      const rel = `${run}/${f}`;
      if (sealed.has(rel)) continue;
      const body = await readFile(path.join(masterDir, rel));
      const sha256 = createHash('sha256').update(body).digest('hex');
      await appendMasterLine(masterDir, { run: Number(run.slice(1)), index: Number(f.slice(0, 6)), file: rel, size: body.length, sha256, recovered: true });
      count++;
    }
  }
  if (count > 0) logger.warn({ masterDir, count }, 'sealed master segments left unsealed by a crash');
  return count;
}
