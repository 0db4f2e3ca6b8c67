import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * What the audit trail (audit/) and the archive chain (recorder/) share: each is a log whose
 * entries carry the hash of the one before, written by compare-and-append and re-linked after
 * entries another node appended first. Their entry formats stay their own (both are already read
 * by verification scripts outside the server), so what is shared is the arithmetic, not the files.
 */

/** The link before a chain's first entry. */
export const GENESIS = '0'.repeat(64);

/**
 * SHA-256 of the RFC 8785 canonical JSON of `body`: key order, number formatting and locale never
 * change it, and no field can be added unnoticed.
 */
export function canonicalHash(body: unknown): string {
  return createHash('sha256')
    .update(canonicalize(body) ?? '')
    .digest('hex');
}

/**
 * The waiting entries linked on after `head` (null for an empty chain), in order: `link` gives an
 * entry its new place and hash after the previous one. Entries `keep` refuses (already on the chain)
 * are dropped. Pure: the caller writes its local queue with the result before it uses it.
 */
export function relinked<E>(head: E | null, waiting: readonly E[], link: (prev: E | null, entry: E) => E, keep: (entry: E) => boolean = () => true): E[] {
  const out: E[] = [];
  let prev = head;
  for (const e of waiting) {
    if (!keep(e)) continue;
    prev = link(prev, e);
    out.push(prev);
  }
  return out;
}
