import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ReleaseRecord } from '../server/delay/delay-line.ts';
import { Turns } from '../server/domain/turns.ts';
import { readMasterManifest, SOURCES_DIR, sourceMasterDir } from '../server/pipeline/master-manifest.ts';
import { readReceived } from '../server/pipeline/received-media.ts';
import { archiveRecord, archiveRecords, unfinishedRecords } from './archive-record.ts';
import { Finalizer } from './finalizer.ts';
import { HearingArchive } from './hearing-archive.ts';
import type { ManifestEntry } from './manifest.ts';
import type { LostDeclaration } from './lost-parts.ts';
import { Spool } from './spool.ts';
import { Uploader, type ArchiveBacklog } from './uploader.ts';
import type { RecordedHearing, RecorderOptions } from './recorder-options.ts';
import { subtitlesRung } from './vod-playlist.ts';

export type { ArchiveRecord } from './archive-record.ts';

export type { RecordedHearing, RecorderOptions } from './recorder-options.ts';

const MANIFEST_EVERY_MS = 10_000;

/** Keys of the master segments whose capture interval overlaps [start, end). */
function masterOver(entries: Iterable<ManifestEntry>, start: number, end: number): string[] {
  const keys: string[] = [];
  for (const e of entries) if (e.kind === 'master' && e.captureStart !== undefined && e.captureEnd !== undefined && e.captureStart < end && e.captureEnd > start) keys.push(e.key);
  return keys;
}

/**
 * The recorder: makes every hearing durable in the archive store. It enters the sealed master,
 * the as-aired rendition (read back from the public store) and, at the end, the record, two MP4s
 * and a replay playlist into each hearing's hash chain, signs manifests, and uploads everything
 * from a local spool that survives outages and restarts.
 */
export class Recorder {
  private readonly spool: Spool;
  readonly uploader: Uploader;
  private readonly archives = new Map<string, Promise<HearingArchive>>();
  private readonly finalizer: Finalizer;
  /** Per hearing, passes over the sealer's manifest, one at a time; a failed pass is retried by the next. */
  private readonly mastering = new Turns();
  /**
   * Per hearing, the aired slots being copied, in order: finalizing waits for them. A piece that
   * fails ends only itself (it is logged, and the slot is caught up by the next follow or left
   * out of the record's aired list), never the slots after it or a later finalize.
   */
  private readonly airing = new Turns();
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly nodeId: string;

  constructor(private readonly o: RecorderOptions) {
    this.now = o.now ?? Date.now;
    this.nodeId = o.nodeId ?? 'local';
    this.spool = new Spool(path.join(o.dir, 'spool'));
    this.uploader = new Uploader({ store: o.store, spool: this.spool, logger: o.logger, ...o.retry, now: this.now });
    this.finalizer = new Finalizer({
      o,
      nodeId: this.nodeId,
      spool: this.spool,
      archive: (id) => this.archive(id),
      caughtUp: async (id) => {
        await this.enterMaster(id);
        await this.airing.idle(id);
      },
      forget: (id) => void this.archives.delete(id),
    });
  }

  /** Resumes uploads left in the spool and finishes archives a crash interrupted. */
  async start(): Promise<void> {
    const left = await this.uploader.start();
    if (left > 0) this.o.logger.warn({ left }, 'resuming archive uploads left by the previous run');
    this.timer = setInterval(() => void this.refreshManifests(), MANIFEST_EVERY_MS);
    await this.finishInterrupted(true);
    this.retryTimer = setInterval(() => void this.finishInterrupted(false).catch(() => undefined), this.o.finalizeRetryMs ?? 30_000);
    this.retryTimer.unref();
  }

  /**
   * Finalizes the archives left unfinished: at start also those of hearings that ended while no
   * recorder followed them (a crash), later only those whose finalizing failed. A hearing still
   * running or draining on another node is that node's to finalize.
   */
  private async finishInterrupted(starting: boolean): Promise<void> {
    if (!starting) {
      // Only the short list of archives being finalized: every record, of every hearing ever
      // archived, is read once, at start.
      for (const [id] of await unfinishedRecords(this.o.state).entries()) if (!this.finalizer.busy(id)) void this.finalize(id);
      return;
    }
    for (const [id, rec] of await archiveRecords(this.o.state).entries()) {
      if (this.finalizer.busy(id)) continue;
      if (rec.status === 'finalizing' || (rec.status === 'recording' && (await this.o.hasEnded(id)))) void this.finalize(id);
    }
  }

  backlog(): ArchiveBacklog {
    return this.uploader.backlog();
  }

  archive(hearingId: string): Promise<HearingArchive> {
    let a = this.archives.get(hearingId);
    if (!a) {
      a = HearingArchive.open({
        hearingId,
        journalFile: path.join(this.o.dir, 'journal', `${hearingId}.jsonl`),
        state: this.o.state,
        logger: this.o.logger,
        ...(this.o.storeWaitMs !== undefined ? { storeWaitMs: this.o.storeWaitMs } : {}),
        spool: this.spool,
        enqueue: (item) => this.uploader.add(item),
        key: this.o.key,
        now: this.now,
      });
      this.archives.set(hearingId, a);
      a.catch(() => this.archives.delete(hearingId));
    }
    return a;
  }

  /** Follows a live hearing from now on (also after a restart: what was entered stays entered). */
  async follow(session: RecordedHearing): Promise<void> {
    const id = session.hearing.id;
    session.on('master', () => void this.enterMaster(id));
    session.on('sourceMaster', () => void this.enterMaster(id));
    const aired = (work: () => Promise<void>) =>
      void this.airing.run(id, work).catch((err: unknown) => this.o.logger.error({ hearingId: id, err }, 'could not archive an aired slot; later slots go on'));
    session.on('released', (r) => aired(() => this.enterAired(id, r)));
    aired(() => this.catchUpAired(id));
    session.on('finished', () => void session.close().then(() => this.finalize(id)));
    await archiveRecords(this.o.state).putIfAbsent(id, archiveRecord(id, 'recording', [], { topRung: this.o.topRung, now: this.now() })).catch((err: unknown) => {
      // The catalogue catches up at finalizing; the recording itself never waits on the state store.
      this.o.logger.error({ hearingId: id, err }, 'could not enter the hearing in the archive catalogue');
    });
    await this.enterMaster(id);
  }


  /**
   * Enters every master segment the pipeline's sealer has listed and the archive has not: the
   * sealer's manifest is the one source, so an event missed in a crash is caught up on the next pass.
   */
  enterMaster(hearingId: string): Promise<void> {
    return this.mastering.run(hearingId, () => this.masterPass(hearingId)).catch((err: unknown) => this.o.logger.error({ hearingId, err }, 'could not archive master segments; the next pass retries'));
  }

  private async masterPass(hearingId: string): Promise<void> {
    const dir = this.o.masterDir(hearingId);
    const a = await this.archive(hearingId);
    for (const m of await readMasterManifest(dir)) {
      const key = `master/${m.file.split(path.sep).join('/')}`;
      if (a.has(key)) continue;
      await a.addFile(
        {
          kind: 'master',
          key,
          ...(m.run !== undefined ? { run: m.run } : {}),
          ...(m.index !== undefined ? { index: m.index } : {}),
          ...(m.durationSec !== undefined ? { durationSec: m.durationSec } : {}),
          ...(m.captureStart !== undefined && m.captureEnd !== undefined ? { captureStart: m.captureStart, captureEnd: m.captureEnd, dated: m.dated ?? 'observed' } : {}),
        },
        path.join(dir, m.file),
      );
    }
    // Each further camera's master, from its own manifest, as entries of their own kind.
    const sources = await readdir(path.join(dir, SOURCES_DIR)).catch(() => [] as string[]);
    for (const source of sources.sort()) {
      const sdir = sourceMasterDir(dir, source);
      for (const m of await readMasterManifest(sdir)) {
        const key = `${SOURCES_DIR}/${source}/${m.file.split(path.sep).join('/')}`;
        if (a.has(key)) continue;
        await a.addFile(
          {
            kind: 'source',
            key,
            source,
            run: m.run,
            index: m.index,
            ...(m.durationSec !== undefined ? { durationSec: m.durationSec } : {}),
            ...(m.captureStart !== undefined && m.captureEnd !== undefined ? { captureStart: m.captureStart, captureEnd: m.captureEnd, dated: m.dated ?? 'observed' } : {}),
          },
          path.join(sdir, m.file),
        );
      }
    }
    for (const r of await readReceived(dir)) {
      if (a.has(r.file)) continue;
      await a.addFile({ kind: 'received', key: r.file, ...(r.captureStart !== undefined && r.captureEnd !== undefined ? { captureStart: r.captureStart, captureEnd: r.captureEnd } : {}) }, path.join(dir, ...r.file.split('/')));
    }
  }

  /** Copies what the public was served for one slot, every rung, from the public store. */
  private async enterAired(hearingId: string, r: ReleaseRecord): Promise<void> {
    try {
      const a = await this.archive(hearingId);
      // The master is sealed within a segment of capture and a slot airs D later, so the master
      // segments its picture came from are entered by now.
      const masterKeys = r.outcome === 'aired' ? masterOver(a.entries(), r.captureStart, r.captureEnd) : [];
      for (const rung of this.o.rungs) {
        const key = `aired/${rung}/${r.seq}.ts`;
        if (a.has(key)) continue;
        const bytes = await this.o.publicStore.get(this.o.publicKeyOf(hearingId, rung, r.seq));
        if (!bytes) {
          this.o.logger.error({ hearingId, seq: r.seq, rung }, 'an aired segment was gone from the public store before it was archived');
          continue;
        }
        await a.addBytes(
          {
            kind: 'aired',
            key,
            seq: r.seq,
            rung,
            captureStart: r.captureStart,
            captureEnd: r.captureEnd,
            ...(r.mediaStart !== undefined ? { mediaStart: r.mediaStart } : {}),
            durationSec: r.durationSec,
            outcome: r.outcome,
            reason: r.reason,
            ...(r.run !== undefined ? { run: r.run } : {}),
            ...(masterKeys.length ? { masterKeys } : {}),
            ...(r.masks?.length ? { masks: r.masks } : {}),
            ...(r.spliced ? { spliced: true } : {}),
            ...(r.cuts?.length ? { cuts: r.cuts } : {}),
          },
          bytes,
        );
      }
      await this.enterAiredCaptions(hearingId, r);
    } catch (err) {
      this.o.logger.error({ hearingId, seq: r.seq, err }, 'could not archive an aired segment');
    }
  }

  /**
   * Copies the captions the public was served for one slot, in each language the hearing published
   * (a court without captions has none in the public store: nothing is entered).
   */
  private async enterAiredCaptions(hearingId: string, r: ReleaseRecord): Promise<void> {
    const keyOf = this.o.publicTextKeyOf;
    if (!keyOf) return;
    const a = await this.archive(hearingId);
    for (const lang of this.o.captionLanguages ?? []) {
      const key = `aired/${subtitlesRung(lang)}/${r.seq}.vtt`;
      if (a.has(key)) continue;
      const bytes = await this.o.publicStore.get(keyOf(hearingId, lang, r.seq));
      if (!bytes) continue;
      await a.addBytes({ kind: 'aired', key, seq: r.seq, rung: subtitlesRung(lang), captureStart: r.captureStart, captureEnd: r.captureEnd, durationSec: r.durationSec, outcome: r.outcome, reason: r.reason, ...(r.run !== undefined ? { run: r.run } : {}) }, bytes);
    }
  }

  /**
   * Enters the slots of the saved public timeline the archive lacks: a crash between a slot's
   * publication and its archiving leaves it in the public store (which keeps two windows), and the
   * timeline says what it was.
   */
  private async catchUpAired(hearingId: string): Promise<void> {
    const timeline = await this.o.savedTimeline(hearingId).catch(() => null);
    if (!timeline) return;
    const a = await this.archive(hearingId);
    for (const e of timeline.entries) {
      if (this.o.rungs.every((rung) => a.has(`aired/${rung}/${e.seq}.ts`))) continue;
      const outcome = e.source.kind === 'program' ? 'aired' : (e.source.slate as ReleaseRecord['outcome']);
      const end = e.programDateTime + e.durationSec * 1000;
      await this.enterAired(hearingId, {
        seq: e.seq,
        captureStart: e.programDateTime,
        captureEnd: end,
        outcome,
        reason: 'program',
        durationSec: e.durationSec,
        releasedAt: this.now(),
        ...(e.source.kind === 'program' ? { run: e.source.run } : {}),
      });
    }
  }

  /**
   * Stores waiting chain entries and spools a fresh interim manifest of every archive that grew.
   * Once a hearing's archive is finalizing (on any node) no interim manifest may replace the final one,
   * and only the node running the hearing writes them.
   */
  private async refreshManifests(): Promise<void> {
    for (const [id, pending] of this.archives) {
      if (this.finalizer.busy(id)) continue;
      const a = await pending.catch(() => null);
      if (!a) continue;
      await a.sync();
      const status = (await archiveRecords(this.o.state).get(id).catch(() => null))?.status ?? 'recording';
      if (status !== 'recording') {
        // Finalizing (here or on another node): this node's part is stored, nothing more to write.
        if (a.waiting === 0) this.archives.delete(id);
        continue;
      }
      if (!a.changed) continue;
      // Only the node running the hearing writes interim manifests: one that gave it up could
      // otherwise upload a stale one over the final manifest its successor wrote at the end.
      const holder = await this.o.state.leases.holder(id).catch(() => null);
      if (holder && holder.nodeId !== this.nodeId) continue;
      await a.writeManifest(false).catch((err: unknown) => this.o.logger.error({ hearingId: id, err }, 'could not write the archive manifest'));
    }
  }









  /** Finishes a hearing's archive (recorder/finalizer.ts). Idempotent. */
  finalize(hearingId: string): Promise<void> {
    return this.finalizer.run(hearingId);
  }

  /** Declares the parts of a finalizing archive that no node can supply lost (recorder/finalizer.ts). */
  declareLost(hearingId: string, reason: string, by: LostDeclaration['declaredBy'], onDeclared?: (keys: readonly string[]) => Promise<void>): Promise<string[]> {
    return this.finalizer.declareLost(hearingId, reason, by, onDeclared);
  }

  /** Stops the manifest timer and the uploader; the spool keeps whatever is not uploaded yet. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.timer = null;
    this.retryTimer = null;
    // Passes under way still write into the spool and the journals: closing waits for them, so
    // nothing is written into the recorder's folder once it says it is closed.
    await Promise.all([this.mastering.idleAll(), this.airing.idleAll()]);
    await this.finalizer.settled();
    await this.refreshManifests();
    await this.uploader.close();
  }
}
