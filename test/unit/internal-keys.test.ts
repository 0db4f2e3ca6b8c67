import { describe, expect, it } from 'vitest';
import { isProgramStream, programStreamId, sourceOfStream } from '../../server/domain/courts.ts';
import { InternalKeys } from '../../server/ingest/internal-keys.ts';

describe('internal stream keys', () => {
  it('opens only the stream it was minted for, and a newer key of that stream shuts the older one', () => {
    const keys = new InternalKeys();
    const a = keys.mint('cr_a~program');
    const b = keys.mint('cr_b~program');
    expect(keys.resolve(a)).toBe('cr_a~program');
    expect(keys.resolve(b)).toBe('cr_b~program');
    expect(keys.resolve('not-a-key')).toBeNull();
    const again = keys.mint('cr_a~program');
    expect(again).not.toBe(a);
    expect(keys.resolve(a)).toBeNull();
    keys.revoke('cr_b~program');
    expect(keys.resolve(b)).toBeNull();
    expect(keys.keys).toEqual([again]);
    // Long and random: not guessable, and never the shape of a courtroom key.
    expect(again).toMatch(/^internal-[\w-]{24}$/);
  });

  it('names a program stream apart from a courtroom feed and from every camera', () => {
    const id = programStreamId('cr_abc123');
    expect(isProgramStream(id)).toBe(true);
    expect(isProgramStream('cr_abc123')).toBe(false);
    expect(isProgramStream('cr_abc123.bench')).toBe(false);
    expect(sourceOfStream(id)).toBeNull();
  });
});
