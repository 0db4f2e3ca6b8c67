import { describe, expect, it } from 'vitest';
import { decide } from '../../server/domain/program.ts';
import { programOnArrival } from '../../server/domain/takeover.ts';
import { programOf as run } from '../support/program.ts';

const onAir = run({ type: 'start', at: 1_000 });

describe('the program a node continues a hearing with', () => {
  it('holds an on-air hearing taken from a node that stopped answering: nothing that node had not aired airs', () => {
    const { program, held } = programOnArrival(onAir, 'taken-over', { action: 'slate-aired', params: { slate: 'interrupted' } }, 'node-b', 48_000);
    expect(held).toBe(true);
    expect(program.phase).toBe('paused');
    // Captured after the dead node's release position, before the takeover (this node's own
    // media from a reconnected encoder): held, as after it.
    expect(decide(program, { start: 50_000, end: 52_000 })).toMatchObject({ action: 'slate' });
    expect(decide(program, { start: 60_000, end: 62_000 })).toMatchObject({ action: 'slate' });
    expect(decide(program, { start: 44_000, end: 46_000 })).toEqual({ action: 'air' });
  });

  it('holds from the last stored action when no release position was saved, and never before it', () => {
    const resumed = run({ type: 'start', at: 1_000 }, { type: 'cut', at: 30_000, releasedUntil: 25_000, withdrawn: false }, { type: 'resume', at: 31_000 });
    expect(decide(programOnArrival(resumed, 'taken-over', undefined, 'node-b', undefined).program, { start: 31_500, end: 33_500 })).toMatchObject({ action: 'slate' });
    // A release position older than the resume holds from the resume: the cut still dumps what it dumped.
    const held = programOnArrival(resumed, 'taken-over', undefined, 'node-b', 20_000).program;
    expect(held.lastActionAt).toBe(31_000);
    expect(held.dumped).toEqual(resumed.dumped);
    expect(decide(held, { start: 32_000, end: 34_000 })).toMatchObject({ action: 'slate' });
  });

  it('holds when the trail could not be read, or was handed to another node, or the entry is malformed', () => {
    for (const last of [undefined, { action: 'handed-over', params: { to: 'node-c' } }, { action: 'handed-over', params: null }, { action: 'handed-over' }]) {
      expect(programOnArrival(onAir, 'taken-over', last, 'node-b', 48_000).held).toBe(true);
    }
  });

  it('keeps a hearing handed to this node on air: its program was saved before it was handed', () => {
    const { program, held } = programOnArrival(onAir, 'taken-over', { action: 'handed-over', params: { to: 'node-b' } }, 'node-b', 48_000);
    expect(held).toBe(false);
    expect(program).toBe(onAir);
  });

  it('leaves a hearing that was not on air, and a restart on the same node, as they were', () => {
    const paused = run({ type: 'start', at: 1_000 }, { type: 'pause', at: 5_000 });
    expect(programOnArrival(paused, 'taken-over', undefined, 'node-b', 48_000)).toEqual({ program: paused, held: false });
    expect(programOnArrival(onAir, 'recovered-after-restart', undefined, 'node-b', 48_000)).toEqual({ program: onAir, held: false });
  });
});
