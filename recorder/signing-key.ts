import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { Records } from '../server/store/records.ts';
import { generatedSecret } from '../server/store/secrets.ts';
import type { StateStore } from '../server/store/state-store.ts';
import { keyIdOf } from './manifest.ts';

/** The deployment's archive signing key pair. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public key as PEM (SPKI), what anyone verifying needs. */
  readonly publicPem: string;
  readonly keyId: string;
}

const sharedKeyCodec = z.looseObject({ pem: z.string() });

/**
 * The Ed25519 key that signs archive manifests: the configured PEM (PKCS#8) when there is one,
 * otherwise one generated on first start and kept with the deployment's other secrets, so that
 * manifests signed before a restart still verify after it. With `shared` (a state store several
 * nodes use), the first node's key is kept there and every node signs with it: the deployment
 * publishes one public key, whichever node archived a hearing.
 */
export async function loadSigningKey(dataDir: string, configuredPem?: string, shared?: StateStore | null): Promise<SigningKey> {
  const local = async () => generatedSecret(dataDir, 'archive-signing-key', () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  let pem = configuredPem;
  if (pem === undefined && shared) {
    const mine = await local();
    pem = (await new Records(shared, 'deployment', sharedKeyCodec).putIfAbsent('archive-signing-key', { pem: mine }))?.pem ?? mine;
  }
  pem ??= await local();
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`the archive signing key must be Ed25519, not ${privateKey.asymmetricKeyType}`);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyId: keyIdOf(publicKey) };
}
