import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PreviewTarget } from '../cluster/remote-calls.ts';

/**
 * A piece of the clerk's undelayed preview, in a form that crosses from the node running the
 * hearing to the node the clerk reached: text for the playlist, base64 for a segment.
 */
export interface PreviewPiece {
  readonly contentType: 'application/vnd.apple.mpegurl' | 'video/mp2t';
  readonly encoding: 'utf8' | 'base64';
  readonly body: string;
}

const RUN = /^[rm]\d{4,9}$/;

/**
 * Reads the preview from a hearing's master directory: the newest run's playlist (its segment
 * URIs made relative to the preview route) or one segment; null when there is none.
 */
export async function readPreview(masterDir: string, target: PreviewTarget): Promise<PreviewPiece | null> {
  if (target.kind === 'segment') {
    // The target was checked against a strict pattern, so the path stays inside the directory.
    const bytes = await readFile(path.join(masterDir, target.run, target.file)).catch(() => null);
    return bytes ? { contentType: 'video/mp2t', encoding: 'base64', body: bytes.toString('base64') } : null;
  }
  // By number: runs grow past four digits (m10001 is newer than m9999).
  const runs = (await readdir(masterDir).catch(() => [] as string[])).filter((r) => RUN.test(r)).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  for (const run of runs.reverse()) {
    const text = await readFile(path.join(masterDir, run, 'index.m3u8'), 'utf8').catch(() => null);
    if (text) return { contentType: 'application/vnd.apple.mpegurl', encoding: 'utf8', body: text.replace(/^(\d{6}\.ts)$/gm, `${run}/$1`) };
  }
  return null;
}
