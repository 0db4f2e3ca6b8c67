import { z } from 'zod';
import { canonicalHash, GENESIS } from '../domain/hash-chain.ts';
import { actingRole, type Principal } from '../domain/users.ts';

/** Who did it: a signed-in person, or Courtcast itself for automatic events. */
export type AuditActor =
  | { readonly kind: 'user'; readonly userId: string; readonly username: string; readonly role: string }
  | { readonly kind: 'system' };

/** What a stored audit actor must look like. */
export const auditActorCodec: z.ZodType<AuditActor> = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('user'), userId: z.string(), username: z.string(), role: z.string() }),
  z.looseObject({ kind: z.literal('system') }),
]);

/** The audit actor for a signed-in principal, in the role they act in. */
export function userActor(p: Principal): AuditActor {
  return { kind: 'user', userId: p.userId, username: p.username, role: actingRole(p) };
}

/** One stored entry of a hearing's hash chain. */
export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly hearingId: string;
  readonly actor: AuditActor;
  readonly action: string;
  readonly params: Record<string, unknown>;
  readonly reason: string | null;
  readonly effectiveAt: string | null;
  readonly prevHash: string;
  readonly hash: string;
}

/** The newest link of a chain, kept apart from the entries so that cutting or replacing them shows. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/** The result of verifying a chain: the first bad entry is named. */
export type AuditVerdict =
  | { readonly ok: true; readonly entries: number; readonly head: AuditHead | null }
  | { readonly ok: false; readonly entries: number; readonly badSeq: number; readonly problem: string };

export { GENESIS };

/** Every field an entry has; anything more or less is tampering. */
const FIELDS = ['action', 'actor', 'at', 'effectiveAt', 'hash', 'hearingId', 'params', 'prevHash', 'reason', 'seq'];

/**
 * The hash of an entry: SHA-256 over the RFC 8785 canonical JSON of every field but the hash, so
 * key order, number formatting and locale never change it, and no field can be added unnoticed.
 */
export function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  return canonicalHash(e);
}

/** An entry moved on after `prev`: same content, its new place and hash. */
export function linkAfter(prev: AuditHead | null, e: AuditEntry): AuditEntry {
  const { hash: _old, ...body } = e;
  const next = { ...body, seq: prev ? prev.seq + 1 : 0, prevHash: prev?.hash ?? GENESIS };
  return { ...next, hash: entryHash(next) };
}

/** How an anchor is stored: `seq:hash`, one per entry, in a log apart from the entries. */
export const anchorOf = (e: AuditHead): string => `${e.seq}:${e.hash}`;

/** What a chain is checked against: its hearing, and its anchors as stored apart. */
export interface ChainExpectation {
  readonly hearingId: string;
  readonly anchors: readonly string[];
  /** The head as published in the hearing's record: the chain must reach at least this far. */
  readonly head?: AuditHead | null;
}

function entryProblem(raw: string, i: number, prev: string, x: ChainExpectation): string | null {
  let e: AuditEntry;
  try {
    e = JSON.parse(raw) as AuditEntry;
  } catch {
    return 'entry is not valid JSON';
  }
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'entry is not an object';
  const keys = Object.keys(e).sort();
  if (keys.join() !== FIELDS.join()) return `entry has fields ${keys.join(', ')}`;
  if (e.hearingId !== x.hearingId) return `entry belongs to hearing ${String(e.hearingId)}`;
  if (e.seq !== i) return `entry says seq ${String(e.seq)}`;
  if (e.prevHash !== prev) return 'does not link to the previous entry';
  const { hash, ...rest } = e;
  if (entryHash(rest) !== hash) return 'content does not match its hash';
  const anchor = x.anchors[i];
  if (anchor === undefined) return 'entry has no anchor: it was added outside the trail';
  if (anchor !== anchorOf(e)) return 'entry differs from the one anchored: the chain was substituted';
  return null;
}

/**
 * Checks a chain link by link and against its anchors; pure, so the CLI and the API share it.
 * Editing, reordering, substituting (even with a consistent chain of new hashes), moving entries
 * from another hearing, adding fields, and cutting entries off the end all fail, and the verdict
 * names the first entry that is wrong or missing.
 */
export function verifyChain(raw: readonly string[], x: ChainExpectation): AuditVerdict {
  let prev = GENESIS;
  for (let i = 0; i < raw.length; i++) {
    const problem = entryProblem(raw[i] as string, i, prev, x);
    if (problem) return { ok: false, entries: raw.length, badSeq: i, problem };
    prev = (JSON.parse(raw[i] as string) as AuditEntry).hash;
  }
  const expected = Math.max(x.anchors.length, x.head ? x.head.seq + 1 : 0);
  if (expected > raw.length) {
    return { ok: false, entries: raw.length, badSeq: raw.length, problem: `entries from ${raw.length} on are missing: the trail recorded ${expected}` };
  }
  if (x.head && anchorOf(JSON.parse(raw[x.head.seq] as string) as AuditEntry) !== anchorOf(x.head)) {
    return { ok: false, entries: raw.length, badSeq: x.head.seq, problem: 'entry differs from the published head' };
  }
  const last = raw.length > 0 ? (JSON.parse(raw[raw.length - 1] as string) as AuditEntry) : null;
  return { ok: true, entries: raw.length, head: last ? { seq: last.seq, hash: last.hash } : null };
}
