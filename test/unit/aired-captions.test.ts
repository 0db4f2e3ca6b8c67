import { describe, expect, it } from 'vitest';
import { airedCaptions, mergeSlotCaptions } from '../../recorder/aired-captions.ts';
import type { ManifestEntry } from '../../recorder/manifest.ts';
import { placeCues, vttSegment } from '../../server/delay/vtt.ts';
import type { AiredCue } from '../../server/domain/captions.ts';
import { AIRED_CAPTIONS_FILE, isOpenObject } from '../../server/domain/recording-keys.ts';

/** A slot of 2 s at 30 fps captured from `t0`, its frames at 10 s + its index × 2 s in the files. */
const slot = (k: number, cues: AiredCue[]) => {
  const t0 = 1_000_000 + k * 2_000;
  const frames = Array.from({ length: 60 }, (_, i) => t0 + (i * 1000) / 30);
  const pts = frames.map((_, i) => 10 + k * 2 + i / 30);
  return vttSegment(placeCues(cues, { frames, pts, durationSec: 2 }), pts[0]!);
};
const cue = (id: string, from: number, to: number, text: string, speaker?: AiredCue['speaker']): AiredCue => ({ id, lang: 'en', text, hidden: false, start: 1_000_000 + from, end: 1_000_000 + to, ...(speaker ? { speaker } : {}) });

describe('the captions the public was shown, as the archive keeps them for the search', () => {
  it('makes one caption of a cue repeated in each slot it ran over, with overlapping speakers kept apart', () => {
    const cues = [cue('a', 500, 3_500, 'All rise.', 'clerk'), cue('b', 1_000, 2_500, 'Smith & Sons'), cue('c', 4_200, 4_800, '现在开庭。', 'presiding-judge')];
    const slots = [0, 1, 2].map((k) => ({ offset: k * 2, vtt: slot(k, cues) }));
    expect(mergeSlotCaptions(slots)).toEqual([
      { start: 0.5, end: 3.5, text: 'All rise.', speaker: 'Clerk' },
      { start: 1, end: 2.5, text: 'Smith & Sons' },
      { start: 4.2, end: 4.8, text: '现在开庭。', speaker: 'Presiding judge' },
    ]);
  });

  it('says the same words twice when they were said twice', () => {
    const cues = [cue('a', 0, 1_000, 'Objection.'), cue('b', 3_000, 3_800, 'Objection.')];
    expect(mergeSlotCaptions([0, 1].map((k) => ({ offset: k * 2, vtt: slot(k, cues) }))).map((c) => c.start)).toEqual([0, 3]);
  });

  it('reads only the slots that aired, placed on the top rung’s clock, each language apart', async () => {
    const entry = (rung: string, seq: number, outcome: string, durationSec = 2) => ({ kind: 'aired', key: `aired/${rung}/${seq}.${rung.startsWith('subtitles') ? 'vtt' : 'ts'}`, rung, seq, outcome, durationSec, sha256: 'x', size: 1 }) as unknown as ManifestEntry;
    // Slot 1 aired a slate (its captions are empty and not read) and lasted 3 s.
    const entries = [entry('360p', 0, 'aired'), entry('360p', 1, 'cut', 3), entry('360p', 2, 'aired'), entry('subtitles/en', 0, 'aired'), entry('subtitles/en', 1, 'cut'), entry('subtitles/en', 2, 'aired')];
    const read: string[] = [];
    const files: Record<string, string> = {
      'aired/subtitles/en/0.vtt': slot(0, [cue('a', 0, 1_000, 'Before the cut.')]),
      'aired/subtitles/en/2.vtt': slot(2, [cue('b', 4_000, 5_000, 'After it.')]),
    };
    const got = await airedCaptions(entries, '360p', async (key) => {
      read.push(key);
      return Buffer.from(files[key] ?? '');
    });
    expect(read.sort()).toEqual(Object.keys(files).sort());
    expect(got).toEqual({ format: 'courtcast-aired-captions/1', languages: { en: [{ start: 0, end: 1, text: 'Before the cut.' }, { start: 5, end: 6, text: 'After it.' }] } });
  });

  it('hands out the aired captions with the record, never the master', () => {
    expect(isOpenObject(AIRED_CAPTIONS_FILE)).toBe(true);
    expect(isOpenObject('aired/subtitles/zh-CN/12.vtt')).toBe(true);
    expect(isOpenObject('aired/360p/12.ts')).toBe(true);
    for (const key of ['master/m0001/000003.ts', 'master.mp4', 'aired/subtitles/fr/1.vtt', 'aired/../master.mp4', 'transcript-fr.vtt', 'sources/bench/m0001/000003.ts']) expect(isOpenObject(key), key).toBe(false);
  });
});
