import { describe, expect, it } from 'vitest';
import { gate, type GateInput } from '../../server/delay/gate.ts';
import type { RenderPlan } from '../../server/delay/render-plan.ts';

const air = { action: 'air' } as const;
const paused = { action: 'slate', slate: 'paused' } as const;
const maskPlan: RenderPlan = { key: 'k', masks: [], over: [], masked: true, windows: null };
const splicePlan: RenderPlan = { key: 'k|w', masks: [], over: [], masked: false, windows: [{ slate: 'paused', from: 20, to: 60 }] };
const input = (over: Partial<GateInput>): GateInput => ({ decision: air, complete: true, plan: null, rendered: false, liveProven: () => false, ...over });

describe('the release gate', () => {
  it('airs whole, unmasked program media as transcoded', () => {
    expect(gate(input({}))).toEqual({ air: 'pending' });
  });

  it('never half-airs: a missing rung is the stand-by slate, an off-air segment its program slate', () => {
    expect(gate(input({ complete: false }))).toEqual({ slate: 'standby', reason: 'media-missing' });
    expect(gate(input({ decision: paused }))).toEqual({ slate: 'paused', reason: 'program' });
  });

  it('airs masked media only proven: by the live slots, else a finished render, else the card', () => {
    expect(gate(input({ plan: maskPlan, liveProven: () => true }))).toEqual({ air: 'pending', masked: true, live: true });
    expect(gate(input({ plan: maskPlan, rendered: true }))).toEqual({ air: 'render', masked: true });
    expect(gate(input({ plan: maskPlan }))).toEqual({ slate: 'no-broadcast', reason: 'mask-unproven' });
  });

  it('airs a segment an edge falls in only as a finished splice, else its program slate', () => {
    expect(gate(input({ decision: paused, plan: splicePlan, rendered: true, liveProven: () => true }))).toEqual({ air: 'render', spliced: true });
    expect(gate(input({ decision: paused, plan: { ...splicePlan, masked: true }, rendered: true }))).toEqual({ air: 'render', spliced: true, masked: true });
    expect(gate(input({ decision: paused, plan: splicePlan }))).toEqual({ slate: 'paused', reason: 'program' });
    expect(gate(input({ decision: paused, plan: splicePlan, rendered: true, complete: false }))).toEqual({ slate: 'paused', reason: 'program' });
  });
});
