import { z } from 'zod';
import { Records } from '../server/store/records.ts';
import type { StateStore } from '../server/store/state-store.ts';
import { declaredLost, isLost, type ManifestEntry } from './manifest.ts';
import { airedInOrder, masterInOrder } from './vod-playlist.ts';

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
export interface Unfinished {
  readonly since: string;
}

const archiveCodec: z.ZodType<ArchiveRecord> = z.looseObject({
  hearingId: z.string(),
  status: z.enum(['recording', 'finalizing', 'complete']),
  startedAt: z.string(),
  finalizedAt: z.string().nullable(),
  entries: z.number(),
  bytes: z.number(),
  files: z.looseObject({ masterMp4: z.string().optional(), airedMp4: z.string().optional(), airedPlaylist: z.string().optional() }),
  masterSegments: z.number(),
  airedSegments: z.number(),
  masterFrom: z.number().nullable(),
  masterTo: z.number().nullable(),
  lostParts: z.number().optional(),
  error: z.string().optional(),
});

/** Hearings' archive records, by hearing id. */
export const archiveRecords = (state: StateStore): Records<ArchiveRecord> => new Records(state, 'archives', archiveCodec);

/** The archives being finalized, by hearing id. */
export const unfinishedRecords = (state: StateStore): Records<Unfinished> => new Records(state, 'unfinished-archives', z.looseObject({ since: z.string() }));

/** How many entries of a chain were declared lost. */
function lostIn(entries: readonly ManifestEntry[]): number {
  const declared = declaredLost(entries);
  return declared.size === 0 ? 0 : entries.filter((e) => isLost(declared, e)).length;
}

/**
 * A hearing's archive record as its chain stands: counts, sizes and the master's capture interval,
 * with `status` and anything `extra` says. Pure: the recorder and the finalizer both store it.
 */
export function archiveRecord(hearingId: string, status: ArchiveRecord['status'], entries: readonly ManifestEntry[], o: { readonly topRung: string; readonly now: number }, extra: Partial<ArchiveRecord> = {}): ArchiveRecord {
  const master = masterInOrder(entries);
  return {
    hearingId,
    status,
    startedAt: new Date(o.now).toISOString(),
    finalizedAt: null,
    entries: entries.length,
    bytes: entries.reduce((n, e) => n + e.size, 0),
    files: {},
    masterSegments: master.length,
    airedSegments: airedInOrder(entries, o.topRung).length,
    lostParts: lostIn(entries),
    masterFrom: master.length ? Math.min(...master.map((e) => e.captureStart ?? Infinity)) : null,
    masterTo: master.length ? Math.max(...master.map((e) => e.captureEnd ?? -Infinity)) : null,
    ...extra,
  };
}
