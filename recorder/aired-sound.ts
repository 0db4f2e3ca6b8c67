import { readFile, rm } from 'node:fs/promises';
import type { BroadcastProgram } from '../server/domain/program.ts';
import type { Logger } from '../server/domain/logger.ts';
import { loudSpans, soundPcmSpec } from '../server/media/loudness.ts';
import { runFfmpeg } from '../server/media/run.ts';
import { audioSpan, videoPts } from '../server/media/ts-continuity.ts';
import type { ManifestEntry } from './manifest.ts';
import { needsListening, soundBeyondProgram, type AiredSlotMedia, type ExposedSound, type MediaSpan } from './sound-exposure.ts';
import { airedInOrder } from './vod-playlist.ts';

/** Two AAC frames: sound within this of its picture, or of an edge, is the muxers' ordinary seam. */
export const EXPOSURE_TOLERANCE_MS = 43;

/** What the archive says of the sound it aired: how many slots were listened to, and what aired outside the program. */
export interface AiredSoundReport {
  readonly listenedSlots: number;
  readonly exposed: readonly ExposedSound[];
  readonly exposedMs: number;
}

/** What listening to an archive needs. */
export interface AiredSoundOptions {
  readonly rungs: readonly string[];
  /** The top video rung, whose pictures place each slot on the capture timeline. */
  readonly topRung: string;
  /** A local copy of an archived object, by key. */
  readonly copy: (key: string) => Promise<string>;
  readonly ffmpegPath: string;
  readonly logger: Logger;
  readonly hearingId: string;
}

/** A slot's picture on its own timeline: first frame to last frame's end. */
function pictureOf(ts: Buffer): MediaSpan | null {
  const pts = videoPts(ts).sort((a, b) => a - b);
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (first === undefined || last === undefined) return null;
  const frame = pts.length > 1 ? (last - first) / (pts.length - 1) : 1 / 30;
  return { start: first, end: last + frame };
}

/**
 * Listens to the sound an archive aired, from its as-aired files, and reports what of it lies
 * outside the program (recorder/sound-exposure.ts). Only slots whose sound could stray are decoded
 * (spliced ones, and ones whose sound runs past their picture), so a hearing aired since issue 22
 * costs a few decodes. The files stay as they were served: this reports, it changes nothing.
 */
export async function listenToAired(entries: readonly ManifestEntry[], program: BroadcastProgram, o: AiredSoundOptions): Promise<AiredSoundReport> {
  const pictures = new Map<number, MediaSpan | null>();
  for (const e of airedInOrder(entries, o.topRung)) {
    if (e.outcome !== 'aired' || e.seq === undefined) continue;
    const file = await o.copy(e.key);
    pictures.set(e.seq, pictureOf(await readFile(file)));
    await rm(file, { force: true });
  }
  const slots: AiredSlotMedia[] = [];
  for (const rung of o.rungs) {
    for (const e of airedInOrder(entries, rung)) {
      if (e.outcome !== 'aired' || e.seq === undefined || e.captureStart === undefined) continue;
      const picture = pictures.get(e.seq) ?? null;
      const file = await o.copy(e.key);
      const pcm = `${file}.pcm`;
      try {
        const sound = audioSpan(await readFile(file));
        if (!needsListening({ spliced: e.spliced === true, picture, sound }, EXPOSURE_TOLERANCE_MS) || !sound) continue;
        await runFfmpeg(soundPcmSpec(file, pcm), { ffmpegPath: o.ffmpegPath, logger: o.logger, tags: { hearingId: o.hearingId, role: 'listen' }, niceness: 10 }, 60_000);
        slots.push({ seq: e.seq, rung, captureStart: e.captureStart, ...(e.mediaStart !== undefined ? { mediaStart: e.mediaStart } : {}), ...(e.cuts ? { cuts: e.cuts } : {}), picture, loud: loudSpans(await readFile(pcm), sound.start) });
      } finally {
        await rm(pcm, { force: true });
        await rm(file, { force: true });
      }
    }
  }
  const exposed = soundBeyondProgram(slots, program, EXPOSURE_TOLERANCE_MS);
  return { listenedSlots: slots.length, exposed, exposedMs: exposed.reduce((n, x) => n + x.ms, 0) };
}
