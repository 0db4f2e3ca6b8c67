import { z } from 'zod';
import { Records } from '../store/records.ts';
import type { StateStore } from '../store/state-store.ts';
import { verifyChain, type AuditHead, type AuditVerdict } from './chain.ts';

/** Where a hearing's audit chain lives in the state store: its entries, their anchors, and its published head. */
export const entriesLog = (hearingId: string): string => `audit:${hearingId}`;
export const anchorsLog = (hearingId: string): string => `audit-anchor:${hearingId}`;

export const headRecords = (state: StateStore): Records<AuditHead & { at: string }> => new Records(state, 'audit-heads', z.looseObject({ seq: z.number().int(), hash: z.string(), at: z.string() }));

/** The head published for a hearing in a state store. */
export async function publishedHead(state: StateStore, hearingId: string): Promise<AuditHead | null> {
  const h = await headRecords(state).get(hearingId);
  return h ? { seq: h.seq, hash: h.hash } : null;
}

/** Verifies a hearing's chain as a state store holds it: entries, anchors and published head. */
export async function verifyStoredChain(state: StateStore, hearingId: string): Promise<AuditVerdict> {
  const [raw, anchors, head] = await Promise.all([state.readLog(entriesLog(hearingId)), state.readLog(anchorsLog(hearingId)), publishedHead(state, hearingId)]);
  return verifyChain(raw, { hearingId, anchors, head });
}
