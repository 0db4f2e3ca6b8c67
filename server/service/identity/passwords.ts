import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import pLimit from 'p-limit';
import { CourtcastError } from '../../domain/errors.ts';

/**
 * scrypt runs on libuv's thread pool, the same four threads that serve every file read and write
 * of the media path. One hash at a time leaves the rest of the pool to media I/O, and a queue
 * bounded at a few dozen refuses a burst of sign-ins instead of letting it stall publishing.
 */
const hashing = pLimit(1);
const MAX_WAITING = 16;

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> => {
  if (hashing.pendingCount >= MAX_WAITING) return Promise.reject(new CourtcastError('BUSY', 'too many sign-ins at once; try again in a few seconds'));
  return hashing(() => new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)))));
};

/** scrypt cost: N=2^17, r=8, p=1 (OWASP's password storage minimum for scrypt). */
export const SCRYPT_LOG_N = 17;
const PARAMS = { r: 8, p: 1, keylen: 64 } as const;

/**
 * Hashes a password as `scrypt$N$r$p$salt$key` (base64url), never reversible. The cost is stored
 * with the hash, so accounts hashed at another cost still verify.
 */
export async function hashPassword(password: string, logN: number = SCRYPT_LOG_N): Promise<string> {
  const N = 2 ** logN;
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, PARAMS.keylen, { N, r: PARAMS.r, p: PARAMS.p, maxmem: 256 * N * PARAMS.r });
  return ['scrypt', N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Checks a password against a stored hash in constant time. A malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const N = Number(n);
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { N, r: Number(r), p: Number(p), maxmem: 256 * N * Number(r) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
