import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** User and system CPU seconds a process has used so far (Linux /proc), NaN once it is gone. */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return Number.NaN;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Other work on the machine, at normal priority, as a neighbour on a shared court server would be. */
export interface CpuHog {
  readonly cores: number;
  /** CPU seconds the hog's processes have used since it started. */
  used(): Promise<number>;
  stop(): void;
}

/**
 * Keeps `cores` of the machine busy: one process per started core, each spinning for its share of
 * every 100 ms and asleep for the rest. A duty cycle rather than a full spin, so the share is fixed
 * and the scheduler still sees a process that sleeps (as a real neighbour's would).
 */
export function startCpuHog(cores: number): CpuHog {
  const children: ChildProcess[] = [];
  for (let left = cores; left > 1e-6; left -= 1) {
    const busyMs = Math.round(Math.min(1, left) * 100);
    const code = `setInterval(()=>{const t=Date.now();while(Date.now()-t<${busyMs}){}},100);`;
    children.push(spawn(process.execPath, ['-e', code], { stdio: 'ignore' }));
  }
  return {
    cores,
    async used() {
      const each = await Promise.all(children.map((c) => cpuSeconds(c.pid)));
      return each.reduce((a, b) => a + b, 0);
    },
    stop: () => children.forEach((c) => c.kill('SIGKILL')),
  };
}
