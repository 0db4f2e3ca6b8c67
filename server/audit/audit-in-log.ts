import type { LogStatement } from '../domain/tree-head.ts';
import type { AuditEntry, AuditVerdict } from './chain.ts';
import type { TransparencyLog } from './transparency-log.ts';

/** Where a hearing's audit trail stands against the heads the transparency log holds of it. */
export type AuditInLog =
  | { readonly found: 'none' }
  /** Every logged head is still an entry of the trail: what was logged was not rewritten. */
  | { readonly found: 'kept'; readonly index: number; readonly seq: number }
  /** A logged head is no longer in the trail: its history was rewritten or cut. */
  | { readonly found: 'rewritten'; readonly index: number; readonly seq: number };

type AuditStatement = Extract<LogStatement, { kind: 'audit' }>;

/** The log's audit heads of a hearing, with where each is. */
export async function loggedAuditHeads(log: Pick<TransparencyLog, 'find' | 'range'>, hearingId: string): Promise<{ index: number; statement: AuditStatement }[]> {
  const at = await log.find((s) => s.kind === 'audit' && s.hearingId === hearingId);
  return (await Promise.all(at.map(async (index) => ({ index, statement: (await log.range(index, index + 1))[0] as AuditStatement })))).filter((x) => x.statement?.kind === 'audit');
}

/**
 * A trail's verdict judged against its logged heads: a head the trail no longer reaches (its entry
 * at that seq gone or hashed otherwise) fails it, naming the entry. Pure.
 */
export function judgedAudit(verdict: AuditVerdict, entries: readonly AuditEntry[], logged: readonly { index: number; statement: AuditStatement }[]): AuditVerdict & { readonly log: AuditInLog } {
  if (logged.length === 0) return { ...verdict, log: { found: 'none' } };
  const bySeq = new Map(entries.map((e) => [e.seq, e.hash]));
  const lost = logged.find((l) => bySeq.get(l.statement.seq) !== l.statement.head);
  if (!lost) {
    const newest = logged.at(-1)!;
    return { ...verdict, log: { found: 'kept', index: newest.index, seq: newest.statement.seq } };
  }
  const log: AuditInLog = { found: 'rewritten', index: lost.index, seq: lost.statement.seq };
  // A chain that fails on its own keeps naming its own first bad entry.
  if (!verdict.ok) return { ...verdict, log };
  return { ok: false, entries: verdict.entries, badSeq: lost.statement.seq, problem: `the court's transparency log holds this trail's head at entry ${lost.statement.seq} (log entry ${lost.index}), which the trail no longer reaches: its history was rewritten`, log };
}
