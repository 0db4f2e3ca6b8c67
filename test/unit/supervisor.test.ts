import { describe, expect, it } from 'vitest';
import { FfmpegProcess } from '../../server/media/ffmpeg-process.ts';
import { backoffPolicy } from '../../server/media/restart-policy.ts';
import { Supervisor } from '../../server/media/supervisor.ts';
import { GLOBAL_INPUT_FLAGS, type FfmpegSpec } from '../../server/media/spec.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {} };
/** A real FFmpeg run that ends by itself after a tenth of a second. */
const brief: FfmpegSpec = { inputs: [{ url: 'nullsrc=s=16x16:d=0.1', options: [...GLOBAL_INPUT_FLAGS, '-f', 'lavfi'] }], outputs: [{ target: '-', options: ['-f', 'null'] }] };
const until = async (cond: () => boolean, ms = 10_000) => {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('supervisor', () => {
  it('restarts FFmpeg after every exit, numbering runs on from the first, with the policy’s delays', async () => {
    const exits: { run: number; willRestart: boolean; at: number }[] = [];
    const sup = new Supervisor((run) => new FfmpegProcess(brief, { ffmpegPath: 'ffmpeg', logger: silent, tags: { run } }), backoffPolicy({ baseMs: 50, maxMs: 400, healthyMs: 60_000 }), silent, {}, 7);
    sup.on('exit', (_e, run, willRestart) => exits.push({ run, willRestart, at: Date.now() }));
    sup.enable();
    await until(() => exits.length >= 4);
    await sup.close();
    expect(exits.slice(0, 4).map((e) => e.run)).toEqual([7, 8, 9, 10]);
    expect(exits.slice(0, 4).every((e) => e.willRestart)).toBe(true);
    // Consecutive short runs back off: the third restart waits 200 ms, the first 50 ms.
    const gap = (i: number) => exits[i + 1]!.at - exits[i]!.at;
    expect(gap(2)).toBeGreaterThan(gap(0));
  });

  it('counts a run as healthy by the policy, not by a fixed figure, so backoff starts again', async () => {
    const attempts: number[] = [];
    const base = backoffPolicy({ baseMs: 20, maxMs: 400, healthyMs: 50 });
    const policy = Object.assign((attempt: number, cause: Parameters<typeof base>[1]) => (attempts.push(attempt), base(attempt, cause)), { healthyMs: base.healthyMs });
    const sup = new Supervisor(() => new FfmpegProcess(brief, { ffmpegPath: 'ffmpeg', logger: silent, tags: {} }), policy, silent, {});
    sup.enable();
    await until(() => attempts.length >= 3);
    await sup.close();
    // Each run lasts longer than 50 ms, so each exit is a first attempt again.
    expect(attempts.slice(0, 3)).toEqual([1, 1, 1]);
  });

  it('starts nothing more once disabled, and runs again when enabled', async () => {
    let exits = 0;
    const sup = new Supervisor(() => new FfmpegProcess(brief, { ffmpegPath: 'ffmpeg', logger: silent, tags: {} }), backoffPolicy({ baseMs: 20, maxMs: 40, healthyMs: 60_000 }), silent, {});
    sup.on('exit', () => exits++);
    sup.enable();
    await until(() => exits >= 1);
    await sup.disable();
    const runs = sup.runNumber;
    await new Promise((r) => setTimeout(r, 400));
    expect(sup.runNumber).toBe(runs);
    sup.enable();
    await until(() => sup.runNumber > runs);
    await sup.close();
  });

  it('retries a run it could not prepare (a disk that refused its directories), and starts at once when told the cause is gone', async () => {
    let refuse = true;
    const sup = new Supervisor(
      () => {
        if (refuse) throw Object.assign(new Error('ENOSPC: no space left on device, mkdir'), { code: 'ENOSPC' });
        return new FfmpegProcess(brief, { ffmpegPath: 'ffmpeg', logger: silent, tags: {} });
      },
      // Long delays after the first: only restartNow can start it soon.
      backoffPolicy({ baseMs: 20, maxMs: 60_000, healthyMs: 60_000 }),
      silent,
      {},
    );
    const started: number[] = [];
    sup.on('run', (_p, run) => started.push(run));
    sup.enable();
    await until(() => sup.runNumber >= 3, 5_000);
    expect(started).toEqual([]);
    refuse = false;
    await sup.restartNow(false);
    await until(() => started.length === 1, 2_000);
    await sup.close();
  });

  it('replaces a running child when told its run wrote to a failed disk, and leaves it otherwise', async () => {
    const long: FfmpegSpec = { inputs: [{ url: 'nullsrc=s=16x16:d=30', options: [...GLOBAL_INPUT_FLAGS, '-re', '-f', 'lavfi'] }], outputs: [{ target: '-', options: ['-f', 'null'] }] };
    const sup = new Supervisor(() => new FfmpegProcess(long, { ffmpegPath: 'ffmpeg', logger: silent, tags: {} }), backoffPolicy({ baseMs: 20, maxMs: 400, healthyMs: 60_000 }), silent, {});
    sup.enable();
    await until(() => sup.process?.pid !== undefined);
    const first = sup.process?.pid;
    await sup.restartNow(false);
    expect(sup.process?.pid).toBe(first);
    await sup.restartNow(true);
    await until(() => sup.process?.pid !== undefined && sup.process.pid !== first, 5_000);
    await sup.close();
  });
});
