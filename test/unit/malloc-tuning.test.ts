import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FfmpegProcess } from '../../server/media/ffmpeg-process.ts';
import { FFMPEG_MALLOC_TUNABLES, tuneChildMalloc } from '../../server/media/malloc-tuning.ts';

describe('malloc tuning of FFmpeg children', () => {
  it('leaves an operator’s own tunables alone', () => {
    const env: NodeJS.ProcessEnv = { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' };
    tuneChildMalloc(env);
    expect(env.GLIBC_TUNABLES).toBe('glibc.malloc.arena_max=2');
    const bare: NodeJS.ProcessEnv = {};
    tuneChildMalloc(bare);
    expect(bare.GLIBC_TUNABLES).toBe(FFMPEG_MALLOC_TUNABLES);
  });

  it('reaches a real FFmpeg child', async () => {
    const proc = new FfmpegProcess(
      { inputs: [{ url: 'nullsrc=s=16x16:r=5', options: ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi'] }], outputs: [{ target: '-', options: ['-t', '5', '-f', 'null'] }] },
      { ffmpegPath: 'ffmpeg', logger: pino({ level: 'silent' }), tags: {} },
    );
    const pid = new Promise<number | undefined>((r) => proc.on('spawned', r));
    proc.start();
    const environ = (await readFile(`/proc/${await pid}/environ`, 'latin1')).split('\0');
    await proc.close();
    // The dynamic loader parses the variable in place and leaves only its first item readable here.
    const first = FFMPEG_MALLOC_TUNABLES.split(':')[0]!;
    expect(environ.some((e) => e.startsWith(`GLIBC_TUNABLES=${first}`))).toBe(true);
  });
});
