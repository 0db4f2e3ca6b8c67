import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { SlateKind } from '../domain/program.ts';
import { slateSpec, type RungOptions } from '../media/args.ts';
import type { Logger } from '../domain/logger.ts';
import { runFfmpeg } from '../media/run.ts';
import { specToArgs } from '../media/spec.ts';

/**
 * Every slate the public can see: the program's kinds, "standby" for media gaps, and
 * "no-broadcast" for a hearing that is not public (its playlist never carries the picture).
 */
export type PublicSlate = SlateKind | 'standby' | 'no-broadcast';

/** The card text of each slate. */
export const SLATE_TEXT: Readonly<Record<PublicSlate, string>> = {
  starting: 'The hearing will begin shortly',
  paused: 'The broadcast is paused',
  interrupted: 'The broadcast is interrupted',
  ended: 'The hearing has ended',
  standby: 'Please stand by',
  'no-broadcast': 'This hearing is not broadcast',
};

/** Where the delay line finds the slate file for a kind and rung. */
export interface SlateSource {
  file(kind: PublicSlate, rung: string): string;
  /** The standby slate's bytes, held in memory so it can be published when the local disk fails. */
  standby(rung: string): Buffer;
}

/** Options for the slate library. */
export interface SlateLibraryOptions {
  readonly cacheDir: string;
  readonly ladder: readonly RungOptions[];
  readonly segmentSeconds: number;
  readonly fps: number;
  readonly ffmpegPath: string;
  readonly logger: Logger;
}

/**
 * Pre-rendered slate segments, one per kind and rung, encoded exactly like the rung they replace.
 * They are rendered once into a private cache keyed by the encoding parameters, and copied into
 * the public store only when released.
 */
export class SlateLibrary implements SlateSource {
  private readonly dir: string;
  private readonly standbyBytes = new Map<string, Buffer>();

  constructor(private readonly o: SlateLibraryOptions) {
    // Keyed by the FFmpeg commands themselves, so a change of encoding renders them anew.
    const commands = (Object.keys(SLATE_TEXT) as PublicSlate[]).flatMap((kind) => o.ladder.map((rung) => specToArgs(slateSpec({ rung, text: SLATE_TEXT[kind], seconds: o.segmentSeconds, fps: o.fps, outFile: '' }))));
    const key = JSON.stringify({ ladder: o.ladder, s: o.segmentSeconds, fps: o.fps, text: SLATE_TEXT, commands });
    this.dir = path.join(o.cacheDir, createHash('sha256').update(key).digest('hex').slice(0, 16));
  }

  /** The local file of one slate. */
  file(kind: PublicSlate, rung: string): string {
    return path.join(this.dir, kind, `${rung}.ts`);
  }

  /** Renders whatever is not cached yet. Two renders at a time: the machine has two cores. */
  async prepare(): Promise<void> {
    const jobs: { kind: PublicSlate; rung: RungOptions }[] = [];
    for (const kind of Object.keys(SLATE_TEXT) as PublicSlate[]) for (const rung of this.o.ladder) jobs.push({ kind, rung });
    const work = async (): Promise<void> => {
      for (let job = jobs.shift(); job; job = jobs.shift()) await this.render(job.kind, job.rung);
    };
    await Promise.all([work(), work()]);
    for (const rung of this.o.ladder) this.standbyBytes.set(rung.name, await readFile(this.file('standby', rung.name)));
  }

  standby(rung: string): Buffer {
    const b = this.standbyBytes.get(rung);
    if (!b) throw new Error(`no standby slate for rung ${rung}: prepare() first`);
    return b;
  }

  private async render(kind: PublicSlate, rung: RungOptions): Promise<void> {
    const out = this.file(kind, rung.name);
    try {
      await access(out);
      return;
    } catch {
      // not cached yet
    }
    await mkdir(path.dirname(out), { recursive: true });
    // Several servers may share one cache (two nodes on a volume, parallel tests) and render the
    // same slate at once: each writes its own temporary file, and the renames, atomic and of the
    // same bytes, leave one whole slate whichever lands last.
    const tmp = `${out}.${process.pid}-${randomBytes(4).toString('hex')}.part.ts`;
    const spec = slateSpec({ rung, text: SLATE_TEXT[kind], seconds: this.o.segmentSeconds, fps: this.o.fps, outFile: tmp });
    try {
      await runFfmpeg(spec, { ffmpegPath: this.o.ffmpegPath, logger: this.o.logger, tags: { role: 'slate', kind, rung: rung.name } });
      await rename(tmp, out);
    } finally {
      await rm(tmp, { force: true });
    }
  }
}
