import { describe, expect, it } from 'vitest';
import { publicStateOf } from '../../server/domain/public-state.ts';

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
