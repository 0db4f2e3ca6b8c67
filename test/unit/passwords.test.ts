import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/load.ts';
import { hashPassword, SCRYPT_LOG_N, verifyPassword } from '../../server/service/identity/passwords.ts';

describe('password hashes', () => {
  it('hash at OWASP’s scrypt minimum unless configured, and the config refuses anything weaker than 2^14', () => {
    expect(SCRYPT_LOG_N).toBe(17);
    expect(loadConfig({ env: {} }).auth.scryptLogN).toBe(17);
    expect(loadConfig({ env: { COURTCAST_SCRYPT_LOG_N: '14' } }).auth.scryptLogN).toBe(14);
    for (const bad of ['13', '21', '15.5', 'cheap']) expect(() => loadConfig({ env: { COURTCAST_SCRYPT_LOG_N: bad } }), bad).toThrow(ConfigError);
  });

  it('keep their own cost, so a hash made at one cost verifies after the setting changes', async () => {
    const cheap = await hashPassword('the right password', 14);
    expect(cheap.split('$').slice(0, 4)).toEqual(['scrypt', String(2 ** 14), '8', '1']);
    expect(await verifyPassword('the right password', cheap)).toBe(true);
    expect(await verifyPassword('the wrong password', cheap)).toBe(false);
    const dear = await hashPassword('the right password');
    expect(dear.split('$')[1]).toBe(String(2 ** 17));
    expect(await verifyPassword('the right password', dear)).toBe(true);
  });
});
