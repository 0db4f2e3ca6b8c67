import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Hearing } from '../../server/domain/courts.ts';
import { publicStateOf } from '../../server/domain/public-state.ts';
import { PublicStates } from '../../server/service/publicity/public-states.ts';

describe('the public state follows what aired', () => {
  const live = { status: 'live' as const, isPublic: true };
  it('maps each aired outcome to what a viewer is told', () => {
    expect(publicStateOf(live, null)).toBe('starting');
    expect(publicStateOf(live, 'starting')).toBe('starting');
    expect(publicStateOf(live, 'aired')).toBe('live');
    expect(publicStateOf(live, 'paused')).toBe('paused');
    expect(publicStateOf(live, 'interrupted')).toBe('interrupted');
    expect(publicStateOf(live, 'standby')).toBe('interrupted');
    expect(publicStateOf(live, 'no-broadcast')).toBe('not-broadcast');
    expect(publicStateOf(live, 'ended')).toBe('ended');
  });
  it('goes by the registry before the first slot and after the end, and never shows a hearing that is not public', () => {
    expect(publicStateOf({ status: 'scheduled', isPublic: true }, null)).toBe('scheduled');
    expect(publicStateOf({ status: 'ended', isPublic: true }, 'aired')).toBe('ended');
    expect(publicStateOf({ status: 'live', isPublic: false }, 'aired')).toBe('not-broadcast');
  });
});

describe('what other nodes say aired', () => {
  const hearing = { id: 'hr_1', status: 'live', isPublic: true, delaySeconds: 10, scheduledStart: '2026-12-04T09:00:00.000Z' } as Hearing;
  const states = () => new PublicStates(async () => hearing, async () => null, pino({ level: 'silent' }));

  it('drops a message dated beyond the clock skew: it would pin the state it claims', async () => {
    const s = states();
    const now = Date.now();
    expect(s.heard({ hearingId: 'hr_1', outcome: 'no-broadcast', since: Date.parse('2036-01-01T00:00:00Z') }, now)).toBe(false);
    expect(await s.status('hr_1')).toMatchObject({ state: 'starting', since: null });
    expect(s.heard({ hearingId: 'hr_1', outcome: 'aired', since: now - 1_000 }, now)).toBe(true);
    expect(await s.status('hr_1')).toMatchObject({ state: 'live', since: now - 1_000 });
  });
});
