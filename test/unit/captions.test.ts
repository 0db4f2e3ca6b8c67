import { describe, expect, it } from 'vitest';
import { airedCue, cueTextProblem, HIDDEN_WORDS, type Cue } from '../../server/domain/captions.ts';
import type { Mask } from '../../server/domain/masks.ts';
import { placeCues, vttSegment, vttTime } from '../../server/delay/vtt.ts';
import { programOf as run } from '../support/program.ts';

const cue = (start: number, end: number, over: Partial<Cue> = {}): Cue => ({ id: `c${start}`, lang: 'en', text: 'The court is in session.', start, end, revision: 0, receivedAt: end, ...over });
const mask = (kind: Mask['kind'], start: number, end: number | null): Mask => ({ id: `m-${kind}-${start}`, kind, start, end, ...(kind === 'voice' ? { pitch: 0.8 } : {}) }) as Mask;

describe('a cue under the program', () => {
  const onAir = run({ type: 'start', at: 1_000 }, { type: 'pause', at: 10_000 }, { type: 'resume', at: 20_000 }, { type: 'cut', at: 30_000, releasedUntil: 25_000 });

  it('airs only when its whole span is on the air: not before the start, not across a pause or its resume, not from a dumped span', () => {
    expect(airedCue(cue(2_000, 4_000), onAir)?.text).toBe('The court is in session.');
    expect(airedCue(cue(500, 1_500), onAir)).toBeNull();
    expect(airedCue(cue(9_000, 10_001), onAir)).toBeNull();
    expect(airedCue(cue(12_000, 14_000), onAir)).toBeNull();
    expect(airedCue(cue(19_999, 21_000), onAir)).toBeNull();
    expect(airedCue(cue(20_000, 22_000), onAir)?.text).toBe('The court is in session.');
    // The cut dumped what was not yet released (from 25 s).
    expect(airedCue(cue(26_000, 27_000), onAir)).toBeNull();
  });

  it('never airs words from a span withdrawn with the broadcast’s approval', () => {
    const withdrawn = run({ type: 'start', at: 0 }, { type: 'cut', at: 12_000, releasedUntil: 8_000, withdrawn: true });
    expect(airedCue(cue(2_000, 4_000), withdrawn)?.text).toBe('The court is in session.');
    expect(airedCue(cue(9_000, 10_000), withdrawn)).toBeNull();
    expect(airedCue(cue(7_500, 8_500), withdrawn)).toBeNull();
  });

  it('airs a mute’s words as the marker, or not at all if the court says so; never under the no-broadcast card', () => {
    const muted = run({ type: 'start', at: 0 }, { type: 'mask', at: 5_000, mask: mask('mute', 5_000, 6_000) }, { type: 'mask', at: 8_000, mask: mask('card', 8_000, 9_000) });
    const hidden = airedCue(cue(5_500, 7_000, { speaker: 'witness' }), muted);
    expect(hidden).toMatchObject({ text: HIDDEN_WORDS.en, hidden: true, speaker: 'witness' });
    expect(airedCue(cue(5_500, 7_000, { lang: 'zh-CN', text: '证人姓名' }), muted)?.text).toBe(HIDDEN_WORDS['zh-CN']);
    expect(airedCue(cue(5_500, 7_000), muted, { hidden: 'drop', voiceHidesText: false })).toBeNull();
    expect(airedCue(cue(6_000, 7_000), muted)).toMatchObject({ hidden: false });
    expect(airedCue(cue(8_500, 8_600), muted)).toBeNull();
  });

  it('keeps words under a picture mask, and a distorted voice’s unless the court hides them', () => {
    const masked = run({ type: 'start', at: 0 }, { type: 'mask', at: 1_000, mask: { ...mask('blur', 1_000, null), region: { x: 0, y: 0, w: 0.5, h: 0.5 } } }, { type: 'mask', at: 1_000, mask: mask('voice', 1_000, null) });
    expect(airedCue(cue(2_000, 3_000), masked)).toMatchObject({ hidden: false });
    expect(airedCue(cue(2_000, 3_000), masked, { hidden: 'marker', voiceHidesText: true })).toMatchObject({ hidden: true, text: HIDDEN_WORDS.en });
  });
});

describe('cue text', () => {
  it('takes plain words on up to two lines, in any script', () => {
    expect(cueTextProblem('现在开庭。')).toBeNull();
    expect(cueTextProblem('Smith & Sons\nv. the State')).toBeNull();
  });

  it('refuses markup, entities, control characters, blank lines, a third line and overlong text', () => {
    for (const bad of ['', '   ', '<b>guilty</b>', 'a --> b', 'Tom &amp; Jerry', '&#60;', 'a\u0000b', 'a\rb', 'a\u2028b', 'a\n\nb', 'one\ntwo\nthree', 'x\n', 'x'.repeat(301)]) {
      expect(cueTextProblem(bad), JSON.stringify(bad)).not.toBeNull();
    }
  });
});

describe('WebVTT segments', () => {
  const frames = Array.from({ length: 60 }, (_, k) => 100_000 + Math.round((k * 1000) / 30));
  const pts = frames.map((_, k) => 20 + k / 30);
  const clock = { frames, pts, durationSec: 2 };
  const aired = (start: number, end: number, text = 'Please be seated.') => ({ id: `a${start}`, lang: 'en' as const, text, start, end, hidden: false });

  it('writes times as hours, minutes, seconds and milliseconds', () => {
    expect(vttTime(0)).toBe('00:00:00.000');
    expect(vttTime(3_723.4567)).toBe('01:02:03.457');
  });

  it('places a cue from the first frame captured at its start to the first at its end, clipped to the segment, and leaves out cues outside it', () => {
    const placed = placeCues([aired(100_500, 101_000), aired(99_000, 100_200), aired(101_900, 105_000), aired(90_000, 95_000), aired(102_500, 103_000)], clock);
    expect(placed.map((p) => [p.cue.start, p.from.toFixed(3), p.to.toFixed(3)])).toEqual([
      [99_000, '0.000', '0.200'],
      [100_500, '0.500', '1.000'],
      [101_900, '1.900', '2.000'],
    ]);
  });

  it('ties its zero to the first frame’s MPEG-TS timestamp, names the speaker and escapes the text', () => {
    const placed = placeCues([{ ...aired(100_500, 101_000, 'Smith & Sons'), speaker: 'counsel' as const }], clock);
    const vtt = vttSegment(placed, 20);
    expect(vtt.split('\n').slice(0, 2)).toEqual(['WEBVTT', 'X-TIMESTAMP-MAP=MPEGTS:1800000,LOCAL:00:00:00.000']);
    expect(vtt).toContain('00:00:00.500 --> 00:00:01.000\n<v Counsel>Smith &amp; Sons\n');
    expect(vttSegment([], 20)).toBe('WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:1800000,LOCAL:00:00:00.000\n');
  });
});
