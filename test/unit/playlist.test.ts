import { describe, expect, it } from 'vitest';
import HLS from 'hls-parser';
import type { MasterPlaylist, MediaPlaylist } from 'hls-parser/types.js';
import { appendEntry, emptyTimeline, endTimeline, renderMasterPlaylist, renderMediaPlaylist, targetDuration, type EntrySource, type PublicTimeline } from '../../server/delay/playlist.ts';

const program = (run: number): EntrySource => ({ kind: 'program', run });
const slate: EntrySource = { kind: 'slate', slate: 'paused' };

function build(sources: EntrySource[], window = 30): PublicTimeline {
  let t = emptyTimeline();
  sources.forEach((source, i) => {
    t = appendEntry(t, { durationSec: 2, programDateTime: 1_000_000 + i * 2000, source }, window).timeline;
  });
  return t;
}

function strict(text: string): MediaPlaylist {
  HLS.setOptions({ strictMode: true });
  try {
    return HLS.parse(text) as MediaPlaylist;
  } finally {
    HLS.setOptions({ strictMode: false });
  }
}

describe('public playlists', () => {
  it('marks a discontinuity at every slate and every change of FFmpeg run, not inside a run', () => {
    const t = build([slate, program(1), program(1), slate, slate, program(1), program(2)]);
    expect(t.entries.map((e) => e.discontinuity)).toEqual([false, true, false, true, true, true, true]);
  });

  it('slides the window and counts the discontinuities that slid out', () => {
    const t = build([slate, slate, program(1), program(1), program(1)], 2);
    expect(t.entries.map((e) => e.seq)).toEqual([3, 4]);
    // Entries 1 and 2 carried discontinuities (slate after slate, program after slate).
    expect(t.discontinuitySequence).toBe(2);
    const pl = strict(renderMediaPlaylist(t, 4));
    expect(pl.mediaSequenceBase).toBe(3);
    expect(pl.discontinuitySequenceBase).toBe(2);
  });

  it('never lets the program date-time run backwards', () => {
    let t = emptyTimeline();
    t = appendEntry(t, { durationSec: 2, programDateTime: 10_000, source: slate }, 30).timeline;
    t = appendEntry(t, { durationSec: 2, programDateTime: 11_000, source: program(1) }, 30).timeline;
    expect(t.entries[1]?.programDateTime).toBe(12_000);
  });

  it('renders strictly valid media playlists with date-times and the end list', () => {
    const t = endTimeline(build([slate, program(1), program(1), slate]));
    const pl = strict(renderMediaPlaylist(t, 4));
    expect(pl.endlist).toBe(true);
    expect(pl.targetDuration).toBe(4);
    expect(pl.segments.map((s) => s.uri)).toEqual(['0.ts', '1.ts', '2.ts', '3.ts']);
    expect(pl.segments[0]?.programDateTime?.getTime()).toBe(1_000_000);
  });

  it('targets the segment length, rounded as RFC 8216 says, and never lowers a target it published', () => {
    const e = (durationSec: number) => ({ durationSec });
    expect(targetDuration(2, [e(2), e(1.984), e(2.067), e(0.5)])).toBe(2);
    // 2.5 rounds to 3: an entry that long needs a target of 3.
    expect(targetDuration(2, [e(2), e(2.5)])).toBe(3);
    // Once published, the target stays when the long entry slides out of the window.
    expect(targetDuration(2, [e(2)], 3)).toBe(3);
    expect(targetDuration(6, [])).toBe(6);
    expect(targetDuration(0.4, [])).toBe(1);
  });

  it('renders a master playlist with an audio-only variant', () => {
    const text = renderMasterPlaylist([
      { rung: '360p', bandwidth: 700_000, width: 640, height: 360, codecs: 'avc1.4d401f,mp4a.40.2' },
      { rung: 'audio', bandwidth: 70_000, codecs: 'mp4a.40.2' },
    ]);
    HLS.setOptions({ strictMode: true });
    const pl = HLS.parse(text);
    HLS.setOptions({ strictMode: false });
    expect(pl.isMasterPlaylist).toBe(true);
    expect(text).toContain('audio/index.m3u8');
    expect(text).toContain('RESOLUTION=640x360');
    expect(text).not.toContain('SUBTITLES');
  });

  it('offers each caption language as a subtitle rendition of every variant, off until a viewer turns it on', () => {
    const text = renderMasterPlaylist([{ rung: '360p', bandwidth: 700_000, width: 640, height: 360, codecs: 'avc1.4d401f,mp4a.40.2' }, { rung: 'audio', bandwidth: 70_000, codecs: 'mp4a.40.2' }], [{ lang: 'zh-CN', name: '中文' }, { lang: 'en', name: 'English' }]);
    HLS.setOptions({ strictMode: true });
    const pl = HLS.parse(text) as MasterPlaylist;
    HLS.setOptions({ strictMode: false });
    for (const v of pl.variants) expect(v.subtitles.map((r) => [r.language, r.uri, r.isDefault])).toEqual([['zh-CN', 'subtitles/zh-CN/index.m3u8', false], ['en', 'subtitles/en/index.m3u8', false]]);
    expect(text).toContain('SUBTITLES="subs"');
  });

  it('lists a caption language’s WebVTT files by the same entries as the media', () => {
    const t = build([program(1), slate, program(2)]);
    expect(renderMediaPlaylist(t, 2, 'vtt')).toBe(renderMediaPlaylist(t, 2).replace(/\.ts$/gm, '.vtt'));
  });
});
