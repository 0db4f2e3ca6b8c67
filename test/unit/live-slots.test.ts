import { describe, expect, it } from 'vitest';
import { liveAudioChain, liveVideoGraph, SLOT_KINDS, slotFilters, slotOffCommand, slotOnCommands, slotWindowCommand } from '../../server/media/live-slots.ts';

const plan = { videoPort: 41001, audioPort: 41002, perKind: 2 };
const graph = [...liveVideoGraph(plan, '[0:v:0]fps=30', 'split=2[s0][s1]'), liveAudioChain(plan, '[0:a:0]anull', 'asplit=2[a0][a1]')].join(';');
const region = { x: 0.1, y: 0.2, w: 0.3, h: 0.4 };

describe('live mask slots in the filter graph', () => {
  it('binds both command sockets to loopback only', () => {
    const binds = [...graph.matchAll(/bind_address=([^,;]+)/g)].map((m) => m[1]);
    expect(binds).toEqual(['tcp\\\\://127.0.0.1\\\\:41001', 'tcp\\\\://127.0.0.1\\\\:41002']);
  });

  it('declares every slot once, disabled or neutral', () => {
    for (const kind of SLOT_KINDS) {
      for (const i of [0, 1]) {
        const f = slotFilters(kind, i);
        for (const name of [f.main, f.crop].filter(Boolean)) expect(graph.split(`${name}=`).length - 1, name).toBe(1);
      }
    }
    expect(graph).not.toMatch(/enable=1/);
    expect(graph).toMatch(/volume@mu0=volume=0:enable=0/);
  });

  it('paints black boxes after the blur and pixelate overlays, so black wins', () => {
    expect(graph.indexOf('drawbox@kb0')).toBeGreaterThan(graph.indexOf('overlay@po1'));
    expect(graph.indexOf('drawbox@kb1')).toBeLessThan(graph.indexOf('split=2[s0][s1]'));
  });

  it('addresses only declared filters, and switches on last', () => {
    for (const kind of SLOT_KINDS) {
      const on = slotOnCommands(kind, 1, { region });
      for (const c of [...on, slotOffCommand(kind, 1)]) expect(graph).toContain(`${c.split(' ')[0]}=`);
      expect(on.at(-1)).toMatch(/enable 1$/);
    }
  });

  it('switches on for a window of media time, and a lift narrows it', () => {
    expect(slotOnCommands('black', 0, { region }, { from: 12.3456, to: Number.POSITIVE_INFINITY }).at(-1)).toBe('drawbox@kb0 enable gte(t,12.3456)');
    expect(slotOnCommands('mute', 1, {}, { from: 1, to: Number.POSITIVE_INFINITY })).toEqual(['volume@mu1 enable gte(t,1.0000)']);
    expect(slotWindowCommand('blur', 1, { from: 1, to: 2.5 })).toBe('overlay@bo1 enable gte(t,1.0000)*lt(t,2.5000)');
  });

  it('refuses a region slot without a region', () => {
    expect(() => slotOnCommands('blur', 0, {})).toThrow();
  });
});
