import { describe, expect, it } from 'vitest';
import { readSubtitleFile } from '../../server/demo/caption-feed.ts';

describe('reading a subtitle file for a caption feed', () => {
  it('reads WebVTT cues in order, names speakers from voice tags and drops other markup', () => {
    const { cues, skipped } = readSubtitleFile(
      ['WEBVTT', '', '00:00:05.000 --> 00:00:06.000', '<v Presiding judge>Please be <i>seated</i>.', '', '00:00:01.000 --> 00:00:02.500', '<v.loud clerk>All rise.', '', '00:00:03.000 --> 00:00:04.000', '<v Somebody>Smith &amp; Sons', ''].join('\n'),
    );
    expect(skipped).toEqual([]);
    expect(cues).toEqual([
      { start: 1_000, end: 2_500, text: 'All rise.', speaker: 'clerk' },
      { start: 3_000, end: 4_000, text: 'Smith & Sons' },
      { start: 5_000, end: 6_000, text: 'Please be seated.', speaker: 'presiding-judge' },
    ]);
  });

  it('reads SRT, and leaves out with a reason what Courtcast would refuse', () => {
    const { cues, skipped } = readSubtitleFile(['1', '00:00:01,000 --> 00:00:02,000', '现在开庭。', '', '2', '00:00:03,000 --> 00:00:04,000', 'one', 'two', 'three', '', '3', '00:00:05,000 --> 00:00:05,000', 'no time at all', ''].join('\n'));
    expect(cues).toEqual([{ start: 1_000, end: 2_000, text: '现在开庭。' }]);
    expect(skipped.map((s) => [s.at, s.why])).toEqual([
      [3_000, 'a cue has at most two lines'],
      [5_000, 'ends before it starts'],
    ]);
  });
});
