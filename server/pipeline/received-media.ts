import { createHash } from 'node:crypto';
import { appendFile, copyFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { readJsonLines } from './json-lines.ts';
import { z } from 'zod';

/**
 * Media kept exactly as a publisher sent it, where the master cannot hold it so (a WHIP
 * publisher's Opus sound, which FLV cannot carry, reaches the master as AAC): the WHIP relay also
 * writes the RTP payloads it reads, unchanged, into Matroska segments (ingest/received-keeper.ts),
 * and each finished one is moved into the live hearing's master directory, hashed, and listed in
 * `received.jsonl` for the recorder to seal beside the master. This module is that list's one codec.
 */
const LIST_FILE = 'received.jsonl';

/** One segment kept as received. */
export interface ReceivedLine {
  /** Relative to the hearing's master directory: `received/{session}-r{run}/{index}.mkv`. */
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
  /** When its first and last frames reached us (ms since the epoch), where known. */
  readonly captureStart?: number;
  readonly captureEnd?: number;
}

const lineCodec: z.ZodType<ReceivedLine> = z.looseObject({
  file: z.string().regex(/^received\/[\w-]{1,80}\/\d{6}\.mkv$/),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  captureStart: z.number().optional(),
  captureEnd: z.number().optional(),
});

/** Every readable line of a hearing's received list, in order; none when it is absent. A torn line is skipped. */
export async function readReceived(masterDir: string): Promise<ReceivedLine[]> {
  return readJsonLines(path.join(masterDir, LIST_FILE), lineCodec);
}

/**
 * Moves a finished segment into a hearing's master directory (`received/{folder}/…`), hashes it
 * and lists it; the line goes last, so a crash leaves at worst a file the list does not name.
 */
export async function keepReceived(masterDir: string, o: { readonly from: string; readonly folder: string; readonly name: string; readonly captureStart: number | null; readonly captureEnd: number | null }): Promise<ReceivedLine> {
  const file = `received/${o.folder}/${o.name}`;
  const to = path.join(masterDir, ...file.split('/'));
  await mkdir(path.dirname(to), { recursive: true });
  await rename(o.from, to).catch(async () => {
    // Another filesystem: copy, then let the original go.
    await copyFile(o.from, to);
    await rm(o.from, { force: true });
  });
  const body = await readFile(to);
  const line: ReceivedLine = {
    file,
    size: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
    ...(o.captureStart != null ? { captureStart: o.captureStart } : {}),
    ...(o.captureEnd != null ? { captureEnd: o.captureEnd } : {}),
  };
  await appendFile(path.join(masterDir, LIST_FILE), `${JSON.stringify(lineCodec.parse(line))}\n`);
  return line;
}
