import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuditEntry } from './chain.ts';

const HEARING_ID = /^hg_[A-Za-z0-9_-]{8,40}$/;

/** A hearing's spool file: its entries not yet in the state store, one JSON line each, fsynced. */
export const spoolFileOf = (spoolDir: string, hearingId: string): string => path.join(spoolDir, `${hearingId}.jsonl`);

/**
 * Every hearing's spooled entries, as a restart finds them. A crash mid-write can leave a torn
 * last line; every whole line before it was fsynced, so the torn one is all that is skipped.
 */
export async function readSpool(spoolDir: string): Promise<Map<string, AuditEntry[]>> {
  let files: string[];
  try {
    files = await readdir(spoolDir);
  } catch {
    return new Map(); // no spool yet
  }
  const out = new Map<string, AuditEntry[]>();
  for (const f of files) {
    const hearingId = f.replace(/\.jsonl$/, '');
    if (!HEARING_ID.test(hearingId)) continue;
    const lines = (await readFile(path.join(spoolDir, f), 'utf8')).split('\n').filter(Boolean);
    const entries = lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as AuditEntry];
      } catch {
        return [];
      }
    });
    if (entries.length > 0) out.set(hearingId, entries);
  }
  return out;
}
