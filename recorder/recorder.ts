import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReleaseRecord } from '../server/delay/delay-line.ts';
import { renderMasterPlaylist, type PublicTimeline, type VariantInfo } from '../server/delay/playlist.ts';
import { CourtcastError } from '../server/domain/errors.ts';
import { Turns } from '../server/domain/turns.ts';
import { LeaseLost, withLease, type HeldLease } from '../server/store/lease-holder.ts';
import type { BroadcastProgram } from '../server/domain/program.ts';
import type { Logger } from '../server/domain/logger.ts';
import { remuxSpec } from '../server/media/args.ts';
import { runFfmpeg } from '../server/media/run.ts';
import type { MasterSegment } from '../server/pipeline/master-sealer.ts';
import type { ObjectReader, ObjectStore } from '../server/store/object-store.ts';
import type { StateStore } from '../server/store/state-store.ts';
import { listenToAired, type AiredSoundReport } from './aired-sound.ts';
import { archivePrefix, HearingArchive } from './hearing-archive.ts';
import { declaredLost, isLost, type ManifestEntry } from './manifest.ts';
import { missingParts, type LostDeclaration } from './lost-parts.ts';
import type { SigningKey } from './signing-key.ts';
import { Spool } from './spool.ts';
import { Uploader, type ArchiveBacklog } from './uploader.ts';
import { airedInOrder, airedPlaylist, masterInOrder } from './vod-playlist.ts';
import { recordingLog, type LoggedEvent } from './recording-log.ts';

/** A hearing's place in the archive. */
export interface ArchiveRecord {
  readonly hearingId: string;
  readonly status: 'recording' | 'finalizing' | 'complete';
  readonly startedAt: string;
  readonly finalizedAt: string | null;
  readonly entries: number;
  readonly bytes: number;
  /** Keys (relative to the hearing's folder) of what finalizing produced. */
  readonly files: { readonly masterMp4?: string; readonly airedMp4?: string; readonly airedPlaylist?: string };
  readonly masterSegments: number;
  readonly airedSegments: number;
  /** Capture interval the master covers, ms since the epoch. */
  readonly masterFrom: number | null;
  readonly masterTo: number | null;
  /** Segments declared lost (recorded, but their objects never reached the archive). */
  readonly lostParts?: number;
  readonly error?: string;
}

/** An archive being finalized, listed so that the periodic retry need not read every record. */
interface Unfinished {
  readonly since: string;
}

/** What the recorder follows of a live hearing (service/live-hearing.ts has it). */
export interface RecordedHearing {
  readonly hearing: { readonly id: string };
  on(event: 'master', fn: (m: MasterSegment) => void): unknown;
  on(event: 'released', fn: (r: ReleaseRecord) => void): unknown;
  on(event: 'finished', fn: () => void): unknown;
  /** Resolves once the hearing's pipeline has stopped and its last master segments are sealed. */
  close(): Promise<void>;
}

export interface RecorderOptions {
  readonly store: ObjectStore;
  readonly state: StateStore;
  /** Root of the recorder's local files: spool/, journal/ and work/. */
  readonly dir: string;
  readonly key: SigningKey;
  /** The public store, read back for the as-aired recording: exactly what viewers were served. */
  readonly publicStore: ObjectReader;
  readonly publicKeyOf: (hearingId: string, rung: string, seq: number) => string;
  readonly rungs: readonly string[];
  /** The rung the as-aired MP4 is made of (the top video rung). */
  readonly topRung: string;
  readonly variants: readonly VariantInfo[];
  readonly segmentSeconds: number;
  /** Where the pipeline writes a hearing's master (with its sealer's manifest.jsonl). */
  readonly masterDir: (hearingId: string) => string;
  /** The hearing's record at its end: program, masks, audit trail. */
  readonly recordOf: (hearingId: string) => Promise<unknown>;
  /** The public timeline as last saved: after a crash, slots published but not yet archived are found there. */
  readonly savedTimeline: (hearingId: string) => Promise<PublicTimeline | null>;
  /** Whether a hearing has ended (a restart finishes archives the crash interrupted). */
  readonly hasEnded: (hearingId: string) => Promise<boolean>;
  readonly ffmpegPath: string;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly retry?: { readonly minBackoffMs?: number; readonly maxBackoffMs?: number };
  /** This node's name: finalizing a hearing's archive is claimed with a lease, one node at a time. */
  readonly nodeId?: string;
  /** How often archives whose finalizing failed (another node's part not uploaded yet, a store down) are tried again. */
  readonly finalizeRetryMs?: number;
  /** How long the finalizing lease lasts unless renewed (tests shorten it). */
  readonly finalizeLeaseMs?: number;
  /** How long one state-store call of the archive chain may take before it is retried later. */
  readonly storeWaitMs?: number;
}

const MANIFEST_EVERY_MS = 10_000;
/** Long enough for a remux; renewed while finalizing, so a node that dies lets another finish. */
const FINALIZE_LEASE_MS = 60_000;
const finalizeLease = (hearingId: string): string => `archive:${hearingId}`;

/** How many entries of a chain were declared lost. */
function lostIn(entries: readonly ManifestEntry[]): number {
  const declared = declaredLost(entries);
  return declared.size === 0 ? 0 : entries.filter((e) => isLost(declared, e)).length;
}

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
  private readonly finalizing = new Map<string, Promise<void>>();
  /** Declarations of lost parts, one at a time per hearing: a second sees what the first declared. */
  private readonly declaring = new Turns();
  private readonly masterPasses = new Map<string, Promise<void>>();
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
      for (const [id] of await this.o.state.entries<Unfinished>('unfinished-archives')) if (!this.finalizing.has(id)) void this.finalize(id);
      return;
    }
    for (const [id, rec] of await this.o.state.entries<ArchiveRecord>('archives')) {
      if (this.finalizing.has(id)) continue;
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
    const aired = (work: () => Promise<void>) =>
      void this.airing.run(id, work).catch((err: unknown) => this.o.logger.error({ hearingId: id, err }, 'could not archive an aired slot; later slots go on'));
    session.on('released', (r) => aired(() => this.enterAired(id, r)));
    aired(() => this.catchUpAired(id));
    session.on('finished', () => void session.close().then(() => this.finalize(id)));
    await this.o.state.putIfAbsent<ArchiveRecord>('archives', id, this.record(id, 'recording', [])).catch((err: unknown) => {
      // The catalogue catches up at finalizing; the recording itself never waits on the state store.
      this.o.logger.error({ hearingId: id, err }, 'could not enter the hearing in the archive catalogue');
    });
    await this.enterMaster(id);
  }

  private record(hearingId: string, status: ArchiveRecord['status'], entries: readonly ManifestEntry[], extra: Partial<ArchiveRecord> = {}): ArchiveRecord {
    const master = masterInOrder(entries);
    return {
      hearingId,
      status,
      startedAt: new Date(this.now()).toISOString(),
      finalizedAt: null,
      entries: entries.length,
      bytes: entries.reduce((n, e) => n + e.size, 0),
      files: {},
      masterSegments: master.length,
      airedSegments: airedInOrder(entries, this.o.topRung).length,
      lostParts: lostIn(entries),
      masterFrom: master.length ? Math.min(...master.map((e) => e.captureStart ?? Infinity)) : null,
      masterTo: master.length ? Math.max(...master.map((e) => e.captureEnd ?? -Infinity)) : null,
      ...extra,
    };
  }

  /**
   * Enters every master segment the pipeline's sealer has listed and the archive has not: the
   * sealer's manifest is the one source, so an event missed in a crash is caught up on the next pass.
   */
  enterMaster(hearingId: string): Promise<void> {
    const running = this.masterPasses.get(hearingId);
    const next = (running ?? Promise.resolve()).then(() => this.masterPass(hearingId));
    const settled = next.catch((err: unknown) => this.o.logger.error({ hearingId, err }, 'could not archive master segments; the next pass retries'));
    this.masterPasses.set(hearingId, settled);
    return settled;
  }

  private async masterPass(hearingId: string): Promise<void> {
    const dir = this.o.masterDir(hearingId);
    const text = await readFile(path.join(dir, 'manifest.jsonl'), 'utf8').catch(() => '');
    const a = await this.archive(hearingId);
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let m: Partial<MasterSegment> & { file?: string };
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        continue; // a line torn by a crash; the recovery pass re-seals its segment
      }
      if (typeof m.file !== 'string') continue;
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
            durationSec: r.durationSec,
            outcome: r.outcome,
            reason: r.reason,
            ...(r.run !== undefined ? { run: r.run } : {}),
            ...(masterKeys.length ? { masterKeys } : {}),
            ...(r.masks?.length ? { masks: r.masks } : {}),
            ...(r.spliced ? { spliced: true } : {}),
          },
          bytes,
        );
      }
    } catch (err) {
      this.o.logger.error({ hearingId, seq: r.seq, err }, 'could not archive an aired segment');
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
      if (this.finalizing.has(id)) continue;
      const a = await pending.catch(() => null);
      if (!a) continue;
      await a.sync();
      const status = (await this.o.state.get<ArchiveRecord>('archives', id).catch(() => null))?.status ?? 'recording';
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

  /** Finishes a hearing's archive: record, replay playlists, MP4s and the final signed manifest. Idempotent. */
  finalize(hearingId: string): Promise<void> {
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
    if (running && running.nodeId !== this.nodeId) return;
    await withLease(leases, finalizeLease(hearingId), this.nodeId, this.o.finalizeLeaseMs ?? FINALIZE_LEASE_MS, work);
  }

  private async finalizeOnce(hearingId: string, held: HeldLease): Promise<void> {
    const log = this.o.logger;
    const known = await this.o.state.get<ArchiveRecord>('archives', hearingId);
    // Another node finished it while this one waited for the lease.
    if (known?.status === 'complete') return void (await this.o.state.delete('unfinished-archives', hearingId));
    const a = await this.archive(hearingId);
    const started = known?.startedAt;
    const base = (status: ArchiveRecord['status'], extra: Partial<ArchiveRecord> = {}) => this.record(hearingId, status, a.list(), { ...(started ? { startedAt: started } : {}), ...extra });
    // Listed before the record says finalizing, so a crash between the two cannot leave an
    // archive that says finalizing but that nobody retries.
    await this.o.state.put<Unfinished>('unfinished-archives', hearingId, { since: new Date(this.now()).toISOString() });
    await this.o.state.put('archives', hearingId, base('finalizing'));
    try {
      await this.enterMaster(hearingId);
      await this.airing.idle(hearingId);
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
      if (!a.has('aired/index.m3u8')) await a.addBytes({ kind: 'playlist', key: 'aired/index.m3u8' }, Buffer.from(renderMasterPlaylist(this.o.variants)));
      if (!a.has('record.json')) {
        const record = (await this.o.recordOf(hearingId)) as { audit?: LoggedEvent[] } & Record<string, unknown>;
        // The recording log: what the master holds, each hole in it and its cause.
        const recording = recordingLog(a.list(), Array.isArray(record.audit) ? record.audit : []);
        // And what of the sound it aired lay outside the program, heard from the as-aired files.
        const soundOutsideProgram = sound ?? undefined;
        await a.addBytes({ kind: 'record', key: 'record.json' }, Buffer.from(`${JSON.stringify({ ...record, recording, soundOutsideProgram }, null, 1)}\n`));
      }
      if (!(await a.sync())) throw new Error('the archive chain is not all in the state store yet');
      // Only the holder of the lease may seal: a node that lost it leaves the seal to the next.
      held.assertHeld();
      await a.writeManifest(true);
      const files = { ...(a.has('master.mp4') ? { masterMp4: 'master.mp4' } : {}), ...(a.has('aired.mp4') ? { airedMp4: 'aired.mp4' } : {}), airedPlaylist: 'aired/index.m3u8' };
      await this.o.state.put('archives', hearingId, base('complete', { finalizedAt: new Date(this.now()).toISOString(), files }));
      await this.o.state.delete('unfinished-archives', hearingId).catch(() => undefined);
      // Finished: nothing more is entered, and no later pass may replace the final manifest.
      this.archives.delete(hearingId);
      log.info({ hearingId, entries: a.list().length }, 'hearing archived');
    } catch (err) {
      if (err instanceof LeaseLost) return void log.warn({ hearingId }, 'lost the lease on finalizing the archive; stopped, and left it to whoever holds it now');
      log.error({ hearingId, err }, 'could not finalize the archive; it is tried again later');
      await this.o.state.put('archives', hearingId, base('finalizing', { error: err instanceof Error ? err.message : String(err) })).catch(() => undefined);
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
    const rec = await this.o.state.get<ArchiveRecord>('archives', hearingId);
    if (!rec) throw new CourtcastError('NOT_FOUND', 'this hearing has no archive');
    if (rec.status !== 'finalizing') throw new CourtcastError('INVALID_TRANSITION', `the archive is ${rec.status}: parts can be declared lost only while finalizing waits for them`);
    const a = await this.archive(hearingId);
    if (!(await a.sync())) throw new CourtcastError('STORE_UNAVAILABLE', 'the archive chain cannot be read whole now');
    // One listing of the hearing's folder rather than a request per object (a long hearing has tens of thousands).
    const folder = archivePrefix(hearingId);
    const stored = await this.o.store.list(`${folder}/`).then(
      (objects) => new Set(objects.map((o) => o.key)),
      (err: unknown) => Promise.reject(new CourtcastError('STORE_UNAVAILABLE', 'the archive store does not answer, so what it lacks is unknown', undefined, { cause: err })),
    );
    const present = async (key: string): Promise<boolean> => stored.has(`${folder}/${key}`) || access(this.spool.pathOf(`${folder}/${key}`)).then(() => true, () => false);
    const keys = await missingParts(a.list(), present);
    if (keys.length === 0) throw new CourtcastError('INVALID_TRANSITION', 'no part of this archive is missing; finalizing is tried again on its own');
    const declaration: LostDeclaration = { format: 'courtcast-lost-parts/1', hearingId, keys, reason, declaredBy: by, declaredAt: new Date(this.now()).toISOString() };
    await a.addBytes({ kind: 'lost', key: `lost/${this.now()}.json`, lostKeys: keys }, Buffer.from(`${JSON.stringify(declaration, null, 1)}\n`));
    await a.sync();
    this.o.logger.warn({ hearingId, keys: keys.length, by: by.username }, 'archive parts declared lost');
    await onDeclared(keys);
    // A finalizing pass already running read the chain before the declaration: go again after it.
    void (this.finalizing.get(hearingId) ?? Promise.resolve()).then(() => this.finalize(hearingId));
    return keys;
  }

  /** A local copy of an archived object: the spool's, else the store's. */
  private async localCopy(hearingId: string, key: string, work: string): Promise<string> {
    const spooled = this.spool.pathOf(`${archivePrefix(hearingId)}/${key}`);
    const body = await readFile(spooled).catch(() => null);
    const dest = path.join(work, key.replace(/\//g, '_'));
    if (body) await writeFile(dest, body);
    else {
      const stored = await this.o.store.get(`${archivePrefix(hearingId)}/${key}`);
      if (!stored) throw new Error(`${key} is neither in the spool nor in the archive store`);
      await writeFile(dest, stored);
    }
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

  /** Stops the manifest timer and the uploader; the spool keeps whatever is not uploaded yet. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.timer = null;
    this.retryTimer = null;
    await Promise.allSettled([...this.finalizing.values()]);
    await this.refreshManifests();
    await this.uploader.close();
  }
}
