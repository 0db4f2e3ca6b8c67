import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Hearing } from '../../domain/courts.ts';
import type { Logger } from '../../domain/logger.ts';
import { programCodec } from '../../domain/codecs.ts';
import { emptyProgram, type BroadcastProgram } from '../../domain/program.ts';
import { masterDirsOf, nextRunNumber, reapOrphans, sealUnsealed } from '../../pipeline/recovery.ts';
import { readJsonFile } from '../../store/durable-file.ts';
import type { StateStore } from '../../store/state-store.ts';
import { programJournal, type Restore } from './hearing-factory.ts';
import { programRecords, releaseRecords } from './hearing-records.ts';

/**
 * The later of the store's program and the local journal's: a cut given while the store was down
 * reached only the journal, and recovery must not forget it.
 */
export function newerProgram(a: BroadcastProgram | null, b: BroadcastProgram | null): BroadcastProgram | null {
  if (!a || !b) return a ?? b;
  return b.lastActionAt >= a.lastActionAt ? b : a;
}

/** Where recovery finds a hearing's files and saved state. */
export interface RestoreOptions {
  readonly state: StateStore;
  readonly pendingRoot: string;
  readonly masterRoot: string;
  readonly journalRoot: string;
  readonly logger: Logger;
  readonly now: () => number;
}

/**
 * Clears what a crash left of a hearing on this node: orphaned FFmpegs are stopped, finished
 * master segments are sealed (so the archive takes them), pending media is discarded. Also done
 * for a hearing another node took over meanwhile. Returns the next unused run number here.
 */
export async function tidyAfterCrash(o: Pick<RestoreOptions, 'pendingRoot' | 'masterRoot' | 'logger'>, hearingId: string): Promise<number> {
  const pendingDir = path.join(o.pendingRoot, hearingId);
  const masterDir = path.join(o.masterRoot, hearingId);
  // The courtroom's further cameras keep runs of their own beside the master's.
  const masters = await masterDirsOf(masterDir);
  await reapOrphans([pendingDir, ...masters], o.logger);
  for (const dir of masters) await sealUnsealed(dir, o.logger);
  const firstRun = await nextRunNumber(pendingDir, ...masters);
  await rm(pendingDir, { recursive: true, force: true });
  return firstRun;
}

/**
 * Gathers what a hearing that was live when the server stopped resumes from, and clears what it
 * must not: FFmpegs orphaned by the crash are stopped, unsealed master segments are hashed, run
 * numbers continue after the last, and pending media is discarded (fail closed: a command given
 * just before the crash may not have been saved, and an unsaved cut must not let its window air).
 * The program is the newer of the store's and the local journal's.
 */
export async function restoreOf(o: RestoreOptions, hearing: Hearing): Promise<Restore> {
  const firstRun = await tidyAfterCrash(o, hearing.id);
  const stored = await programRecords(o.state).get(hearing.id).catch(() => null);
  const program = newerProgram(stored, await readJsonFile(programJournal(o.journalRoot, hearing.id), programCodec)) ?? emptyProgram(o.now());
  const delay = (await releaseRecords(o.state).get(hearing.id)) ?? undefined;
  return { program, firstRun, ...(delay ? { delay } : {}) };
}
