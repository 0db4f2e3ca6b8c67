import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HearingArchive, archivePrefix } from '../../recorder/hearing-archive.ts';
import type { Manifest } from '../../recorder/manifest.ts';
import { verifyManifest } from '../../recorder/manifest.ts';
import { Recorder, type RecorderOptions } from '../../recorder/recorder.ts';
import { archiveRecords, type ArchiveRecord } from '../../recorder/archive-record.ts';
import { loadSigningKey, type SigningKey } from '../../recorder/signing-key.ts';
import type { CourtcastError } from '../../server/domain/errors.ts';
import { Spool } from '../../recorder/spool.ts';
import { Uploader } from '../../recorder/uploader.ts';
import { storeHasher } from '../../recorder/verify.ts';
import { LocalObjectStore } from '../../server/store/local-object-store.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';
import { waitFor } from '../support/wait.ts';

const exec = promisify(execFile);
const quiet = pino({ level: 'silent' });

/**
 * A hearing moved between nodes: node A recorded its master segments and entered them on the
 * shared chain, but one of its uploads has not reached the archive store (A is down, its spool
 * waiting). Node B finalizes: it cannot make the MP4 without that part, says which part in the
 * archive record, keeps the archive on the short list of unfinished ones, and tries again on its
 * own; once the part is in the store, the archive completes and verifies. If A never comes back,
 * the part is declared lost, once even when two declarations race.
 */
describe('archive: finalizing waits for a part another node has not uploaded yet', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-finalize-retry-'));
  const storeDir = path.join(dir, 'store');
  const state = new MemoryStateStore();
  const store = new LocalObjectStore(storeDir);
  const epoch = Date.parse('2026-12-01T09:00:00Z');
  const keyOf = (i: number): string => `master/m0001/${String(i).padStart(6, '0')}.ts`;
  let files: string[] = [];
  let key: SigningKey;
  let recorder: Recorder;

  /**
   * Node A records the segments of `hearingId`, enters them on the shared chain and uploads them,
   * all but the second: that one waits in A's spool while A is down. Answers where it would be.
   */
  async function recordedOnA(hearingId: string): Promise<{ inStore: string; held: string }> {
    const spoolA = new Spool(path.join(dir, hearingId, 'a-spool'));
    const uploaderA = new Uploader({ store, spool: spoolA, logger: quiet });
    const a = await HearingArchive.open({ hearingId, journalFile: path.join(dir, hearingId, 'a-journal.jsonl'), state, logger: quiet, spool: spoolA, enqueue: (i) => uploaderA.add(i), key, now: Date.now });
    for (const [i, f] of files.entries()) {
      await a.addFile({ kind: 'master', key: keyOf(i), run: 1, index: i, durationSec: 1, captureStart: epoch + i * 1_000, captureEnd: epoch + (i + 1) * 1_000 }, path.join(dir, 'segs', f));
    }
    expect(await a.sync()).toBe(true);
    await uploaderA.idle(20_000);
    await uploaderA.close();
    const inStore = path.join(storeDir, archivePrefix(hearingId), keyOf(1));
    const held = path.join(dir, hearingId, 'held.ts');
    renameSync(inStore, held);
    await state.put('archives', hearingId, { hearingId, status: 'recording', startedAt: new Date(epoch).toISOString(), finalizedAt: null, entries: 0, bytes: 0, files: {}, masterSegments: 0, airedSegments: 0, masterFrom: null, masterTo: null } satisfies ArchiveRecord);
    return { inStore, held };
  }

  /** A recorder node's options, over the shared stores. */
  const recorderOptions = (nodeDir: string): RecorderOptions => ({
    store,
    state,
    dir: nodeDir,
    key,
    publicStore: store,
    publicKeyOf: (id, rung, seq) => `public/${id}/${rung}/${seq}.ts`,
    rungs: ['180p'],
    topRung: '180p',
    variants: [{ rung: '180p', bandwidth: 300_000, width: 320, height: 180, codecs: 'avc1.42c01e,mp4a.40.2' }],
    segmentSeconds: 1,
    masterDir: (id) => path.join(nodeDir, 'master', id),
    recordOf: async () => ({ audit: [] }),
    savedTimeline: async () => null,
    hasEnded: async () => true,
    ffmpegPath: 'ffmpeg',
    logger: quiet,
    nodeId: 'node-b',
    finalizeRetryMs: 300,
  });

  const failedFor = (hearingId: string) =>
    waitFor(async () => {
      const r = await archiveRecords(state).get(hearingId);
      return r?.status === 'finalizing' && r.error ? r : null;
    }, 'finalizing to fail for want of the part');
  const completed = (hearingId: string) =>
    waitFor(async () => {
      const r = await archiveRecords(state).get(hearingId);
      return r?.status === 'complete' ? r : null;
    }, 'the archive to complete', 60_000);

  beforeAll(async () => {
    key = await loadSigningKey(dir);
    const segs = path.join(dir, 'segs');
    mkdirSync(segs);
    await exec('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=64x36:r=10', '-f', 'lavfi', '-i', 'sine=f=440', '-t', '3', '-c:v', 'libx264', '-g', '10', '-c:a', 'aac', '-f', 'segment', '-segment_time', '1', path.join(segs, 's%d.ts')]);
    files = readdirSync(segs).sort();
    expect(files.length).toBeGreaterThanOrEqual(3);
    // Node B, which finalizes.
    recorder = new Recorder(recorderOptions(path.join(dir, 'b')));
  });

  afterAll(async () => {
    await recorder?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('retries until the part is uploaded, then completes with the whole chain', async () => {
    const hearingId = 'h_retry';
    const { inStore, held } = await recordedOnA(hearingId);
    // B starts, finds the hearing ended and finalizes it.
    await recorder.start();
    const failed = await failedFor(hearingId);
    expect(failed.error).toContain(keyOf(1));
    expect((await state.entries('unfinished-archives')).map(([id]) => id)).toEqual([hearingId]);
    // Still failing a few retries later, and nothing final was written meanwhile.
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await archiveRecords(state).get(hearingId))?.status).toBe('finalizing');
    expect(existsSync(path.join(storeDir, archivePrefix(hearingId), 'master.mp4'))).toBe(false);

    // A comes back and uploads it: the next retry finishes, with nobody asking again.
    renameSync(held, inStore);
    const done = await completed(hearingId);
    expect(done.masterSegments).toBe(files.length);
    expect(done.files.masterMp4).toBe('master.mp4');
    expect(await state.entries('unfinished-archives')).toEqual([]);

    await recorder.uploader.idle(20_000);
    const folder = archivePrefix(hearingId);
    const manifest = JSON.parse((await store.get(`${folder}/manifest.json`))?.toString() ?? 'null') as Manifest;
    expect(manifest.seal.final).toBe(true);
    const verdict = await verifyManifest(manifest, key.publicKey, storeHasher(store, folder));
    expect(verdict).toMatchObject({ ok: true, signature: 'valid', lost: [] });
    expect(manifest.entries.filter((e) => e.kind === 'master').map((e) => e.key)).toEqual(files.map((_, i) => keyOf(i)));
    // The MP4 holds every part, the one that came late too.
    const probe = await exec('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path.join(storeDir, folder, 'master.mp4')]);
    expect(Number(probe.stdout.trim())).toBeGreaterThan(files.length - 0.5);
  });

  it('takes two declarations made at once as one: the second finds nothing left to declare', async () => {
    const hearingId = 'h_twice';
    await recordedOnA(hearingId);
    await recorder.finalize(hearingId);
    await failedFor(hearingId);
    const by = { userId: 'u1', username: 'sup' };
    const onTrail: (readonly string[])[] = [];
    const [first, second] = await Promise.allSettled([
      recorder.declareLost(hearingId, 'node-a destroyed', by, async (keys) => void onTrail.push(keys)),
      recorder.declareLost(hearingId, 'node-a destroyed (again)', by, async (keys) => void onTrail.push(keys)),
    ]);
    expect(first).toEqual({ status: 'fulfilled', value: [keyOf(1)] });
    expect(second.status).toBe('rejected');
    expect(((second as PromiseRejectedResult).reason as CourtcastError).code).toBe('INVALID_TRANSITION');
    expect(onTrail).toEqual([[keyOf(1)]]);
    const done = await completed(hearingId);
    expect(done).toMatchObject({ masterSegments: files.length - 1, lostParts: 1 });
    // The final manifest is uploaded after the record says complete (as in the test above).
    await recorder.uploader.idle(20_000);
    const manifest = JSON.parse((await store.get(`${archivePrefix(hearingId)}/manifest.json`))?.toString() ?? 'null') as Manifest;
    expect(manifest.entries.filter((e) => e.kind === 'lost')).toHaveLength(1);
  });

  it('stops finalizing, sealing nothing, when its lease cannot be renewed, and another node finishes', async () => {
    const hearingId = 'h_lease';
    const { inStore, held } = await recordedOnA(hearingId);
    renameSync(held, inStore);
    // Node C's store refuses every renewal of its finalizing lease (another node has it by then).
    const refusing = {
      acquire: (h: string, n: string, ttl: number) => state.leases.acquire(h, n, ttl),
      release: (h: string, l: { nodeId: string; token: number }) => state.leases.release(h, l),
      holder: (h: string) => state.leases.holder(h),
      renew: async () => false,
    };
    const cState = new Proxy(state, { get: (t, p) => (p === 'leases' ? refusing : (Reflect.get(t, p, t) as unknown) instanceof Function ? (Reflect.get(t, p, t) as (...a: unknown[]) => unknown).bind(t) : Reflect.get(t, p, t)) });
    // What node C says it did (node B's own retries may finish the archive meanwhile: that is
    // the point, so C is judged by its own words and writes).
    const said: { msg: string; level: number }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void said.push(JSON.parse(line) as { msg: string; level: number }) });
    const nodeC = new Recorder({ ...recorderOptions(path.join(dir, 'c')), state: cState, nodeId: 'node-c', finalizeLeaseMs: 40, logger });
    await nodeC.finalize(hearingId);
    await nodeC.close();
    // It stopped, and sealed nothing: no MP4 or final manifest ever entered its spool.
    expect(said.map((l) => l.msg)).toContain('lost the lease on finalizing the archive; stopped, and left it to whoever holds it now');
    expect(said.map((l) => l.msg)).not.toContain('hearing archived');
    const spool = path.join(dir, 'c', 'spool');
    const spooled = existsSync(spool) ? readdirSync(spool, { recursive: true }).map(String) : [];
    expect(spooled.filter((f) => f.endsWith('.mp4') || f.endsWith('manifest.json'))).toEqual([]);
    // A node whose lease holds finishes it.
    await recorder.finalize(hearingId);
    expect((await completed(hearingId)).masterSegments).toBe(files.length);
  });

  it('goes on archiving later aired slots after one piece of a hearing fails', async () => {
    const hearingId = 'h_aired';
    const nodeDir = path.join(dir, 'd');
    // The hearing's journal cannot be read (a directory where the file should be): opening its
    // archive fails, so the catch-up that follow() starts with fails.
    const journal = path.join(nodeDir, 'journal', `${hearingId}.jsonl`);
    mkdirSync(journal, { recursive: true });
    const empty = { nextSeq: 0, discontinuitySequence: 0, entries: [], ended: false, lastProgramDateTime: null };
    const nodeD = new Recorder({ ...recorderOptions(nodeDir), nodeId: 'node-d', savedTimeline: async () => empty });
    const session = Object.assign(new EventEmitter(), { hearing: { id: hearingId }, close: async () => undefined });
    await nodeD.follow(session);
    // The disk is mended; the next slots must still be archived.
    await rm(journal, { recursive: true });
    await store.put(`public/${hearingId}/180p/5.ts`, await readFile(path.join(dir, 'segs', files[0]!)));
    session.emit('released', { seq: 5, captureStart: epoch, captureEnd: epoch + 1_000, outcome: 'aired', reason: 'program', durationSec: 1, releasedAt: Date.now() });
    await waitFor(async () => (await nodeD.archive(hearingId)).has('aired/180p/5.ts') || null, 'the later slot to be archived', 10_000);
    await nodeD.close();
  });
});
