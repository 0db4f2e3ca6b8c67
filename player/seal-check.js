// Checks a replay against the court's seal in the viewer's browser, with WebCrypto only: the
// manifest's Ed25519 signature over its seal (the archive's public key), the hash chain of its
// entries up to the head the seal names, that the seal is final, and then each segment the player
// loads against its entry's SHA-256. Nothing here trusts the server that served the replay: a CDN
// or a site in between that changed one byte is caught.

const GENESIS = '0'.repeat(64);
const FORMAT = 'courtcast-archive-manifest/1';

/**
 * RFC 8785 (JCS) canonical JSON, as the server hashes and signs: object keys sorted by UTF-16 code
 * units, no white space, numbers and strings as ECMAScript writes them.
 */
export function canonical(value) {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('not JSON');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v === undefined ? null : v)).join(',')}]`;
  const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
}

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
export const sha256Hex = async (bytes) => hex(await crypto.subtle.digest('SHA-256', bytes));
const utf8 = (s) => new TextEncoder().encode(s);

/** The DER bytes of a PEM. */
function pemBytes(pem) {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** The archive's public key for WebCrypto, or null where the browser has no Ed25519. */
export async function importArchiveKey(pem) {
  try {
    return await crypto.subtle.importKey('spki', pemBytes(pem), { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return null;
  }
}

/**
 * The verdict on a manifest before any segment is loaded: 'sealed' (signature, chain and final
 * seal hold), or why not. `key` is from importArchiveKey.
 */
export async function checkSeal(manifest, key) {
  const seal = manifest?.seal;
  if (!seal || !Array.isArray(manifest.entries) || seal.format !== FORMAT) return { ok: false, why: 'not-a-seal' };
  let signed;
  try {
    const sig = Uint8Array.from(atob(manifest.signature ?? ''), (c) => c.charCodeAt(0));
    signed = await crypto.subtle.verify({ name: 'Ed25519' }, key, sig, utf8(canonical(seal)));
  } catch {
    signed = false;
  }
  if (!signed) return { ok: false, why: 'signature' };
  let prev = GENESIS;
  for (const [i, e] of manifest.entries.entries()) {
    const { hash, ...body } = e;
    if (e.n !== i || e.prev !== prev || (await sha256Hex(utf8(canonical(body)))) !== hash) return { ok: false, why: 'chain', n: i };
    prev = hash;
  }
  if (manifest.entries.length !== seal.count || prev !== seal.head) return { ok: false, why: 'chain', n: null };
  if (seal.final !== true) return { ok: false, why: 'not-final' };
  return { ok: true, seal };
}

/** The entry a replay object (`360p/12.ts`, relative to the as-aired folder) is sealed under, or null. */
export function entryOf(manifest, rel) {
  return manifest.entries.find((e) => e.key === `aired/${rel}`) ?? null;
}

/** Whether a segment's bytes are the ones the seal lists for it. */
export async function segmentMatches(entry, bytes) {
  return entry !== null && bytes.byteLength === entry.size && (await sha256Hex(bytes)) === entry.sha256;
}

// The court's transparency log (RFC 9162): the seal a replay is checked against must be one the
// court logged, or a key holder could re-sign a rewritten archive and serve it. The algorithms are
// the RFC's, on WebCrypto's SHA-256; tree heads are signed with the archive's key.

const TREE_HEAD_FORMAT = 'courtcast-tree-head/1';
const HASH = /^[0-9a-f]{64}$/;
const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));

async function sha256(...parts) {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}
const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);
const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The leaf hash of a log statement: SHA-256(0x00 || its canonical JSON). */
export const statementLeaf = (statement) => sha256(Uint8Array.of(0), utf8(canonical(statement)));

/** A seal as the log keeps it (the time it was signed aside). */
export const sealStatement = (seal) => ({ kind: 'seal', hearingId: seal.hearingId, count: seal.count, head: seal.head, keyId: seal.keyId });

/** Whether `proof` (bytes) shows `leaf` at `index` in a tree of `size` leaves rooted at `root` (RFC 9162, 2.1.3.2). */
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else r = await nodeHash(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && sameBytes(r, root);
}

/** Whether a signed tree head is one, signed by `key` (WebCrypto Ed25519). */
export async function treeHeadSigned(h, key) {
  if (h?.format !== TREE_HEAD_FORMAT || !Number.isInteger(h.treeSize) || h.treeSize < 0 || !HASH.test(h.rootHash ?? '')) return false;
  const { signature, ...head } = h;
  try {
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, Uint8Array.from(atob(signature ?? ''), (c) => c.charCodeAt(0)), utf8(canonical(head)));
  } catch {
    return false;
  }
}

/** Whether a log answer proves its statement in a head signed by `key`: every hash recomputed here. */
export async function provesInclusion(a, key) {
  if (!a || !(await treeHeadSigned(a.head, key)) || !Array.isArray(a.auditPath) || !a.auditPath.every((p) => HASH.test(p))) return false;
  return verifyInclusion(a.index, a.head.treeSize, await statementLeaf(a.statement), a.auditPath.map(fromHex), fromHex(a.head.rootHash));
}

/**
 * What the log's answers say of a seal: { found: 'this-seal', index, treeSize }, 'another-seal'
 * (the court logged a different seal of this hearing: this archive was rolled back or rewritten
 * and signed again), or 'none'. Answers whose proof fails are ignored, as if not given.
 */
export async function sealInLog(seal, answers, key) {
  const mine = await statementLeaf(sealStatement(seal));
  let other = false;
  for (const a of Array.isArray(answers) ? answers : []) {
    if (a?.statement?.kind !== 'seal' || a.statement.hearingId !== seal.hearingId || !(await provesInclusion(a, key))) continue;
    if (sameBytes(await statementLeaf(a.statement), mine)) return { found: 'this-seal', index: a.index, treeSize: a.head.treeSize };
    other = true;
  }
  return { found: other ? 'another-seal' : 'none' };
}

// A live hearing's checkpoint (server/domain/live-checkpoint.ts): the chain of what the court has
// published so far, its head and count signed with the archive's key, the newest entries listed.

const CHECKPOINT_FORMAT = 'courtcast-live-checkpoint/1';

/**
 * Whether a checkpoint of hearing `hearingId` is signed by `key` and its listed entries chain up
 * to the head it signs: { ok: true, checkpoint, byKey } (the newest entry of each file), or why not.
 * `known` (hash → canonical body) holds entries already hashed: consecutive checkpoints list
 * mostly the same entries, and only the new ones are hashed again.
 */
export async function checkCheckpoint(doc, key, hearingId, known = new Map()) {
  const cp = doc?.checkpoint;
  if (cp?.format !== CHECKPOINT_FORMAT || cp.hearingId !== hearingId || !Array.isArray(doc.entries)) return { ok: false, why: 'not-a-checkpoint' };
  let signed;
  try {
    signed = await crypto.subtle.verify({ name: 'Ed25519' }, key, Uint8Array.from(atob(doc.signature ?? ''), (c) => c.charCodeAt(0)), utf8(canonical(cp)));
  } catch {
    signed = false;
  }
  if (!signed) return { ok: false, why: 'signature' };
  const byKey = new Map();
  let prev = null;
  for (const e of doc.entries) {
    const { hash, ...body } = e;
    const text = canonical(body);
    if (prev !== null && (e.prev !== prev.hash || e.n !== prev.n + 1)) return { ok: false, why: 'chain' };
    if (known.get(hash) !== text && (await sha256Hex(utf8(text))) !== hash) return { ok: false, why: 'chain' };
    byKey.set(e.key, e);
    prev = e;
  }
  if ((prev?.hash ?? GENESIS) !== cp.head || (prev ? prev.n + 1 : 0) !== cp.count) return { ok: false, why: 'chain' };
  for (const e of doc.entries) {
    const { hash, ...body } = e;
    known.set(hash, canonical(body));
  }
  return { ok: true, checkpoint: cp, byKey };
}
