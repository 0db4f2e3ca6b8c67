import { describe, expect, it } from 'vitest';
import { hearingCodec, programCodec } from '../../server/domain/codecs.ts';
import { isCourtcastError } from '../../server/domain/errors.ts';
import { Records, VersionedRecords } from '../../server/store/records.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';

const hearing = {
  id: 'hg_aaaaaaaaaa',
  courtId: 'ct_aaaaaaaaaa',
  courtroomId: 'cr_aaaaaaaaaa',
  caseNumber: 'C-1',
  title: 'T',
  caseType: 'civil',
  scheduledStart: '2026-12-03T10:00:00.000Z',
  delaySeconds: 30,
  isPublic: true,
  status: 'scheduled',
  standingMasks: [{ name: 'witness', kind: 'blur', region: { x: 0, y: 0, w: 0.5, h: 0.5 } }],
};

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!isCourtcastError(err)) throw new Error(`expected a refusal, got ${String(err)}`);
  expect(err.code).toBe('RECORD_UNREADABLE');
  return err.message;
}

describe('records read through their codec', () => {
  it('reads a sound record, and keeps fields it does not know when it is written back', async () => {
    const state = new MemoryStateStore();
    await state.put('hearings', hearing.id, { ...hearing, addedByANewerNode: 7 });
    const records = new Records(state, 'hearings', hearingCodec);
    const read = await records.get(hearing.id);
    expect(read?.standingMasks?.[0]?.kind).toBe('blur');
    await records.put(hearing.id, read!);
    expect(await state.get('hearings', hearing.id)).toMatchObject({ addedByANewerNode: 7 });
  });

  it('refuses a record whose privacy terms are malformed, rather than reading them as none', async () => {
    const state = new MemoryStateStore();
    await state.put('hearings', hearing.id, { ...hearing, standingMasks: 'none' });
    const message = await refusal(new Records(state, 'hearings', hearingCodec).get(hearing.id));
    expect(message).toContain('standingMasks');
    // A listing fails too: one unreadable hearing is not left out of a schedule silently.
    await refusal(new Records(state, 'hearings', hearingCodec).list());
  });

  it('refuses a program whose masks are of a kind nobody can draw', async () => {
    const state = new MemoryStateStore();
    const program = { phase: 'on-air', onAir: [{ start: 1, end: null }], dumped: [], masks: [{ id: 'mk_1', kind: 'smudge', start: 1, end: null }], endedAt: null, lastActionAt: 1 };
    await state.put('programs', 'h', program);
    await refusal(new Records(state, 'programs', programCodec).get('h'));
  });

  it('answers null for an absent record', async () => {
    expect(await new Records(new MemoryStateStore(), 'hearings', hearingCodec).get('nobody')).toBeNull();
  });

  it('loses no update when two writers change one versioned record at once', async () => {
    const state = new MemoryStateStore();
    const records = new VersionedRecords(state, 'hearings', hearingCodec);
    await records.put(hearing.id, hearingCodec.parse(hearing));
    await Promise.all([records.update(hearing.id, (h) => ({ ...h!, title: 'New title' })), records.update(hearing.id, (h) => ({ ...h!, status: 'live' }))]);
    expect(await records.get(hearing.id)).toMatchObject({ title: 'New title', status: 'live', version: 2 });
  });
});
