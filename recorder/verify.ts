import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SealInLog } from '../server/domain/tree-head.ts';
import type { ObjectReader } from '../server/store/object-store.ts';
import { verifyManifest, type Manifest, type ObjectHasher, type Verdict, type VerifyOptions } from './manifest.ts';

/** A verdict with what the court's transparency log says of its seal. */
export type LoggedVerdict = Verdict & { readonly log?: SealInLog };

/**
 * A final seal's verdict judged against the court's transparency log: every final seal is logged
 * before its archive is complete, so a log holding none of the hearing's, or another one (an
 * archive rolled back to an earlier seal, or rewritten and signed again with the court's key), is a
 * finding. Pure; the CLI and the archive API say the same.
 */
export function judgedByLog(verdict: Verdict, logged: SealInLog): LoggedVerdict {
  const problem = logged.found === 'none' ? "the court's transparency log holds no seal of this hearing" : logged.found === 'another-seal' ? `the court's transparency log holds another final seal of this hearing (${logged.seals.map((s) => `${s.count} entries, head ${s.head.slice(0, 12)}…`).join('; ')}): this archive is not the one the court sealed` : null;
  return problem ? { ...verdict, ok: false, findings: [...verdict.findings, { n: null, key: 'manifest.json', problem }], log: logged } : { ...verdict, log: logged };
}

/** Hashes objects of one hearing folder in a store, streaming (MP4s can be large). */
export function storeHasher(store: Pick<ObjectReader, 'stream'>, folder: string): ObjectHasher {
  return async (key) => {
    const found = await store.stream(`${folder}/${key}`);
    if (!found) return null;
    const h = createHash('sha256');
    let size = 0;
    for await (const chunk of found.body as AsyncIterable<Buffer>) {
      h.update(chunk);
      size += chunk.length;
    }
    return { sha256: h.digest('hex'), size };
  };
}

/** Hashes objects of a hearing folder on the local disk (a copy of the archive, or the local store). */
export function directoryHasher(dir: string): ObjectHasher {
  return async (key) => {
    const file = path.join(dir, ...key.split('/'));
    const s = await stat(file).catch(() => null);
    if (!s?.isFile()) return null;
    const h = createHash('sha256');
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) h.update(chunk);
    return { sha256: h.digest('hex'), size: s.size };
  };
}

/** Parses a manifest, saying plainly when it is not one. */
export function parseManifest(text: string): Manifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw new Error('the manifest is not JSON');
  }
  const candidate = m as Partial<Manifest>;
  if (typeof m !== 'object' || m === null || typeof candidate.seal !== 'object' || !Array.isArray(candidate.entries)) throw new Error('not a Courtcast archive manifest');
  return m as Manifest;
}

/** Reads the archive's public key from a PEM file or a URL (the server's /.well-known/courtcast-archive-key.pem). */
export async function readPublicKey(where: string): Promise<KeyObject> {
  if (!/^https?:\/\//.test(where)) return publicKeyFrom(await readFile(where, 'utf8'));
  const res = await fetch(where);
  if (!res.ok) throw new Error(`${where} answered ${res.status}`);
  return publicKeyFrom(await res.text());
}

/** Reads a public key in PEM (SPKI). */
export function publicKeyFrom(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the key is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
}

/** Verifies the archive of one hearing as it lies in a store. */
export async function verifyStoredHearing(store: Pick<ObjectReader, 'get' | 'stream'>, folder: string, publicKey: KeyObject, o: VerifyOptions = {}): Promise<Verdict> {
  const text = await store.get(`${folder}/manifest.json`);
  if (!text) return { ok: false, signature: 'invalid', final: false, sealedAt: null, seal: null, entries: 0, checkedObjects: 0, findings: [{ n: null, key: 'manifest.json', problem: 'the archive has no manifest' }], lost: [] };
  return verifyManifest(parseManifest(text.toString()), publicKey, storeHasher(store, folder), o);
}

/** Verifies a hearing folder on disk, or a manifest file whose objects lie beside it. */
export async function verifyLocal(target: string, publicKey: KeyObject, o: VerifyOptions = {}): Promise<Verdict> {
  const isDir = (await stat(target)).isDirectory();
  const manifestFile = isDir ? path.join(target, 'manifest.json') : target;
  const m = parseManifest(await readFile(manifestFile, 'utf8'));
  return verifyManifest(m, publicKey, directoryHasher(path.dirname(manifestFile)), o);
}
