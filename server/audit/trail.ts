import { createHash } from 'node:crypto';
import { actingRole, type Principal } from '../domain/users.ts';
import type { StateStore } from '../store/state-store.ts';

/** Who did it: a signed-in person, or Courtcast itself for automatic events. */
export type AuditActor =
  | { readonly kind: 'user'; readonly userId: string; readonly username: string; readonly role: string }
  | { readonly kind: 'system' };

/** The audit actor for a signed-in principal, in the role they act in. */
export function userActor(p: Principal): AuditActor {
  return { kind: 'user', userId: p.userId, username: p.username, role: actingRole(p) };
}

/** What an auditor records for one action or event. */
export interface AuditInput {
  readonly actor: AuditActor;
  readonly action: string;
  readonly params?: Record<string, unknown>;
  readonly reason?: string | null;
  /** The capture-time instant at which it took effect (ms since the epoch), if it has one. */
  readonly effectiveAt?: number | null;
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

/** The result of verifying a chain: the first bad entry is named. */
export type AuditVerdict = { readonly ok: true; readonly entries: number } | { readonly ok: false; readonly entries: number; readonly badSeq: number; readonly problem: string };

/** Entries per hearing kept in memory for consoles. */
const RECENT = 20;

/** The hash before the first entry. */
export const GENESIS = '0'.repeat(64);

/** The hash of an entry: SHA-256 over its fields in a fixed order, without the hash itself. */
export function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  const canonical = JSON.stringify([e.seq, e.at, e.hearingId, e.actor, e.action, sortKeys(e.params), e.reason, e.effectiveAt, e.prevHash]);
  return createHash('sha256').update(canonical).digest('hex');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

/** Checks every link of a chain; pure, so the CLI and the API share it. */
export function verifyChain(raw: readonly string[]): AuditVerdict {
  let prev = GENESIS;
  for (let i = 0; i < raw.length; i++) {
    let e: AuditEntry;
    try {
      e = JSON.parse(raw[i] as string) as AuditEntry;
    } catch {
      return { ok: false, entries: raw.length, badSeq: i, problem: 'entry is not valid JSON' };
    }
    if (e.seq !== i) return { ok: false, entries: raw.length, badSeq: i, problem: `entry says seq ${String(e.seq)}` };
    if (e.prevHash !== prev) return { ok: false, entries: raw.length, badSeq: i, problem: 'does not link to the previous entry' };
    const { hash, ...rest } = e;
    if (entryHash(rest) !== hash) return { ok: false, entries: raw.length, badSeq: i, problem: 'content does not match its hash' };
    prev = hash;
  }
  return { ok: true, entries: raw.length };
}

/**
 * The append-only, hash-chained audit trail, one chain per hearing. Appends for a hearing are
 * serialised in this process (a live hearing is owned by one node), so each entry links to the
 * one before it.
 */
export class AuditTrail {
  private readonly tails = new Map<string, Promise<unknown>>();
  /** The newest entries per hearing, so consoles still show the record while the store is down. */
  private readonly recentEntries = new Map<string, AuditEntry[]>();

  constructor(
    private readonly state: StateStore,
    private readonly now: () => number = Date.now,
  ) {}

  private log(hearingId: string): string {
    return `audit:${hearingId}`;
  }

  /** Appends an entry; resolves with it once stored. */
  append(hearingId: string, input: AuditInput): Promise<AuditEntry> {
    const previous = this.tails.get(hearingId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => this.write(hearingId, input));
    this.tails.set(hearingId, next);
    return next;
  }

  private async write(hearingId: string, input: AuditInput): Promise<AuditEntry> {
    const tail = await this.state.readLog(this.log(hearingId), 1);
    const last = tail.length > 0 ? (JSON.parse(tail[0] as string) as AuditEntry) : null;
    const body: Omit<AuditEntry, 'hash'> = {
      seq: last ? last.seq + 1 : 0,
      at: new Date(this.now()).toISOString(),
      hearingId,
      actor: input.actor,
      action: input.action,
      params: input.params ?? {},
      reason: input.reason ?? null,
      effectiveAt: input.effectiveAt === undefined || input.effectiveAt === null ? null : new Date(input.effectiveAt).toISOString(),
      prevHash: last?.hash ?? GENESIS,
    };
    const entry: AuditEntry = { ...body, hash: entryHash(body) };
    await this.state.append(this.log(hearingId), JSON.stringify(entry));
    const recent = this.recentEntries.get(hearingId) ?? [];
    recent.push(entry);
    this.recentEntries.set(hearingId, recent.slice(-RECENT));
    return entry;
  }

  /** The newest entries this node wrote for a hearing (at most a few dozen), oldest first. */
  recent(hearingId: string, n: number): AuditEntry[] {
    return (this.recentEntries.get(hearingId) ?? []).slice(-n);
  }

  /** Every entry of a hearing's chain, oldest first. */
  async list(hearingId: string): Promise<AuditEntry[]> {
    return (await this.state.readLog(this.log(hearingId))).map((r) => JSON.parse(r) as AuditEntry);
  }

  /** The newest `n` entries of a hearing's chain, oldest first. */
  async tail(hearingId: string, n: number): Promise<AuditEntry[]> {
    return (await this.state.readLog(this.log(hearingId), n)).map((r) => JSON.parse(r) as AuditEntry);
  }

  /** Verifies a hearing's chain. */
  async verify(hearingId: string): Promise<AuditVerdict> {
    return verifyChain(await this.state.readLog(this.log(hearingId)));
  }
}
