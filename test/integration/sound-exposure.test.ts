import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HearingArchive } from '../../recorder/hearing-archive.ts';
import { loadSigningKey } from '../../recorder/signing-key.ts';
import { Spool } from '../../recorder/spool.ts';
import { Uploader } from '../../recorder/uploader.ts';
import { emptyProgram, applyAction } from '../../server/domain/program.ts';
import { LocalObjectStore } from '../../server/store/local-object-store.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';

const exec = promisify(execFile);

/** A TS segment as a rung served it: `seconds` of picture (or none) and sound, starting at `pictureAt` and `soundAt` on its own timeline. */
async function segment(file: string, o: { pictureAt: number | null; soundAt: number; seconds: number }): Promise<void> {
  const sound = ['-f', 'lavfi', '-t', String(o.seconds), '-i', 'sine=frequency=440:sample_rate=48000'];
  const picture = o.pictureAt === null ? [] : ['-f', 'lavfi', '-t', String(o.seconds), '-i', 'testsrc2=size=160x90:rate=30'];
  // Each stream placed on the timeline where the rung had it (as the transcoder keeps the encoder's timestamps).
  const maps = o.pictureAt === null
    ? ['-map', '0:a', '-af', `asetpts=PTS+${o.soundAt}/TB`]
    : ['-map', '1:v', '-map', '0:a', '-vf', `setpts=PTS+${o.pictureAt}/TB`, '-af', `asetpts=PTS+${o.soundAt}/TB`, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-bf', '0'];
  await exec('ffmpeg', ['-v', 'error', ...sound, ...picture, ...maps, '-c:a', 'aac', '-copyts', '-muxdelay', '0', '-muxpreload', '0', '-f', 'mpegts', '-y', file]);
}

/**
 * An archive aired before issue 22 was fixed, made of real files: the slot that aired from the
 * start carries, on its audio-only rung, 1.6 s of sound from before the start. The archivist's
 * script hears it from the as-aired files and the record alone.
 */
describe('sound-exposure: what an old archive aired outside its program', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-exposure-'));
  const storeDir = path.join(dir, 'store');

  beforeAll(async () => {
    const store = new LocalObjectStore(storeDir);
    const key = await loadSigningKey(dir);
    const spool = new Spool(path.join(dir, 'spool'));
    const uploader = new Uploader({ store, spool, logger: pino({ level: 'silent' }) });
    const a = await HearingArchive.open({ hearingId: 'h1', journalFile: path.join(dir, 'journal', 'h1.jsonl'), state: new MemoryStateStore(), logger: pino({ level: 'silent' }), spool, enqueue: (i) => uploader.add(i), key, now: Date.now });
    // Slot 5 airs from the start (captured at 10 s): its picture runs 4–6 s on its timeline, the
    // video rung's sound with it, the audio-only rung's sound from 2.4 s (cut by its own muxer).
    await segment(path.join(dir, 'top.ts'), { pictureAt: 4, soundAt: 4, seconds: 2 });
    await segment(path.join(dir, 'audio.ts'), { pictureAt: null, soundAt: 2.4, seconds: 2 });
    const slot = { kind: 'aired' as const, seq: 5, captureStart: 10_000 - 25, captureEnd: 12_050, durationSec: 2, outcome: 'aired', reason: 'program' };
    await a.addFile({ ...slot, key: 'aired/360p/5.ts', rung: '360p' }, path.join(dir, 'top.ts'));
    await a.addFile({ ...slot, key: 'aired/audio/5.ts', rung: 'audio' }, path.join(dir, 'audio.ts'));
    const started = applyAction(emptyProgram(0), { type: 'start', at: 10_000 });
    if (!started.ok) throw new Error(started.error.message);
    await a.addBytes({ kind: 'record', key: 'record.json' }, Buffer.from(JSON.stringify({ program: started.program })));
    await a.writeManifest(true);
    await uploader.idle(20_000);
    await uploader.close();
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the sound from before the start that the audio-only rung aired, and fails', async () => {
    const run = await exec('npx', ['tsx', 'scripts/sound-exposure.ts', path.join(storeDir, 'hearings', 'h1'), '--json'], { cwd: process.cwd() }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (err: { code: number; stdout: string }) => ({ code: err.code, out: err.stdout }),
    );
    expect(run.code, run.out).toBe(1);
    const report = JSON.parse(run.out) as { listenedSlots: number; exposed: { rung: string; seq: number; from: number; to: number; ms: number }[] };
    expect(report.exposed).toHaveLength(1);
    const [x] = report.exposed;
    expect(x).toMatchObject({ rung: 'audio', seq: 5 });
    // 1.6 s of sound before the picture, placed just before the start (a few ms for AAC framing).
    expect(Math.abs(x!.ms - 1_600)).toBeLessThan(60);
    expect(Math.abs(x!.to - 10_000)).toBeLessThan(30);
  });
});
