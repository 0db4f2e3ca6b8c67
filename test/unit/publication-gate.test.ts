import { describe, expect, it } from 'vitest';
import type { Hearing } from '../../server/domain/courts.ts';
import { CourtcastError } from '../../server/domain/errors.ts';
import { PublicationGate, type PublicationSource } from '../../server/service/publicity/publication-gate.ts';

/** A store of hearings that can be made to fail, hang or change under the gate. */
function source() {
  const publishable = new Map<string, boolean>();
  let fault: 'none' | 'error' | 'hang' = 'none';
  let reads = 0;
  const s: PublicationSource = {
    hearing: async (id) => {
      reads++;
      if (fault === 'error') throw new Error('ECONNREFUSED');
      if (fault === 'hang') return new Promise<Hearing>(() => undefined);
      if (!publishable.has(id)) throw new CourtcastError('NOT_FOUND', `no hearing ${id}`);
      return { id } as Hearing;
    },
    isPublishable: async (h) => publishable.get(h.id) ?? false,
  };
  return { s, publishable, fail: (f: typeof fault) => void (fault = f), reads: () => reads };
}

describe('publication gate', () => {
  it('answers from memory while fresh, asks again after, and refuses hearings that do not exist', async () => {
    let now = 0;
    const src = source();
    src.publishable.set('hg_a', true);
    const gate = new PublicationGate(src.s, { freshMs: 1_000, now: () => now });
    expect(gate.cached('hg_a')).toBeNull();
    expect(await gate.allows('hg_a')).toBe(true);
    expect(gate.cached('hg_a')).toBe(true);
    src.publishable.set('hg_a', false);
    now = 900;
    expect(await gate.allows('hg_a')).toBe(true);
    now = 1_001;
    expect(gate.cached('hg_a')).toBeNull();
    expect(await gate.allows('hg_a')).toBe(false);
    expect(await gate.allows('hg_nope')).toBe(false);
  });

  it('drops an answer at once when told the hearing changed, even one being read', async () => {
    const src = source();
    src.publishable.set('hg_a', true);
    const gate = new PublicationGate(src.s, { freshMs: 60_000 });
    const reading = gate.allows('hg_a');
    gate.forget('hg_a');
    src.publishable.set('hg_a', false);
    await reading;
    // The read that began before the change is not kept after it.
    expect(gate.cached('hg_a')).toBeNull();
    expect(await gate.allows('hg_a')).toBe(false);
  });

  it('keeps the last answer while the store fails or hangs, and refuses what it never knew', async () => {
    let now = 0;
    const src = source();
    src.publishable.set('hg_a', true);
    src.publishable.set('hg_b', false);
    const gate = new PublicationGate(src.s, { freshMs: 1_000, readMs: 50, now: () => now });
    expect(await gate.allows('hg_a')).toBe(true);
    expect(await gate.allows('hg_b')).toBe(false);
    now = 5_000;
    src.fail('error');
    expect([await gate.allows('hg_a'), await gate.allows('hg_b'), await gate.allows('hg_c')]).toEqual([true, false, false]);
    src.fail('hang');
    const started = Date.now();
    expect([await gate.allows('hg_a'), await gate.allows('hg_c')]).toEqual([true, false]);
    expect(Date.now() - started).toBeLessThan(1_000);
    // One read per hearing at a time, however many viewers ask while it hangs.
    const before = src.reads();
    await Promise.all(Array.from({ length: 20 }, () => gate.allows('hg_a')));
    expect(src.reads() - before).toBe(0);
  });

  it('remembers a bounded number of hearings, so made-up ids cannot grow memory', async () => {
    const src = source();
    const gate = new PublicationGate(src.s, { max: 100 });
    for (let i = 0; i < 1_000; i++) await gate.allows(`hg_made${i}`);
    const held = Array.from({ length: 1_000 }, (_, i) => gate.cached(`hg_made${i}`)).filter((v) => v !== null);
    expect(held.length).toBeLessThanOrEqual(100);
  });
});
