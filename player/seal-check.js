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
