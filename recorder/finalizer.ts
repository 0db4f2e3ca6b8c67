import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderMasterPlaylist } from '../server/delay/playlist.ts';
import { CourtcastError } from '../server/domain/errors.ts';
import type { BroadcastProgram } from '../server/domain/program.ts';
import { Turns } from '../server/domain/turns.ts';
import { remuxSpec } from '../server/media/args.ts';
import { runFfmpeg } from '../server/media/run.ts';
import { LeaseLost, withLease, type HeldLease } from '../server/store/lease-holder.ts';
import { listenToAired, type AiredSoundReport } from './aired-sound.ts';
import { archiveRecord, archiveRecords, unfinishedRecords, type ArchiveRecord } from './archive-record.ts';
import { archivePrefix, type HearingArchive } from './hearing-archive.ts';
import { missingParts, type LostDeclaration } from './lost-parts.ts';
import type { ManifestEntry } from './manifest.ts';
import type { RecorderOptions } from './recorder-options.ts';
import { recordingLog, sourceRecordingLogs, type LoggedEvent } from './recording-log.ts';
import type { Spool } from './spool.ts';
import { airedCaptionLanguages, airedInOrder, airedPlaylist, masterInOrder, subtitlesRung } from './vod-playlist.ts';
import { isCaptionLanguage, LANGUAGE_NAMES } from '../server/domain/captions.ts';
import { transcriptLanguages, transcriptVtt, type TranscriptEntry } from './transcript.ts';
import { airedCaptions } from './aired-captions.ts';
import { AIRED_CAPTIONS_FILE } from '../server/domain/recording-keys.ts';
import { auditHeadOf, sealStatement } from '../server/domain/tree-head.ts';

/** Long enough for a remux; renewed while finalizing, so a node that dies lets another finish. */
const FINALIZE_LEASE_MS = 60_000;
const finalizeLease = (hearingId: string): string => `archive:${hearingId}`;

/** What finalizing needs of the recorder that follows the hearing. */
export interface FinalizerHost {
  readonly o: RecorderOptions;
  readonly nodeId: string;
  readonly spool: Spool;
  archive(hearingId: string): Promise<HearingArchive>;
  /** Resolves once every master segment sealed so far and every aired slot asked for is entered. */
  caughtUp(hearingId: string): Promise<void>;
  /** The archive is complete: the recorder stops keeping it open. */
  forget(hearingId: string): void;
}

/**
 * Finishes hearings' archives: record, replay playlists, MP4s and the final signed manifest, one
 * node at a time under a lease it stops at once if it loses; and takes declarations of parts lost
 * with a dead node. Idempotent: a pass that fails is tried again, and whatever it entered stays.
 */
export class Finalizer {
  /**
   * The pass under way per hearing. Not a queue (Turns): a pass asked for while one runs joins it,
   * since the running pass finalizes everything there is; a declaration that must be seen asks again after it.
   */
  private readonly finalizing = new Map<string, Promise<void>>();
  /** Declarations of lost parts, one at a time per hearing: a second sees what the first declared. */
  private readonly declaring = new Turns();
  private readonly now: () => number;

  constructor(private readonly h: FinalizerHost) {
    this.now = h.o.now ?? Date.now;
  }

  private get o(): RecorderOptions {
    return this.h.o;
  }

  /** Whether a hearing's archive is being finalized on this node now. */
  busy(hearingId: string): boolean {
    return this.finalizing.has(hearingId);
  }

  /** Resolves when every finalizing pass under way has ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.finalizing.values()]);
  }

  /** Finishes a hearing's archive: record, replay playlists, MP4s and the final signed manifest. Idempotent. */
  run(hearingId: string): Promise<void> {
    let f = this.finalizing.get(hearingId);
    if (!f) {
      f = this.claimed(hearingId, (held) => this.finalizeOnce(hearingId, held))
        .catch((err: unknown) => this.o.logger.warn({ hearingId, err }, 'could not claim finalizing the archive; it is tried again later'))
        .finally(() => this.finalizing.delete(hearingId));
      this.finalizing.set(hearingId, f);
    }
    return f;
  }

  /**
   * Runs `work` under the hearing's finalizing lease, renewed while it runs: two nodes finalizing
   * one archive would enter two different MP4s under one key. Skipped when another node holds the
   * lease, or still holds the hearing itself (it is draining and finalizes when it finishes).
   */
  private async claimed(hearingId: string, work: (held: HeldLease) => Promise<void>): Promise<void> {
    const leases = this.o.state.leases;
    const running = await leases.holder(hearingId);
    if (running && running.nodeId !== this.h.nodeId) return;
    await withLease(leases, finalizeLease(hearingId), this.h.nodeId, this.o.finalizeLeaseMs ?? FINALIZE_LEASE_MS, work);
  }

  private async finalizeOnce(hearingId: string, held: HeldLease): Promise<void> {
    const log = this.o.logger;
    const known = await archiveRecords(this.o.state).get(hearingId);
    // Another node finished it while this one waited for the lease.
    if (known?.status === 'complete') return void (await unfinishedRecords(this.o.state).delete(hearingId));
    const a = await this.h.archive(hearingId);
    const started = known?.startedAt;
    const base = (status: ArchiveRecord['status'], extra: Partial<ArchiveRecord> = {}) => archiveRecord(hearingId, status, a.list(), { topRung: this.o.topRung, now: this.now() }, { ...(started ? { startedAt: started } : {}), ...extra });
    // Listed before the record says finalizing, so a crash between the two cannot leave an
    // archive that says finalizing but that nobody retries.
    await unfinishedRecords(this.o.state).put(hearingId, { since: new Date(this.now()).toISOString() });
    await archiveRecords(this.o.state).put(hearingId, base('finalizing'));
    try {
      await this.h.caughtUp(hearingId);
      // The record and the MP4s are made from the whole chain, the parts other nodes recorded too.
      if (!(await a.sync())) throw new Error('the archive chain is not all in the state store yet');
      const work = path.join(this.o.dir, 'work', hearingId);
      await mkdir(work, { recursive: true });
      let sound: AiredSoundReport | null = null;
      try {
        const master = masterInOrder(a.list());
        if (master.length > 0 && !a.has('master.mp4')) {
          const mp4 = await this.remux(hearingId, master, work, 'master');
          held.assertHeld();
          await a.addFile({ kind: 'mp4', key: 'master.mp4' }, mp4);
        }
        const aired = airedInOrder(a.list(), this.o.topRung);
        if (aired.length > 0 && !a.has('aired.mp4')) {
          const mp4 = await this.remux(hearingId, aired, work, 'aired');
          held.assertHeld();
          await a.addFile({ kind: 'mp4', key: 'aired.mp4' }, mp4);
        }
        if (!a.has('record.json')) sound = await this.listen(hearingId, a.list(), work);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
      held.assertHeld();
      // The playlists and the record are made once the MP4s are, so nothing can fail for want of
      // a part after them: a part declared lost after a failed attempt is left out of them, and
      // the declaration is on the record's trail.
      for (const rung of this.o.rungs) {
        const key = `aired/${rung}/index.m3u8`;
        if (!a.has(key)) await a.addBytes({ kind: 'playlist', key }, Buffer.from(airedPlaylist(a.list(), rung, this.o.segmentSeconds)));
      }
      // The captions aired, in each language, as subtitle renditions of the replay.
      const languages = airedCaptionLanguages(a.list());
      for (const lang of languages) {
        const key = `aired/${subtitlesRung(lang)}/index.m3u8`;
        if (!a.has(key)) await a.addBytes({ kind: 'playlist', key }, Buffer.from(airedPlaylist(a.list(), subtitlesRung(lang), this.o.segmentSeconds, 'vtt')));
      }
      const subtitles = languages.map((lang) => ({ lang, name: isCaptionLanguage(lang) ? LANGUAGE_NAMES[lang] : lang }));
      if (!a.has('aired/index.m3u8')) await a.addBytes({ kind: 'playlist', key: 'aired/index.m3u8' }, Buffer.from(renderMasterPlaylist(this.o.variants, subtitles)));
      if (!a.has('record.json')) {
        const record = (await this.o.recordOf(hearingId)) as { audit?: LoggedEvent[] } & Record<string, unknown>;
        // The recording log: what the master holds, each hole in it and its cause.
        const audit = Array.isArray(record.audit) ? record.audit : [];
        const recording = recordingLog(a.list(), audit);
        // Each further camera's too: what it holds, each hole and its cause.
        const sources = sourceRecordingLogs(a.list(), audit);
        // And what of the sound it aired lay outside the program, heard from the as-aired files.
        const soundOutsideProgram = sound ?? undefined;
        await a.addBytes({ kind: 'record', key: 'record.json' }, Buffer.from(`${JSON.stringify({ ...record, recording, ...(Object.keys(sources).length ? { sourceRecordings: sources } : {}), soundOutsideProgram }, null, 1)}\n`));
        // The transcript of each language as WebVTT beside it, on the as-aired recording's clock.
        const transcript = Array.isArray(record.transcript) ? (record.transcript as TranscriptEntry[]) : [];
        const origin = airedInOrder(a.list(), this.o.topRung)[0]?.captureStart;
        for (const lang of origin === undefined ? [] : transcriptLanguages(transcript)) {
          const key = `transcript-${lang}.vtt`;
          if (!a.has(key)) await a.addBytes({ kind: 'record', key }, Buffer.from(transcriptVtt(transcript, lang, origin as number)));
        }
      }
      // The captions as the public saw them, merged per language: what the portal searches.
      if (languages.length > 0 && !a.has(AIRED_CAPTIONS_FILE)) {
        const aired = await airedCaptions(a.list(), this.o.topRung, (key) => this.archived(hearingId, key));
        held.assertHeld();
        await a.addBytes({ kind: 'record', key: AIRED_CAPTIONS_FILE }, Buffer.from(`${JSON.stringify(aired, null, 1)}\n`));
      }
      if (!(await a.sync())) throw new Error('the archive chain is not all in the state store yet');
      // Only the holder of the lease may seal: a node that lost it leaves the seal to the next.
      held.assertHeld();
      const sealed = await a.writeManifest(true);
      // Into the public log before the archive counts as complete: a pass that cannot log it is
      // tried again, and a seal made again of the same chain is the statement already logged.
      await this.o.transparency?.append(sealStatement(sealed.seal));
      // And the audit trail's head as the sealed record holds it: its history is then fixed in public too.
      const trail = this.o.transparency ? auditHeadOf(hearingId, JSON.parse((await this.archived(hearingId, 'record.json')).toString()) as unknown) : null;
      if (trail) await this.o.transparency?.append(trail);
      else if (this.o.transparency) log.warn({ hearingId }, 'the sealed record holds no verified audit head: none is logged');
      const files = { ...(a.has('master.mp4') ? { masterMp4: 'master.mp4' } : {}), ...(a.has('aired.mp4') ? { airedMp4: 'aired.mp4' } : {}), airedPlaylist: 'aired/index.m3u8' };
      await archiveRecords(this.o.state).put(hearingId, base('complete', { finalizedAt: new Date(this.now()).toISOString(), files }));
      await unfinishedRecords(this.o.state).delete(hearingId).catch(() => undefined);
      // Finished: nothing more is entered, and no later pass may replace the final manifest.
      this.h.forget(hearingId);
      log.info({ hearingId, entries: a.list().length }, 'hearing archived');
    } catch (err) {
      if (err instanceof LeaseLost) return void log.warn({ hearingId }, 'lost the lease on finalizing the archive; stopped, and left it to whoever holds it now');
      log.error({ hearingId, err }, 'could not finalize the archive; it is tried again later');
      await archiveRecords(this.o.state).put(hearingId, base('finalizing', { error: err instanceof Error ? err.message : String(err) })).catch(() => undefined);
    }
  }

  /**
   * Declares the segments of an archive that no node can supply lost, so that finalizing can
   * finish without them: a node died with them in its spool and will not come back. Only for an
   * archive that is finalizing; refused while the store cannot say what it holds. The
   * declaration goes on the chain (the seal keeps saying the parts were recorded), `onDeclared`
   * puts it on the trail, and finalizing is tried again. Answers the keys declared.
   */
  declareLost(hearingId: string, reason: string, by: LostDeclaration['declaredBy'], onDeclared: (keys: readonly string[]) => Promise<void> = async () => {}): Promise<string[]> {
    return this.declaring.run(hearingId, () => this.declareLostNow(hearingId, reason, by, onDeclared));
  }

  private async declareLostNow(hearingId: string, reason: string, by: LostDeclaration['declaredBy'], onDeclared: (keys: readonly string[]) => Promise<void>): Promise<string[]> {
    const rec = await archiveRecords(this.o.state).get(hearingId);
    if (!rec) throw new CourtcastError('NOT_FOUND', 'this hearing has no archive');
    if (rec.status !== 'finalizing') throw new CourtcastError('INVALID_TRANSITION', `the archive is ${rec.status}: parts can be declared lost only while finalizing waits for them`);
    const a = await this.h.archive(hearingId);
    if (!(await a.sync())) throw new CourtcastError('STORE_UNAVAILABLE', 'the archive chain cannot be read whole now');
    // One listing of the hearing's folder rather than a request per object (a long hearing has tens of thousands).
    const folder = archivePrefix(hearingId);
    const stored = await this.o.store.list(`${folder}/`).then(
      (objects) => new Set(objects.map((o) => o.key)),
      (err: unknown) => Promise.reject(new CourtcastError('STORE_UNAVAILABLE', 'the archive store does not answer, so what it lacks is unknown', undefined, { cause: err })),
    );
    const present = async (key: string): Promise<boolean> => stored.has(`${folder}/${key}`) || access(this.h.spool.pathOf(`${folder}/${key}`)).then(() => true, () => false);
    const keys = await missingParts(a.list(), present);
    if (keys.length === 0) throw new CourtcastError('INVALID_TRANSITION', 'no part of this archive is missing; finalizing is tried again on its own');
    const declaration: LostDeclaration = { format: 'courtcast-lost-parts/1', hearingId, keys, reason, declaredBy: by, declaredAt: new Date(this.now()).toISOString() };
    await a.addBytes({ kind: 'lost', key: `lost/${this.now()}.json`, lostKeys: keys }, Buffer.from(`${JSON.stringify(declaration, null, 1)}\n`));
    await a.sync();
    this.o.logger.warn({ hearingId, keys: keys.length, by: by.username }, 'archive parts declared lost');
    await onDeclared(keys);
    // A finalizing pass already running read the chain before the declaration: go again after it.
    void (this.finalizing.get(hearingId) ?? Promise.resolve()).then(() => this.run(hearingId));
    return keys;
  }

  /** An archived object's bytes: the spool's, else the store's. */
  private async archived(hearingId: string, key: string): Promise<Buffer> {
    const spooled = await readFile(this.h.spool.pathOf(`${archivePrefix(hearingId)}/${key}`)).catch(() => null);
    const body = spooled ?? (await this.o.store.get(`${archivePrefix(hearingId)}/${key}`));
    if (!body) throw new Error(`${key} is neither in the spool nor in the archive store`);
    return body;
  }

  /** A local copy of an archived object, for FFmpeg. */
  private async localCopy(hearingId: string, key: string, work: string): Promise<string> {
    const dest = path.join(work, key.replace(/\//g, '_'));
    await writeFile(dest, await this.archived(hearingId, key));
    return dest;
  }

  /** Joins archived segments into one MP4 without re-encoding. */
  /** Listens to the sound the archive aired (recorder/aired-sound.ts); null without a program to hold it to. */
  private async listen(hearingId: string, entries: readonly ManifestEntry[], work: string): Promise<AiredSoundReport | null> {
    const record = (await this.o.recordOf(hearingId)) as { program?: BroadcastProgram | null };
    if (!record.program) return null;
    return listenToAired(entries, record.program, {
      rungs: this.o.rungs,
      topRung: this.o.topRung,
      copy: (key) => this.localCopy(hearingId, key, work),
      ffmpegPath: this.o.ffmpegPath,
      logger: this.o.logger,
      hearingId,
    });
  }

  private async remux(hearingId: string, entries: readonly ManifestEntry[], work: string, name: string): Promise<string> {
    const files: string[] = [];
    for (const e of entries) {
      // The master is read from where the pipeline recorded it when it is still there.
      const local = e.kind === 'master' ? path.join(this.o.masterDir(hearingId), e.key.slice('master/'.length)) : null;
      files.push(local && (await access(local).then(() => true, () => false)) ? local : await this.localCopy(hearingId, e.key, work));
    }
    const listFile = path.join(work, `${name}.txt`);
    // Each file's listed duration places the next one, so timestamps run on without overlap
    // where a segment's last frame ends later than its packets say (a slate joined to a picture).
    const line = (f: string, e: ManifestEntry): string => `file '${f.replace(/'/g, "'\\''")}'\n${e.durationSec ? `duration ${e.durationSec}\n` : ''}`;
    await writeFile(listFile, files.map((f, i) => line(f, entries[i] as ManifestEntry)).join(''));
    const output = path.join(work, `${name}.mp4`);
    // The capture clock's dates go into the file: the MP4 says when its first and last frames
    // were captured, whatever its own timeline (which starts at zero) says.
    const first = entries.find((e) => e.captureStart !== undefined)?.captureStart;
    const last = entries.findLast((e) => e.captureEnd !== undefined)?.captureEnd;
    const metadata: Record<string, string> = first !== undefined && last !== undefined ? { creation_time: new Date(first).toISOString(), courtcast_capture_start: new Date(first).toISOString(), courtcast_capture_end: new Date(last).toISOString() } : {};
    await runFfmpeg(remuxSpec({ listFile, output, metadata }), { ffmpegPath: this.o.ffmpegPath, logger: this.o.logger, tags: { hearingId, role: `remux-${name}` }, niceness: 10 }, 15 * 60_000);
    return output;
  }
}
