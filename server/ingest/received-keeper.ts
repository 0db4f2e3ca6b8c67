import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../domain/logger.ts';

/** A segment the relay finished: its file and where it lies on the relay's timeline (seconds). */
export interface FinishedSegment {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** The segments a relay's `list.csv` names as finished (FFmpeg appends a line as each closes). Pure. */
export function finishedSegments(csv: string): FinishedSegment[] {
  return csv.split('\n').flatMap((line) => {
    const m = /^(\d{6}\.mkv),([\d.]+),([\d.]+)$/.exec(line.trim());
    return m ? [{ name: m[1]!, start: Number(m[2]), end: Number(m[3]) }] : [];
  });
}

/** A finished segment to keep: its file now, the folder and name it is kept under, and when its media reached us. */
export interface ReceivedSegment {
  readonly from: string;
  readonly folder: string;
  readonly name: string;
  readonly captureStart: number | null;
  readonly captureEnd: number | null;
}

export interface ReceivedKeeperOptions {
  /** The session's working directory; each relay run writes its segments in `received-r{run}`. */
  readonly sessionDir: string;
  /** Names the session's folder in the hearing's `received/`. */
  readonly folder: string;
  /**
   * Keeps a segment beside the master of the hearing live for the courtroom (moving its file);
   * false when none is live, and the segment is let go, as the master records nothing then.
   */
  readonly keep: (segment: ReceivedSegment) => Promise<boolean>;
  /** When the media a relay run stamped `ms` reached us, while that run's arrivals are known. */
  readonly reachedBy: (run: number, ms: number) => number | null;
  readonly logger: Logger;
}

/**
 * Keeps what one WHIP session's relay wrote as received: each segment the relay has finished is
 * handed on to be kept beside the live hearing's master (pipeline/received-media.ts). One pass at a time;
 * `collect` after the relay has exited also takes the segment it was writing (torn by a crash,
 * still the publisher's bytes).
 */
export class ReceivedKeeper {
  private readonly done = new Set<string>();
  private pass: Promise<void> = Promise.resolve();

  constructor(private readonly o: ReceivedKeeperOptions) {}

  /** Where relay run `run` writes its segments. */
  dirOf(run: number): string {
    return path.join(this.o.sessionDir, `received-r${run}`);
  }

  /** Keeps every finished segment of `run` (with `exited`, every segment left), once. */
  collect(run: number, exited = false): Promise<void> {
    this.pass = this.pass.then(() => this.collectRun(run, exited)).catch((err: unknown) => this.o.logger.error({ err, run }, 'could not keep the media as received; the next pass retries'));
    return this.pass;
  }

  private async collectRun(run: number, exited: boolean): Promise<void> {
    const dir = this.dirOf(run);
    const listed = finishedSegments(await readFile(path.join(dir, 'list.csv'), 'utf8').catch(() => ''));
    const left = exited ? (await readdir(dir).catch(() => [] as string[])).filter((f) => /^\d{6}\.mkv$/.test(f) && !listed.some((l) => l.name === f)).map((name) => ({ name, start: null, end: null })) : [];
    for (const seg of [...listed, ...left]) {
      const id = `${run}/${seg.name}`;
      if (this.done.has(id)) continue;
      const from = path.join(dir, seg.name);
      const at = (s: number | null) => (s === null ? null : this.o.reachedBy(run, Math.round(s * 1000)));
      const kept = await this.o.keep({ from, folder: `${this.o.folder}-r${run}`, name: seg.name, captureStart: at(seg.start), captureEnd: at(seg.end) });
      if (!kept) await rm(from, { force: true });
      this.done.add(id);
    }
  }
}
