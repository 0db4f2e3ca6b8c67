import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedStateStore } from '../../server/store/embedded-state-store.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-embedded-'));

/**
 * A write the embedded store has acknowledged survives the process being killed the moment
 * after: a child process writes, says so on stdout, and is SIGKILLed as soon as the parent reads
 * it; the store reopened in this process must hold everything acknowledged.
 */
describe('embedded state store durability', () => {
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps every acknowledged write through a SIGKILL', async () => {
    const script = `
      const { EmbeddedStateStore } = await import(${JSON.stringify(path.resolve('server/store/embedded-state-store.ts'))});
      const store = await EmbeddedStateStore.open(${JSON.stringify(dir)});
      for (let i = 0; ; i++) {
        await store.put('programs', 'hg_' + i, { i, phase: 'cut' });
        await store.append('audit:hg', 'entry ' + i);
        process.stdout.write('acked ' + i + '\\n');
      }
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = -1;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        const nums = [...d.toString().matchAll(/acked (\d+)/g)].map((m) => Number(m[1]));
        if (nums.length > 0) acked = Math.max(acked, ...nums);
        if (acked >= 20) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => (acked >= 20 ? resolve() : reject(new Error(`child exited early: ${stderr}`))));
    });
    await new Promise((r) => child.once('exit', r));
    const store = await EmbeddedStateStore.open(dir);
    for (let i = 0; i <= acked; i++) expect(await store.get('programs', `hg_${i}`), `record ${i}`).toEqual({ i, phase: 'cut' });
    const log = await store.readLog('audit:hg');
    expect(log.length).toBeGreaterThanOrEqual(acked + 1);
    expect(log.slice(0, acked + 1)).toEqual(Array.from({ length: acked + 1 }, (_, i) => `entry ${i}`));
    await store.close();
  }, 30_000);
});
