import { describe, expect, it } from 'vitest';
import { Turns } from '../../server/domain/turns.ts';

describe('turns per key', () => {
  it('runs one piece at a time per key, in order, keys apart at once, and a failure ends only its piece', async () => {
    const turns = new Turns();
    const log: string[] = [];
    const piece = (key: string, name: string, ms: number, fail = false) =>
      turns.run(key, async () => {
        log.push(`${name}>`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`<${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([piece('a', 'a1', 30, true), piece('a', 'a2', 5), piece('b', 'b1', 10)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(log.indexOf('<a1')).toBeLessThan(log.indexOf('a2>'));
    expect(log.indexOf('b1>')).toBeLessThan(log.indexOf('<a1'));
  });

  it('says when a key is idle, whatever its pieces did', async () => {
    const turns = new Turns();
    let done = 0;
    void turns.run('a', async () => Promise.reject(new Error('first fails'))).catch(() => undefined);
    void turns.run('a', async () => void (await new Promise((r) => setTimeout(r, 20)), done++));
    await turns.idle('a');
    expect(done).toBe(1);
    await expect(turns.idle('never')).resolves.toBeUndefined();
  });

  it('says when every key is idle, however each piece ended', async () => {
    const turns = new Turns();
    const ended: string[] = [];
    void turns.run('a', () => new Promise<void>((r) => setTimeout(() => {
        ended.push('a');
        r();
      }, 30)));
    void turns.run('b', () => new Promise<void>((_r, reject) => setTimeout(() => {
        ended.push('b');
        reject(new Error('b failed'));
      }, 10))).catch(() => undefined);
    await turns.idleAll();
    expect(ended.sort()).toEqual(['a', 'b']);
  });
});
