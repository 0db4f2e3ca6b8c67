import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { HearingArchive, archivePrefix } from '../../recorder/hearing-archive.ts';
import type { Manifest } from '../../recorder/manifest.ts';
import { verifyManifest } from '../../recorder/manifest.ts';
import { Recorder, type ArchiveRecord } from '../../recorder/recorder.ts';
import { loadSigningKey } from '../../recorder/signing-key.ts';
import { Spool } from '../../recorder/spool.ts';
import { Uploader } from '../../recorder/uploader.ts';
import { storeHasher } from '../../recorder/verify.ts';
import { LocalObjectStore } from '../../server/store/local-object-store.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';
import { waitFor } from '../support/wait.ts';

const exec = promisify(execFile);
const quiet = pino({ level: 'silent' });

/**
 * A hearing moved between nodes: node A recorded its first master segments and entered them on
 * the shared chain, but one of its uploads has not reached the archive store (A is down, its
 * spool waiting). Node B finalizes: it cannot make the MP4 without that part, says which part in
 * the archive record, keeps the archive on the short list of unfinished ones, and tries again
 * on its own; once the part is in the store, the archive completes and verifies.
 */
describe('archive: finalizing waits for a part another node has not uploaded yet', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-finalize-retry-'));
  const storeDir = path.join(dir, 'store');
  const hearingId = 'h_retry';
  let recorder: Recorder | null = null;

  afterAll(async () => {
    await recorder?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('retries until the part is uploaded, then completes with the whole chain', async () => {
    const state = new MemoryStateStore();
    const store = new LocalObjectStore(storeDir);
    const key = await loadSigningKey(dir);

    // Node A: three real one-second segments, entered on the shared chain and uploaded.
    const segs = path.join(dir, 'segs');
    mkdirSync(segs);
    await exec('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=64x36:r=10', '-f', 'lavfi', '-i', 'sine=f=440', '-t', '3', '-c:v', 'libx264', '-g', '10', '-c:a', 'aac', '-f', 'segment', '-segment_time', '1', path.join(segs, 's%d.ts')]);
    const files = readdirSync(segs).sort();
    expect(files.length).toBeGreaterThanOrEqual(3);
    const spoolA = new Spool(path.join(dir, 'a', 'spool'));
    const uploaderA = new Uploader({ store, spool: spoolA, logger: quiet });
    const a = await HearingArchive.open({ hearingId, journalFile: path.join(dir, 'a', 'journal.jsonl'), state, logger: quiet, spool: spoolA, enqueue: (i) => uploaderA.add(i), key, now: Date.now });
    const epoch = Date.parse('2026-12-01T09:00:00Z');
    for (const [i, f] of files.entries()) {
      await a.addFile({ kind: 'master', key: `master/m0001/${String(i).padStart(6, '0')}.ts`, run: 1, index: i, durationSec: 1, captureStart: epoch + i * 1_000, captureEnd: epoch + (i + 1) * 1_000 }, path.join(segs, f));
    }
    expect(await a.sync()).toBe(true);
    await uploaderA.idle(20_000);
    await uploaderA.close();
    // One of A's parts is not in the store yet: it waits in A's spool while A is down.
    const missing = `master/m0001/000001.ts`;
    const inStore = path.join(storeDir, archivePrefix(hearingId), missing);
    const held = path.join(dir, 'held.ts');
    renameSync(inStore, held);
    await state.put('archives', hearingId, { hearingId, status: 'recording', startedAt: new Date(epoch).toISOString(), finalizedAt: null, entries: 0, bytes: 0, files: {}, masterSegments: 0, airedSegments: 0, masterFrom: null, masterTo: null } satisfies ArchiveRecord);

    // Node B finds the hearing ended and finalizes it.
    recorder = new Recorder({
      store,
      state,
      dir: path.join(dir, 'b'),
      key,
      publicStore: store,
      publicKeyOf: (id, rung, seq) => `public/${id}/${rung}/${seq}.ts`,
      rungs: ['180p'],
      topRung: '180p',
      variants: [{ rung: '180p', bandwidth: 300_000, width: 320, height: 180, codecs: 'avc1.42c01e,mp4a.40.2' }],
      segmentSeconds: 1,
      masterDir: (id) => path.join(dir, 'b', 'master', id),
      recordOf: async () => ({ audit: [] }),
      savedTimeline: async () => null,
      hasEnded: async () => true,
      ffmpegPath: 'ffmpeg',
      logger: quiet,
      nodeId: 'node-b',
      finalizeRetryMs: 300,
    });
    await recorder.start();
    const failed = await waitFor(async () => {
      const r = await state.get<ArchiveRecord>('archives', hearingId);
      return r?.status === 'finalizing' && r.error ? r : null;
    }, 'finalizing to fail for want of the part');
    expect(failed.error).toContain(missing);
    expect((await state.entries('unfinished-archives')).map(([id]) => id)).toEqual([hearingId]);
    // Still failing a few retries later, and nothing final was written meanwhile.
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await state.get<ArchiveRecord>('archives', hearingId))?.status).toBe('finalizing');
    expect(existsSync(path.join(storeDir, archivePrefix(hearingId), 'master.mp4'))).toBe(false);

    // A comes back and uploads it: the next retry finishes, with nobody asking again.
    renameSync(held, inStore);
    const done = await waitFor(async () => {
      const r = await state.get<ArchiveRecord>('archives', hearingId);
      return r?.status === 'complete' ? r : null;
    }, 'the archive to complete', 60_000);
    expect(done.masterSegments).toBe(files.length);
    expect(done.files.masterMp4).toBe('master.mp4');
    expect(await state.entries('unfinished-archives')).toEqual([]);

    await recorder.uploader.idle(20_000);
    const folder = archivePrefix(hearingId);
    const manifest = JSON.parse((await store.get(`${folder}/manifest.json`))?.toString() ?? 'null') as Manifest;
    expect(manifest.seal.final).toBe(true);
    const verdict = await verifyManifest(manifest, key.publicKey, storeHasher(store, folder));
    expect(verdict).toMatchObject({ ok: true, signature: 'valid' });
    expect(manifest.entries.filter((e) => e.kind === 'master').map((e) => e.key)).toEqual(files.map((_, i) => `master/m0001/${String(i).padStart(6, '0')}.ts`));
    // The MP4 holds every part, the one that came late too.
    const probe = await exec('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path.join(storeDir, folder, 'master.mp4')]);
    expect(Number(probe.stdout.trim())).toBeGreaterThan(files.length - 0.5);
  });
});
