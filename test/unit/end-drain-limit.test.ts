import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Hearing } from '../../server/domain/courts.ts';
import { applyAction, emptyProgram } from '../../server/domain/program.ts';
import type { DelayLine } from '../../server/delay/delay-line.ts';
import type { HearingPipeline } from '../../server/pipeline/hearing-pipeline.ts';
import { LiveHearing } from '../../server/service/broadcast/live-hearing.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;

/**
 * The end's drain limit, on a live hearing whose transcoder never catches up: a pipeline and a
 * delay line that only say what they are asked (the limit is the live hearing's own decision).
 */
describe('end drain limit', () => {
  let now = 1_000_000;
  beforeEach(() => {
    vi.useFakeTimers();
    now = 1_000_000;
  });
  afterEach(() => vi.useRealTimers());

  const build = (endDrainMs: number) => {
    let closed = false;
    const pipeline = Object.assign(new EventEmitter(), { encoder: 'connected', transcoding: true, liveMasks: null, close: async () => void (closed = true) });
    const delay = Object.assign(new EventEmitter(), { releasedUntil: now, dumpPending() {}, close: async () => {}, addPending() {}, markGap() {} });
    const started = applyAction(emptyProgram(now - 60_000), { type: 'start', at: now - 30_000 });
    if (!started.ok) throw new Error('could not start');
    const live = new LiveHearing({ id: 'hg_limittest1' } as Hearing, pipeline as unknown as HearingPipeline, delay as unknown as DelayLine, started.program, {
      persistProgram: async () => {},
      logger: silent,
      now: () => now,
      segmentSeconds: 2,
      graceMs: 120_000,
      endDrainMs,
    });
    return { live, pipeline, closed: () => closed };
  };

  it('stops the transcoder at the configured limit and says from when the rest aired as slates', async () => {
    const { live, pipeline, closed } = build(5_000);
    const cutShort: unknown[] = [];
    live.on('drainCutShort', (e) => cutShort.push(e));
    // The transcoder's newest segment ends 8 s before the end: it is that far behind.
    pipeline.emit('segment', { captureEnd: now - 8_000 });
    live.command('end');
    const endAt = now;
    now += 4_750;
    await vi.advanceTimersByTimeAsync(4_750);
    expect(closed()).toBe(false);
    expect(cutShort).toEqual([]);
    now += 500;
    await vi.advanceTimersByTimeAsync(500);
    expect(closed()).toBe(true);
    expect(cutShort).toEqual([{ airedUntil: endAt - 8_000, endAt, limitMs: 5_000 }]);
  });

  it('says nothing when the drain finishes in time', async () => {
    const { live, pipeline, closed } = build(5_000);
    const cutShort: unknown[] = [];
    live.on('drainCutShort', (e) => cutShort.push(e));
    live.command('end');
    const endAt = now;
    now += 1_000;
    pipeline.emit('segment', { captureEnd: endAt + 500 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(closed()).toBe(true);
    expect(cutShort).toEqual([]);
  });
});
