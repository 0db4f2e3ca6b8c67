import { createHash, type KeyObject } from 'node:crypto';

/** The identifier of a public key: SHA-256 of its SPKI DER form, hex. Seals and tree heads name their key by it. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}
