import { describe, expect, it } from 'vitest';
import { transcriptLanguages, transcriptVtt } from '../../recorder/transcript.ts';
import { airedCaptionLanguages } from '../../recorder/vod-playlist.ts';
import type { ManifestEntry } from '../../recorder/manifest.ts';

const at = (ms: number) => new Date(1_000_000 + ms).toISOString();
const entries = [
  { id: 'a', lang: 'en', text: 'All rise.', speaker: 'clerk', start: at(1_000), end: at(2_500), revision: 0 },
  { id: 'b', lang: 'en', text: 'Smith & Sons', start: at(3_000), end: at(4_000), revision: 0 },
  { id: 'a', lang: 'en', text: 'All rise!', speaker: 'clerk', start: at(1_000), end: at(2_500), revision: 1 },
  { id: 'z', lang: 'zh-CN', text: '现在开庭。', speaker: 'presiding-judge', start: at(-500), end: at(500), revision: 0 },
];

describe('the archived transcript', () => {
  it('writes each cue in its last version, on the as-aired recording’s clock, with its speaker', () => {
    expect(transcriptVtt(entries, 'en', 1_000_000)).toBe(['WEBVTT', '', 'a', '00:00:01.000 --> 00:00:02.500', '<v Clerk>All rise!', '', 'b', '00:00:03.000 --> 00:00:04.000', 'Smith &amp; Sons', ''].join('\n'));
    expect(transcriptVtt(entries, 'zh-CN', 1_000_000)).toContain('z\n00:00:00.000 --> 00:00:00.500\n<v 审判长>现在开庭。');
  });

  it('has a file for each caption language it has words in', () => {
    expect(transcriptLanguages(entries)).toEqual(['zh-CN', 'en']);
    expect(transcriptLanguages([])).toEqual([]);
  });

  it('finds the caption languages an archive aired', () => {
    const aired = (rung: string, seq: number) => ({ kind: 'aired', key: `aired/${rung}/${seq}`, rung, seq, sha256: 'x', size: 1 }) as unknown as ManifestEntry;
    expect(airedCaptionLanguages([aired('180p', 1), aired('subtitles/en', 1), aired('subtitles/zh-CN', 1), aired('subtitles/en', 2)])).toEqual(['en', 'zh-CN']);
  });
});
