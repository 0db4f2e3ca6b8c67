import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DelayLine } from '../../server/delay/delay-line.ts';
import type { MaskRenderer } from '../../server/delay/mask-renderer.ts';
import { slateCard } from '../../server/delay/slates.ts';
import { DEFAULT_CAPTION_POLICY, type Cue } from '../../server/domain/captions.ts';
import type { Mask } from '../../server/domain/masks.ts';
import { applyAction, emptyProgram, type BroadcastProgram, type ProgramAction } from '../../server/domain/program.ts';
import { LocalObjectStore } from '../../server/store/local-object-store.ts';

/**
 * The delay line on a hand-driven clock, with a real store on disk. Segment files carry their
 * own name as content, so what the public store holds can be read back exactly.
 */
describe('delay line and release gate', () => {
  const D = 10_000;
  let dir: string;
  let now: number;
  let program: BroadcastProgram;
  let line: DelayLine;
  let store: LocalObjectStore;
  const rungs = ['hi', 'audio'];
  const silent = { info() {}, warn() {}, error() {}, debug() {} };
  /** Renders finish when the test says so: `renderOutcome` decides how. */
  let renderOutcome: 'done' | 'fail' | 'hang' = 'done';
  /** How far behind the transcoder runs, as the delay line is told. */
  let backlog = 0;
  let rendersShed = false;
  const renderCalls: { id: string; masks: unknown[] }[] = [];
  const renderer: MaskRenderer = {
    render: async (job) => {
      renderCalls.push({ id: job.id, masks: [...job.masks] });
      if (renderOutcome === 'hang') return new Promise(() => {});
      if (renderOutcome === 'fail') throw new Error('render killed');
      return Object.fromEntries(
        Object.entries(job.files).map(([r, f]) => {
          const out = `${f}.masked`;
          writeFileSync(out, `masked ${job.masks.map((m) => m.kind).join('+')}`);
          return [r, out];
        }),
      );
    },
    discard: async () => {},
  };
  const black = (over: Partial<Mask> = {}): Mask => ({ id: 'm1', kind: 'black', region: { x: 0, y: 0, w: 0.5, h: 0.5 }, start: 100_500, end: null, ...over });
  const settle = () => new Promise((r) => setTimeout(r, 20));

  const act = (a: ProgramAction) => {
    const r = applyAction(program, a);
    if (!r.ok) throw new Error(r.error.message);
    program = r.program;
  };
  const segment = (index: number, start: number, missing?: string) => {
    const files: Record<string, string> = {};
    for (const r of rungs) {
      if (r === missing) continue;
      const f = path.join(dir, 'pending', `${index}-${r}.ts`);
      writeFileSync(f, `program ${index} ${r}`);
      files[r] = f;
    }
    line.addPending({ run: 1, index, captureStart: start, captureEnd: start + 2000, programDateTime: start, durationSec: 2, files, produced: { start, end: start + 2000 } });
  };
  /** A segment dated frame by frame on the ingest clock (60 frames, 30 fps). */
  const framedSegment = (index: number, start: number, withPts = false) => {
    const files: Record<string, string> = {};
    for (const r of rungs) {
      const f = path.join(dir, 'pending', `${index}-${r}.ts`);
      writeFileSync(f, `program ${index} ${r}`);
      files[r] = f;
    }
    const frames = Array.from({ length: 60 }, (_, k) => start + Math.round(k * (1000 / 30)) + 10);
    const pts = withPts ? { pts: frames.map((_, k) => 10 + index * 2 + k / 30) } : {};
    line.addPending({ run: 1, index, captureStart: start, captureEnd: start + 2000, programDateTime: frames[0]!, durationSec: 2, files, frames, ...pts, produced: { start, end: start + 2000 } });
  };
  const publicBodies = async (): Promise<string[]> => {
    await line.flushed();
    const text = (await store.get('h/hi/index.m3u8'))?.toString() ?? '';
    const uris = text.split('\n').filter((l) => l.endsWith('.ts'));
    return Promise.all(uris.map(async (u) => (await store.get(`h/hi/${u}`))?.toString() ?? 'MISSING'));
  };
  const at = (t: number) => {
    now = t;
    line.tick();
  };

  /** The captions received, by id (a correction replaces its cue). */
  const cues = new Map<string, Cue>();
  const cue = (id: string, start: number, end: number, text: string) => cues.set(id, { id, lang: 'en', text, start, end, revision: 0, receivedAt: now });
  /** Every caption the public subtitle playlist lists, in order, as one text. */
  const publicCaptions = async (): Promise<string> => {
    await line.flushed();
    const text = (await store.get('h/subtitles/en/index.m3u8'))?.toString() ?? '';
    const uris = text.split('\n').filter((l) => l.endsWith('.vtt'));
    return (await Promise.all(uris.map(async (u) => (await store.get(`h/subtitles/en/${u}`))?.toString() ?? 'MISSING'))).join('\n');
  };

  beforeEach(async () => {
    cues.clear();
    dir = mkdtempSync(path.join(os.tmpdir(), 'cc-delay-'));
    for (const sub of ['pending', 'slates']) await import('node:fs/promises').then((fs) => fs.mkdir(path.join(dir, sub), { recursive: true }));
    renderCalls.length = 0;
    backlog = 0;
    rendersShed = false;
    for (const kind of ['starting', 'paused', 'interrupted', 'ended', 'standby', 'no-broadcast']) for (const r of rungs) writeFileSync(path.join(dir, 'slates', `${kind}-${r}.ts`), `slate ${kind}`);
    store = new LocalObjectStore(path.join(dir, 'public'));
    now = 100_000;
    program = emptyProgram(now);
    line = new DelayLine({
      hearingId: 'h',
      delayMs: D,
      segmentSeconds: 2,
      rungs,
      variants: [],
      window: 100,
      publicStore: store,
      publicPrefix: 'h',
      slates: { file: (kind, rung) => path.join(dir, 'slates', `${kind}-${rung}.ts`), standby: (rung) => Buffer.from(`slate standby ${rung}`), card: (kind) => slateCard(kind, 'en', null), cameraUnavailable: { text: 'Camera unavailable' } },
      renderer,
      transcoderBacklogMs: () => backlog,
      rendersShed: () => rendersShed,
      program: () => program,
      captions: { languages: ['en'], cues: () => [...cues.values()], policy: DEFAULT_CAPTION_POLICY },
      persist: async () => {},
      logger: silent,
      now: () => now,
      initial: { releasedUntil: 100_000, timeline: { nextSeq: 0, discontinuitySequence: 0, entries: [], ended: false, lastProgramDateTime: null } },
    });
  });

  afterEach(async () => {
    await line.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('releases a segment exactly at capture end + D, not a millisecond earlier', async () => {
    act({ type: 'start', at: 100_000 });
    segment(0, 100_000);
    at(102_000 + D - 1);
    expect(await publicBodies()).toEqual([]);
    at(102_000 + D);
    expect(await publicBodies()).toEqual(['program 0 hi']);
  });

  it('airs the picture only where the program is on air, and slates the rest', async () => {
    segment(0, 100_000); // before start
    act({ type: 'start', at: 102_000 });
    segment(1, 102_000);
    now = 104_500;
    act({ type: 'pause', at: 104_500 });
    segment(2, 104_000); // straddles the pause
    at(106_000 + D);
    expect(await publicBodies()).toEqual(['slate starting', 'program 1 hi', 'slate paused']);
  });

  it('on cut, slates everything not yet released and deletes its pending media', async () => {
    act({ type: 'start', at: 100_000 });
    for (let i = 0; i < 5; i++) segment(i, 100_000 + i * 2000);
    at(104_000 + D); // segments 0 and 1 are out
    act({ type: 'cut', at: now, releasedUntil: line.releasedUntil });
    line.dumpPending();
    at(110_000 + D);
    expect(await publicBodies()).toEqual(['program 0 hi', 'program 1 hi', 'slate interrupted', 'slate interrupted', 'slate interrupted']);
    expect(existsSync(path.join(dir, 'pending', '3-hi.ts'))).toBe(false);
  });

  it('fails closed when a rung of an on-air segment is missing', async () => {
    act({ type: 'start', at: 100_000 });
    segment(0, 100_000, 'audio');
    at(102_000 + D);
    expect(await publicBodies()).toEqual(['slate standby']);
  });

  it('fills a media gap with the standby slate instead of stalling', async () => {
    act({ type: 'start', at: 100_000 });
    at(100_000 + D + 3_600);
    expect(await publicBodies()).toEqual(['slate standby']);
  });

  it('slates the slot after the transcoder stopped, even when media resumes at once', async () => {
    act({ type: 'start', at: 100_000 });
    segment(0, 100_000);
    line.markGap(102_000);
    segment(1, 102_500);
    at(104_500 + D);
    expect(await publicBodies()).toEqual(['program 0 hi', 'slate standby', 'program 1 hi']);
  });

  it('airs a masked segment only from a finished render of exactly its masks', async () => {
    renderOutcome = 'done';
    act({ type: 'start', at: 100_000 });
    act({ type: 'mask', at: 100_500, mask: black() });
    segment(0, 100_000);
    segment(1, 102_000);
    segment(2, 104_000);
    at(103_000); // renders start for the pending segments
    await settle();
    act({ type: 'lift', at: 104_100, maskId: 'm1' });
    at(104_200); // segment 2 still needs the mask up to 104_100; its render key changed
    await settle();
    at(106_000 + D);
    expect(await publicBodies()).toEqual(['masked black', 'masked black', 'masked black']);
    // Segment 2 was rendered again once the lift changed the mask as it falls on it.
    expect(renderCalls.filter((c) => c.id === 'r1-2')).toHaveLength(2);
  });

  it('starts no render while the transcoder is behind, and renders once it has caught up', async () => {
    renderOutcome = 'done';
    act({ type: 'start', at: 100_000 });
    act({ type: 'mask', at: 100_500, mask: black() });
    backlog = 6_000;
    segment(0, 100_000);
    at(103_000);
    await settle();
    expect(renderCalls).toEqual([]);
    backlog = 1_500;
    at(103_100);
    await settle();
    expect(renderCalls.map((c) => c.id)).toEqual(['r1-0']);
    at(102_000 + D);
    expect(await publicBodies()).toEqual(['masked black']);
  });

  it('starts no render while renders are shed under overload, airs the card instead, and renders again once restored', async () => {
    renderOutcome = 'done';
    act({ type: 'start', at: 100_000 });
    act({ type: 'mask', at: 100_500, mask: black() });
    rendersShed = true;
    segment(0, 100_000);
    segment(1, 102_000);
    at(103_000);
    await settle();
    expect(renderCalls).toEqual([]);
    at(102_000 + D);
    expect(await publicBodies()).toEqual(['slate no-broadcast']);
    rendersShed = false;
    at(102_000 + D + 100);
    await settle();
    expect(renderCalls.map((c) => c.id)).toEqual(['r1-1']);
    at(104_000 + D);
    expect(await publicBodies()).toEqual(['slate no-broadcast', 'masked black']);
  });

  it('airs the on-air frames of a segment a pause falls in, with the paused card spliced over the rest', async () => {
    renderOutcome = 'done';
    act({ type: 'start', at: 100_000 });
    framedSegment(0, 100_000);
    framedSegment(1, 102_000);
    act({ type: 'pause', at: 102_700 });
    at(102_800);
    await settle();
    expect(renderCalls.map((c) => c.id)).toEqual(['r1-1']);
    const slate = renderCalls[0]!.masks[0] as { kind: string; card: readonly { text: string }[]; from: number; to: number };
    expect(slate.kind).toBe('slate');
    expect(slate.card[0]!.text).toMatch(/paused/);
    expect(slate.to).toBeGreaterThanOrEqual(2);
    expect(Math.abs(slate.from - 0.7)).toBeLessThanOrEqual(1 / 30 + 0.011);
    at(104_000 + D);
    expect(await publicBodies()).toEqual(['program 0 hi', 'masked slate']);
  });

  it('airs captions only with the media they belong to: not across a pause, not from a dumped span; a mute’s words as the marker; a correction before release', async () => {
    renderOutcome = 'done';
    act({ type: 'start', at: 100_000 });
    for (const [k, start] of [100_000, 102_000, 104_000, 106_000].entries()) framedSegment(k, start, true);
    cue('first', 100_200, 100_900, 'Please be seated.');
    cue('straddling', 102_500, 102_900, 'straddles the pause');
    cue('paused', 103_000, 103_500, 'said while paused');
    act({ type: 'pause', at: 102_700 });
    act({ type: 'resume', at: 104_000 });
    act({ type: 'mask', at: 104_300, mask: { id: 'mute', kind: 'mute', start: 104_300, end: 104_800 } });
    cue('muted', 104_400, 104_600, 'the witness lives at');
    cue('after', 105_000, 105_500, 'Thank you.');
    cue('dumped', 106_500, 106_900, 'dumped by the cut');
    cues.set('first', { ...cues.get('first')!, text: 'Please be seated, corrected.', revision: 1 });
    // The mute's segment airs from its render.
    at(106_100);
    await settle();
    at(106_000 + D);
    act({ type: 'cut', at: 107_000 + D, releasedUntil: line.releasedUntil });
    at(110_000 + D);
    const aired = await publicCaptions();
    expect(aired).toContain('Please be seated, corrected.');
    expect(aired).toContain('[inaudible]');
    expect(aired).toContain('Thank you.');
    for (const never of ['Please be seated.', 'straddles the pause', 'said while paused', 'the witness lives at', 'dumped by the cut']) expect(aired).not.toContain(never);
    // One WebVTT per public slot, each tied to its segment's first frame.
    expect(aired.match(/^WEBVTT$/gm)?.length).toBe((await publicBodies()).length);
    expect(aired).toContain('X-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000');
  });

  it('airs the whole slot as the slate when the splice is not rendered in time', async () => {
    renderOutcome = 'hang';
    act({ type: 'start', at: 100_700 });
    framedSegment(0, 100_000);
    at(100_800);
    at(102_000 + D);
    expect(await publicBodies()).toEqual(['slate starting']);
  });

  it('fails closed: an unfinished or failed render airs the no-broadcast card', async () => {
    act({ type: 'start', at: 100_000 });
    act({ type: 'mask', at: 100_500, mask: black({ kind: 'mute', region: undefined }) });
    renderOutcome = 'hang';
    segment(0, 100_000);
    at(101_000);
    renderOutcome = 'fail';
    segment(1, 102_000);
    at(103_000);
    await settle();
    at(104_000 + D);
    expect(await publicBodies()).toEqual(['slate no-broadcast', 'slate no-broadcast']);
  });

  it('replaces every segment a card mask touches with the no-broadcast card', async () => {
    act({ type: 'start', at: 100_000 });
    act({ type: 'mask', at: 101_900, mask: black({ kind: 'card', region: undefined, start: 101_900, end: 102_100 }) });
    segment(0, 100_000);
    segment(1, 102_000);
    segment(2, 104_000);
    at(106_000 + D);
    expect(await publicBodies()).toEqual(['slate no-broadcast', 'slate no-broadcast', 'program 2 hi']);
  });

  it('ends the playlist with the end card once the end instant is released', async () => {
    act({ type: 'start', at: 100_000 });
    segment(0, 100_000);
    act({ type: 'end', at: 102_000 });
    at(102_000 + D);
    await line.flushed();
    expect(line.finished).toBe(true);
    expect(await publicBodies()).toEqual(['program 0 hi', 'slate ended']);
    expect((await readFile(path.join(dir, 'public', 'h', 'hi', 'index.m3u8'), 'utf8')).trim().endsWith('#EXT-X-ENDLIST')).toBe(true);
  });
});
