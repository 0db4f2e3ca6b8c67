import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import { canonicalHash, GENESIS } from '../server/domain/hash-chain.ts';
import { keyIdOf } from '../server/domain/key-id.ts';

export const MANIFEST_FORMAT = 'courtcast-archive-manifest/1';
export { GENESIS };

/** What one archived object is. */
export type EntryKind = 'master' | 'source' | 'aired' | 'received' | 'playlist' | 'record' | 'mp4' | 'lost';

/** An archived object as the recorder describes it, before it is chained. */
export interface EntryBody {
  readonly kind: EntryKind;
  /**
   * Key relative to the hearing's folder in the archive, e.g. `master/m0001/000003.ts`. `received`
   * entries hold a publisher's media exactly as it reached us where the master could not keep it
   * so (a WHIP publisher's Opus sound): `received/{session}-r{run}/000003.mkv`.
   */
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  /** Capture interval, ms since the epoch (segments only). */
  readonly captureStart?: number;
  readonly captureEnd?: number;
  /** aired: the timestamp (s) in the file that `captureStart` dates (absent before it was kept). */
  readonly mediaStart?: number;
  readonly durationSec?: number;
  /** master: run and index of the recorder's output. aired: the public slot and rung. */
  readonly run?: number;
  readonly index?: number;
  readonly seq?: number;
  readonly rung?: string;
  /** aired: `aired` for program media, else the slate that stood in. */
  readonly outcome?: string;
  readonly reason?: string;
  /** aired: the master segments its capture interval came from (keys in this manifest). */
  readonly masterKeys?: readonly string[];
  /** aired: the masks that shaped it (ids; the record holds their definitions). */
  readonly masks?: readonly string[];
  readonly spliced?: boolean;
  /** aired, spliced: each cut's timestamp (s) in the file and the capture instant (ms) the gate gave the aired side of it. */
  readonly cuts?: readonly { readonly media: number; readonly capture: number }[];
  /** source: which of the courtroom's further cameras this master segment is of (`sources/{name}/m0001/000003.ts`). */
  readonly source?: string;
  /** master and source: capture dated by frame timestamps on the ingest clock, or only as observed. */
  readonly dated?: 'clock' | 'observed';
  /**
   * lost: the entries whose objects were declared lost (a node died with them unuploaded); its
   * own object is the declaration (who, when, why). They are on the chain still, so the seal
   * keeps saying they were recorded; a verifier reports them as lost rather than as missing.
   */
  readonly lostKeys?: readonly string[];
}

/** A chained entry: `hash` covers the body, `n` and `prev`. */
export type ManifestEntry = EntryBody & { readonly n: number; readonly prev: string; readonly hash: string };

/** The signed statement: it fixes the chain's length and head, so no entry can go unnoticed. */
export interface ManifestSeal {
  readonly format: typeof MANIFEST_FORMAT;
  readonly hearingId: string;
  readonly count: number;
  readonly head: string;
  readonly final: boolean;
  readonly sealedAt: string;
  /** SHA-256 of the signing public key (DER, SPKI), so a verifier can tell which key to use. */
  readonly keyId: string;
}

export interface Manifest {
  readonly seal: ManifestSeal;
  /** Ed25519 over the canonical JSON of `seal`, base64. */
  readonly signature: string;
  readonly entries: readonly ManifestEntry[];
}

/** The hash of an entry: everything in it but the hash itself, canonically serialised. */
export function entryHash(e: Omit<ManifestEntry, 'hash'>): string {
  const { hash: _drop, ...rest } = e as ManifestEntry;
  return canonicalHash(rest);
}

/** Chains `body` after `prev` (null for the first entry). */
export function chain(prev: ManifestEntry | null, body: EntryBody): ManifestEntry {
  const linked = { ...body, n: prev ? prev.n + 1 : 0, prev: prev ? prev.hash : GENESIS };
  return { ...linked, hash: entryHash(linked) };
}

export { keyIdOf };

/** Seals and signs a chain with the deployment's Ed25519 private key. */
export function signManifest(hearingId: string, entries: readonly ManifestEntry[], privateKey: KeyObject, final: boolean, sealedAt: Date): Manifest {
  const seal: ManifestSeal = {
    format: MANIFEST_FORMAT,
    hearingId,
    count: entries.length,
    head: entries.at(-1)?.hash ?? GENESIS,
    final,
    sealedAt: sealedAt.toISOString(),
    keyId: keyIdOf(createPublicKey(privateKey)),
  };
  const signature = sign(null, Buffer.from(canonicalize(seal) ?? ''), privateKey).toString('base64');
  return { seal, signature, entries };
}

/** One thing wrong with an archive, naming where. */
export interface Finding {
  /** The entry's position, or null for the manifest as a whole. */
  readonly n: number | null;
  readonly key: string | null;
  readonly problem: string;
}

/** The verdict on a manifest and the objects it lists. */
export interface Verdict {
  readonly ok: boolean;
  readonly signature: 'valid' | 'invalid' | 'other-key';
  /**
   * Whether the seal is the archive's final one. An interim seal (an archive still being made) is
   * signed as validly as the final one: checked as final, it is a finding, so an earlier seal put
   * in place of the final one cannot pass for the whole record.
   */
  readonly final: boolean;
  /** When the seal was made, as it says. */
  readonly sealedAt: string | null;
  /** The seal as the manifest carries it (what a transparency log is asked about). */
  readonly seal: ManifestSeal | null;
  readonly entries: number;
  readonly checkedObjects: number;
  readonly findings: readonly Finding[];
  /** Entries whose objects are absent because a later entry of the chain declared them lost. */
  readonly lost: readonly { readonly n: number; readonly key: string; readonly declaredIn: number }[];
}

/** Every key a `lost` entry of the chain declares lost, with the last entry that declares it. */
export function declaredLost(entries: Iterable<ManifestEntry>): Map<string, number> {
  const lost = new Map<string, number>();
  for (const e of entries) if (e.kind === 'lost') for (const k of e.lostKeys ?? []) lost.set(k, Math.max(e.n, lost.get(k) ?? -1));
  return lost;
}

/** Whether an entry was declared lost: only a declaration after it on the chain counts. */
export function isLost(declared: ReadonlyMap<string, number>, e: ManifestEntry): boolean {
  return e.kind !== 'lost' && (declared.get(e.key) ?? -1) > e.n;
}

/** Reads an archived object's SHA-256 and size, or null when it is missing. */
export type ObjectHasher = (key: string) => Promise<{ sha256: string; size: number } | null>;

/** How a manifest is checked: as a finished archive's (the default), or as one still being made. */
export interface VerifyOptions {
  /** Accepts an interim seal (an archive still recording or finalizing); the verdict still says it is not final. */
  readonly inProgress?: boolean;
}

/**
 * Checks a manifest with only the public key: the signature over the seal, the seal against the
 * chain (length and head), every link and entry hash, and, when `hashObject` is given, every
 * object's size and SHA-256; and that the seal is final, unless asked to check an archive in
 * progress. Every problem is reported, the first one first.
 */
export async function verifyManifest(m: Manifest, publicKey: KeyObject, hashObject?: ObjectHasher, o: VerifyOptions = {}): Promise<Verdict> {
  const findings: Finding[] = [];
  let signature: Verdict['signature'] = 'invalid';
  if (m.seal?.keyId !== keyIdOf(publicKey)) signature = 'other-key';
  else if (verify(null, Buffer.from(canonicalize(m.seal) ?? ''), publicKey, Buffer.from(m.signature ?? '', 'base64'))) signature = 'valid';
  if (signature !== 'valid') findings.push({ n: null, key: null, problem: signature === 'other-key' ? 'signed with another key' : 'the signature does not match the seal' });
  if (m.seal?.format !== MANIFEST_FORMAT) findings.push({ n: null, key: null, problem: `unknown format ${String(m.seal?.format)}` });
  const final = m.seal?.final === true;
  if (!final && !o.inProgress) findings.push({ n: null, key: null, problem: `the seal is not final: it seals ${String(m.seal?.count)} entries of an archive that was still being made (sealed ${String(m.seal?.sealedAt)}); a finished archive has a final seal (check one still in progress only when asked to)` });

  const entries = Array.isArray(m.entries) ? m.entries : [];
  let prev = GENESIS;
  entries.forEach((e, i) => {
    if (e.n !== i) findings.push({ n: i, key: e.key ?? null, problem: `entry ${i} is numbered ${e.n}: an entry before it is missing or out of order` });
    else if (e.prev !== prev) findings.push({ n: i, key: e.key ?? null, problem: `entry ${i} does not follow the one before it (the chain is broken)` });
    if (entryHash(e) !== e.hash) findings.push({ n: i, key: e.key ?? null, problem: `entry ${i} was altered: its hash does not match its contents` });
    prev = e.hash;
  });
  if (entries.length !== m.seal?.count) findings.push({ n: null, key: null, problem: `the seal counts ${m.seal?.count} entries; the manifest lists ${entries.length}` });
  else if (prev !== m.seal.head) findings.push({ n: null, key: null, problem: 'the last entry is not the one the seal names' });

  let checkedObjects = 0;
  // Only a declaration later on the chain counts: one cannot excuse what was entered after it.
  const declared = declaredLost(entries);
  const lost: { n: number; key: string; declaredIn: number }[] = [];
  if (hashObject) {
    for (const e of entries) {
      const got = await hashObject(e.key).catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }));
      checkedObjects++;
      if (got === null && isLost(declared, e)) lost.push({ n: e.n, key: e.key, declaredIn: declared.get(e.key) as number });
      else if (got === null) findings.push({ n: e.n, key: e.key, problem: `${e.key} is missing from the archive` });
      else if ('error' in got) findings.push({ n: e.n, key: e.key, problem: `${e.key} could not be read: ${got.error}` });
      else if (got.size !== e.size || got.sha256 !== e.sha256) findings.push({ n: e.n, key: e.key, problem: `${e.key} does not match its entry (${got.size} bytes, sha256 ${got.sha256.slice(0, 12)}…; listed ${e.size} bytes, ${e.sha256.slice(0, 12)}…)` });
    }
  }
  findings.sort((a, b) => (a.n ?? -1) - (b.n ?? -1));
  return { ok: findings.length === 0, signature, final, sealedAt: typeof m.seal?.sealedAt === 'string' ? m.seal.sealedAt : null, seal: m.seal ?? null, entries: entries.length, checkedObjects, findings, lost };
}
