import { isOpenObject } from '../server/domain/recording-keys.ts';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import HLS from 'hls-parser';
import type { Hearing } from '../server/domain/courts.ts';
import { CourtcastError } from '../server/domain/errors.ts';
import type { ByteRange, ObjectInfo, ObjectStore } from '../server/store/object-store.ts';
import { z } from 'zod';
import { Records } from '../server/store/records.ts';
import type { StateStore } from '../server/store/state-store.ts';
import { archivePrefix } from './hearing-archive.ts';
import type { Manifest, ManifestEntry, ManifestSeal } from './manifest.ts';
import { archiveRecords, type ArchiveRecord } from './archive-record.ts';
import type { SigningKey } from './signing-key.ts';
import { SOURCES_DIR } from '../server/pipeline/master-manifest.ts';
import { masterInOrder } from './vod-playlist.ts';
import { recordingLog, sourceRecordingLogs, type LoggedEvent, type RecordingLog } from './recording-log.ts';
import { judgedByLog, parseManifest, verifyStoredHearing, type LoggedVerdict } from './verify.ts';
import type { TransparencyLog } from '../server/audit/transparency-log.ts';
import { sealInLog } from '../server/domain/tree-head.ts';

/** A court's order to unseal part of a hearing's master, entered by a supervisor or an admin. */
export interface UnsealingOrder {
  readonly id: string;
  readonly hearingId: string;
  /** The order's reference, as the court filed it. */
  readonly reference: string;
  readonly judge: string;
  readonly reason: string;
  /**
   * The further camera whose recording it unseals (a source's name); absent, the courtroom's own
   * master. An order unseals only what it names: the bench camera's order opens no other camera.
   */
  readonly source?: string;
  /** The capture interval it unseals, ms since the epoch. */
  readonly from: number;
  readonly to: number;
  readonly expiresAt: number;
  readonly enteredBy: { readonly userId: string; readonly username: string };
  readonly enteredAt: number;
}

const orderCodec: z.ZodType<UnsealingOrder> = z.looseObject({
  id: z.string(),
  hearingId: z.string(),
  reference: z.string(),
  judge: z.string(),
  reason: z.string(),
  source: z.string().optional(),
  from: z.number(),
  to: z.number(),
  expiresAt: z.number(),
  enteredBy: z.looseObject({ userId: z.string(), username: z.string() }),
  enteredAt: z.number(),
});

const orderRecords = (state: StateStore): Records<UnsealingOrder> => new Records(state, 'unsealing-orders', orderCodec);

export type NewOrder = Pick<UnsealingOrder, 'reference' | 'judge' | 'reason' | 'source' | 'from' | 'to' | 'expiresAt'>;

/** What an archivist searches by. */
export interface ArchiveQuery {
  readonly caseNumber?: string;
  readonly courtId?: string;
  readonly courtroomId?: string;
  readonly caseType?: string;
  /** Scheduled start within [from, to], ms since the epoch. */
  readonly from?: number;
  readonly to?: number;
  readonly status?: ArchiveRecord['status'];
}

export interface CatalogueOptions {
  readonly store: ObjectStore & { presign?(key: string, seconds: number, name?: string): Promise<string> };
  readonly state: StateStore;
  readonly hearings: { listHearings(): Promise<Hearing[]>; hearing(id: string): Promise<Hearing> };
  readonly key: SigningKey;
  readonly presignSeconds: number;
  /** The court's transparency log: a final seal's verdict says whether the log holds it. */
  readonly transparency?: Pick<TransparencyLog, 'find' | 'inclusion'>;
  readonly now?: () => number;
}

/** A master segment's key: the courtroom's (`master/m0001/000003.ts`) or a camera's (`sources/bench/m0001/000003.ts`). */
const MASTER_SEGMENT = /^(?:master|sources\/[a-z][a-z0-9-]{0,31})\/[a-z]\d{4,9}\/\d{6}\.ts$/;

/**
 * The archivist's view of the archive: search, a hearing's record, its verification, the as-aired
 * recording, and the sealed master behind unsealing orders (each access is the caller's to audit).
 */
export class ArchiveCatalogue {
  private readonly now: () => number;

  constructor(private readonly o: CatalogueOptions) {
    this.now = o.now ?? Date.now;
  }

  get publicKeyPem(): string {
    return this.o.key.publicPem;
  }

  async search(q: ArchiveQuery): Promise<(Hearing & { archive: ArchiveRecord | null })[]> {
    const records = new Map(await archiveRecords(this.o.state).entries());
    const needle = q.caseNumber?.trim().toLowerCase();
    return (await this.o.hearings.listHearings())
      .filter((h) => records.has(h.id))
      .filter((h) => !needle || h.caseNumber.toLowerCase().includes(needle))
      .filter((h) => !q.courtId || h.courtId === q.courtId)
      .filter((h) => !q.courtroomId || h.courtroomId === q.courtroomId)
      .filter((h) => !q.caseType || h.caseType === q.caseType)
      .filter((h) => q.from === undefined || Date.parse(h.scheduledStart) >= q.from)
      .filter((h) => q.to === undefined || Date.parse(h.scheduledStart) <= q.to)
      .map((h) => ({ ...h, archive: records.get(h.id) ?? null }))
      .filter((h) => !q.status || h.archive?.status === q.status)
      .sort((a, b) => Date.parse(b.scheduledStart) - Date.parse(a.scheduledStart));
  }

  private async manifest(hearingId: string): Promise<Manifest | null> {
    const text = await this.o.store.get(`${archivePrefix(hearingId)}/manifest.json`);
    return text ? parseManifest(text.toString()) : null;
  }

  /** A hearing's record page: what it is, where its archive stands, its timeline and trail. */
  async record(hearingId: string): Promise<{ hearing: Hearing; archive: ArchiveRecord; seal: ManifestSeal | null; record: unknown; master: { segments: number; from: number | null; to: number | null } }> {
    const hearing = await this.o.hearings.hearing(hearingId);
    const archive = await archiveRecords(this.o.state).get(hearingId);
    if (!archive) throw new CourtcastError('NOT_FOUND', 'this hearing has no archive');
    const [manifest, recordText] = await Promise.all([this.manifest(hearingId), this.o.store.get(`${archivePrefix(hearingId)}/record.json`)]);
    const master = masterInOrder(manifest?.entries ?? []);
    return {
      hearing,
      archive,
      seal: manifest?.seal ?? null,
      record: recordText ? (JSON.parse(recordText.toString()) as unknown) : null,
      master: { segments: master.length, from: master[0]?.captureStart ?? null, to: master.at(-1)?.captureEnd ?? null },
    };
  }

  /** The recording log as it stands: holes in the master and their causes, from the live audit trail. */
  async recording(hearingId: string, events: readonly LoggedEvent[]): Promise<RecordingLog> {
    return recordingLog((await this.manifest(hearingId))?.entries ?? [], events);
  }

  /** Each further camera's recording log as it stands, by name. */
  async sourceRecordings(hearingId: string, events: readonly LoggedEvent[]): Promise<Record<string, RecordingLog>> {
    return sourceRecordingLogs((await this.manifest(hearingId))?.entries ?? [], events);
  }

  /**
   * Verifies a hearing's archive. One the state store says is complete must carry a final seal
   * (an earlier interim seal in its place is a finding); one still recording or finalizing is
   * checked as in progress, its verdict saying the seal is not final.
   */
  async verify(hearingId: string): Promise<LoggedVerdict> {
    const status = (await archiveRecords(this.o.state).get(hearingId))?.status;
    const verdict = await verifyStoredHearing(this.o.store, archivePrefix(hearingId), this.o.key.publicKey, { inProgress: status !== undefined && status !== 'complete' });
    const log = this.o.transparency;
    if (!log || !verdict.seal || !verdict.final) return verdict;
    // Asked as anyone would ask the log, and judged by the same proofs: nothing taken on trust.
    const found = await log.find((s) => s.kind === 'seal' && s.hearingId === hearingId);
    return judgedByLog(verdict, sealInLog(verdict.seal, await Promise.all(found.map((i) => log.inclusion(i))), this.o.key.publicKey));
  }

  /** An open (never master) object of a hearing's archive, or a byte range of it. */
  async open(hearingId: string, key: string, range?: ByteRange): Promise<{ body: Readable; info: ObjectInfo } | null> {
    if (!isOpenObject(key)) throw new CourtcastError('NOT_FOUND', 'no such archived object');
    return this.o.store.stream(`${archivePrefix(hearingId)}/${key}`, range);
  }

  async head(hearingId: string, key: string): Promise<ObjectInfo | null> {
    return this.o.store.head(`${archivePrefix(hearingId)}/${key}`);
  }

  /** A direct, time-limited download URL when the store can give one (S3); null otherwise. */
  async presigned(hearingId: string, key: string, name: string): Promise<string | null> {
    return this.o.store.presign ? this.o.store.presign(`${archivePrefix(hearingId)}/${key}`, this.o.presignSeconds, name) : null;
  }

  async orders(hearingId: string): Promise<UnsealingOrder[]> {
    return (await orderRecords(this.o.state).list()).filter((o) => o.hearingId === hearingId).sort((a, b) => a.enteredAt - b.enteredAt);
  }

  async addOrder(hearingId: string, input: NewOrder, by: UnsealingOrder['enteredBy']): Promise<UnsealingOrder> {
    await this.o.hearings.hearing(hearingId);
    if (input.to <= input.from) throw new CourtcastError('VALIDATION_FAILED', 'the order must cover a positive interval');
    if (input.expiresAt <= this.now()) throw new CourtcastError('VALIDATION_FAILED', 'the order has already expired');
    const order: UnsealingOrder = { ...input, id: `uo_${randomBytes(9).toString('base64url')}`, hearingId, enteredBy: by, enteredAt: this.now() };
    await orderRecords(this.o.state).put(order.id, order);
    return order;
  }

  /** The orders in force now. */
  async inForce(hearingId: string): Promise<UnsealingOrder[]> {
    const now = this.now();
    return (await this.orders(hearingId)).filter((o) => o.expiresAt > now);
  }

  /**
   * The master segments an order in force unseals (those whose capture overlaps an ordered
   * interval): the courtroom's master, or a named camera's, each by the orders that name it.
   */
  async unsealed(hearingId: string, source?: string): Promise<{ orders: UnsealingOrder[]; segments: ManifestEntry[] }> {
    const what = source === undefined ? 'the master' : `camera “${source}”`;
    const orders = (await this.inForce(hearingId)).filter((o) => o.source === source);
    if (orders.length === 0) throw new CourtcastError('FORBIDDEN', `${what} is sealed: no unsealing order in force covers it`);
    const manifest = await this.manifest(hearingId);
    const recorded = masterInOrder(manifest?.entries ?? [], source);
    if (source !== undefined && recorded.length === 0) throw new CourtcastError('NOT_FOUND', `the archive holds no recording of camera “${source}”`);
    const covered = (e: ManifestEntry) => e.captureStart !== undefined && e.captureEnd !== undefined && orders.some((o) => e.captureStart! < o.to && e.captureEnd! > o.from);
    return { orders, segments: recorded.filter(covered) };
  }

  /** The replay playlist of the unsealed part of a master (segment URIs relative to it: `m0001-000003.ts`). */
  masterPlaylist(segments: readonly ManifestEntry[]): string {
    const items = segments.map(
      (e, i) =>
        new HLS.types.Segment({
          uri: e.key.split('/').slice(-2).join('-'),
          duration: e.durationSec ?? 2,
          discontinuity: i > 0 && (segments[i - 1]?.run !== e.run || (segments[i - 1]?.index ?? 0) + 1 !== e.index),
        }),
    );
    const target = Math.max(1, ...segments.map((e) => Math.ceil(e.durationSec ?? 2)));
    return HLS.stringify(new HLS.types.MediaPlaylist({ version: 3, targetDuration: target, playlistType: 'VOD', endlist: true, segments: items }));
  }

  /** The master MP4; the caller has checked that the orders in force unseal all of it. */
  masterFile(hearingId: string, range?: ByteRange): Promise<{ body: Readable; info: ObjectInfo } | null> {
    return this.o.store.stream(`${archivePrefix(hearingId)}/master.mp4`, range);
  }

  /** One unsealed master segment (a camera's, given one), named as its playlist names it (`m0001-000003.ts`). */
  async masterSegment(hearingId: string, name: string, source?: string): Promise<{ body: Readable; info: ObjectInfo; entry: ManifestEntry }> {
    const key = `${source === undefined ? 'master' : `${SOURCES_DIR}/${source}`}/${name.replace('-', '/')}`;
    if (!MASTER_SEGMENT.test(key)) throw new CourtcastError('NOT_FOUND', 'no such master segment');
    const { segments } = await this.unsealed(hearingId, source);
    const entry = segments.find((e) => e.key === key);
    if (!entry) throw new CourtcastError('FORBIDDEN', 'this part of the master is outside every unsealing order in force');
    const found = await this.o.store.stream(`${archivePrefix(hearingId)}/${key}`);
    if (!found) throw new CourtcastError('NOT_FOUND', 'the segment is not in the archive store yet');
    return { ...found, entry };
  }

}
