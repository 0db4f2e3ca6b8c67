import { describe, expect, it } from 'vitest';
import { PullTokens } from '../../server/ingest/pull-tokens.ts';

describe('pull tokens for the pipeline’s own pulls', () => {
  it('is spent by the first play that shows it, and by no other', () => {
    const tokens = new PullTokens();
    const t = tokens.issue({ fromKeyframe: true });
    expect(tokens.spend('not-' + t)).toBeNull();
    expect(tokens.spend(t)).toEqual({ fromKeyframe: true });
    expect(tokens.spend(t)).toBeNull();
  });

  it('lapses unspent after a minute, and is then no longer listed for redaction', () => {
    let now = 0;
    const tokens = new PullTokens(() => now);
    const t = tokens.issue({ fromKeyframe: false });
    expect(tokens.outstanding()).toEqual([t]);
    now = 60_001;
    expect(tokens.spend(t)).toBeNull();
    expect(tokens.outstanding()).toEqual([]);
  });
});
