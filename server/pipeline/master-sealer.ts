import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { videoPts } from '../media/ts-continuity.ts';
import { dateSegment, type CaptureClock } from './capture-dating.ts';
import { appendMasterLine } from './master-manifest.ts';
import { readListed } from './segment-watcher.ts';
import { SerialPoll } from './serial-poll.ts';

/** A master segment, sealed with its hash as soon as FFmpeg finished it. */
export interface MasterSegment {
  readonly run: number;
  readonly index: number;
  readonly file: string;
  readonly size: number;
  readonly durationSec: number;
  readonly sha256: string;
  readonly listedAt: number;
  /** Capture interval, ms since the epoch: on the ingest clock when `dated` says so, else as observed. */
  readonly captureStart: number;
  readonly captureEnd: number;
  readonly dated: 'clock' | 'observed';
}

/** Where a master segment lies on the capture timeline: by its frames' timestamps when it can be. */
export function dateMaster(body: Buffer, durationSec: number, listedAt: number, clock: CaptureClock | null): Pick<MasterSegment, 'captureStart' | 'captureEnd' | 'dated'> {
  const pts = clock ? videoPts(body) : [];
  const step = pts.length > 1 ? ((pts.at(-1) as number) - (pts[0] as number)) / (pts.length - 1) : 1 / 30;
  const dates = clock && pts.length > 0 ? dateSegment(pts, clock, step * 1000) : null;
  if (dates) return { captureStart: dates.captureStart, captureEnd: dates.captureEnd, dated: 'clock' };
  return { captureStart: Math.round(listedAt - durationSec * 1000), captureEnd: listedAt, dated: 'observed' };
}

/** Options of a sealer over one master run directory. */
export interface MasterSealerOptions {
  readonly run: number;
  readonly dir: string;
  /** The hearing's master directory, whose append-only manifest (master-manifest.ts) lists each sealed segment. */
  readonly masterDir: string;
  readonly now: () => number;
  /** The ingest clock of the input this run reads (its timestamps are kept), if it has one. */
  readonly clock?: CaptureClock | null;
  readonly onSealed: (segment: MasterSegment) => void;
  readonly onError: (err: unknown, file: string) => void;
}

/**
 * Hashes each master segment once FFmpeg lists it as complete and appends it to the hearing's
 * manifest, so the master can later be proven unaltered segment by segment. A segment that cannot
 * be sealed now (the manifest's disk is full) is tried again on the next poll, in order, so none
 * is left out of the manifest; one whose file is gone is reported and passed over.
 */
export class MasterSealer {
  private next = 0;
  /** The segment whose failure was last reported, so a disk that stays full is reported once. */
  private reported = -1;
  /** A manifest append failed: part of a line may be on file, so the next one starts a fresh line. */
  private torn = false;
  private readonly serial = new SerialPoll(() => this.pass());

  constructor(private readonly o: MasterSealerOptions) {}

  /** The directory FFmpeg writes this run's master into. */
  get dir(): string {
    return this.o.dir;
  }

  /** Seals whatever FFmpeg has completed since the last call. */
  poll(): Promise<void> {
    return this.serial.run();
  }

  private async pass(): Promise<void> {
    const listing = await readListed(path.join(this.o.dir, 'index.m3u8'));
    if (!listing.ok) return;
    for (const m of listing.segments) {
      if (m.index < this.next) continue;
      const body = await readFile(m.file).catch((err: NodeJS.ErrnoException) => {
        this.report(err, m.index, m.file);
        return err.code === 'ENOENT' ? 'gone' : null;
      });
      // A file FFmpeg listed and that is gone is passed over (reported once); any other failure is tried again.
      if (body === 'gone') {
        this.next = m.index + 1;
        continue;
      }
      if (body === null) return;
      let seg: MasterSegment;
      try {
        const listedAt = this.o.now();
        seg = {
          run: this.o.run,
          index: m.index,
          file: m.file,
          size: body.length,
          durationSec: m.durationSec,
          sha256: createHash('sha256').update(body).digest('hex'),
          listedAt,
          ...dateMaster(body, m.durationSec, listedAt, this.o.clock ?? null),
        };
        await appendMasterLine(this.o.masterDir, seg, { afterFailure: this.torn });
      } catch (err) {
        // Not in the manifest yet: tried again, in order, on the next poll.
        this.torn = true;
        this.report(err, m.index, m.file);
        return;
      }
      this.torn = false;
      this.reported = -1;
      this.next = m.index + 1;
      this.o.onSealed(seg);
    }
  }

  private report(err: unknown, index: number, file: string): void {
    if (this.reported !== index) this.o.onError(err, file);
    this.reported = index;
  }
}
