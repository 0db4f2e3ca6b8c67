import { createHash } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
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
}

/** Options of a sealer over one master run directory. */
export interface MasterSealerOptions {
  readonly run: number;
  readonly dir: string;
  /** The hearing's append-only manifest (JSON lines). */
  readonly manifest: string;
  readonly now: () => number;
  readonly onSealed: (segment: MasterSegment) => void;
  readonly onError: (err: unknown, file: string) => void;
}

/**
 * Hashes each master segment once FFmpeg lists it as complete and appends it to the hearing's
 * manifest, so the master can later be proven unaltered segment by segment.
 */
export class MasterSealer {
  private next = 0;
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
    for (const m of await readListed(path.join(this.o.dir, 'index.m3u8'))) {
      if (m.index < this.next) continue;
      this.next = m.index + 1;
      try {
        const body = await readFile(m.file);
        const seg: MasterSegment = {
          run: this.o.run,
          index: m.index,
          file: m.file,
          size: body.length,
          durationSec: m.durationSec,
          sha256: createHash('sha256').update(body).digest('hex'),
          listedAt: this.o.now(),
        };
        await appendFile(this.o.manifest, `${JSON.stringify({ ...seg, file: path.relative(path.dirname(this.o.manifest), m.file) })}\n`);
        this.o.onSealed(seg);
      } catch (err) {
        this.o.onError(err, m.file);
      }
    }
  }
}
