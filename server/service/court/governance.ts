import { randomUUID } from 'node:crypto';
import { userActor, type AuditTrail } from '../../audit/trail.ts';
import type { Hearing } from '../../domain/courts.ts';
import { CourtcastError } from '../../domain/errors.ts';
import { TypedEmitter } from '../../domain/events.ts';
import {
  approvalBlockers,
  BLOCKER_MESSAGES,
  checklistComplete,
  clearance,
  currentApplication,
  emptyGovernance,
  mayDecideOwn,
  publishable,
  reviewInForce,
  reviewSubjectOf,
  termsOf,
  type ActorRef,
  type Blocker,
  type BroadcastScope,
  type GovernanceRecord,
  type Objection,
  type ReviewChecklist,
} from '../../domain/governance.ts';
import type { Logger } from '../../domain/logger.ts';
import { mayApprove, mayControl, mayReview, type Principal } from '../../domain/users.ts';
import { governanceCodec } from '../../domain/codecs.ts';
import { VersionedRecords } from '../../store/records.ts';
import type { StateStore } from '../../store/state-store.ts';
import type { Registry } from './registry.ts';


export interface GovernanceEvents {
  /** The hearing lost its clearance to air: the broadcast service takes it off at once. */
  withdraw: (hearingId: string, reason: string, by: Principal | null) => void;
  /** Anything a console shows about the hearing's governance changed. */
  changed: (hearingId: string) => void;
}

export interface GovernanceOptions {
  readonly state: StateStore;
  readonly registry: Registry;
  readonly audit: AuditTrail;
  readonly logger: Logger;
  readonly now?: () => number;
}

const ref = (p: Principal): ActorRef => ({ userId: p.userId, username: p.username });
const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

/** The problem a refused broadcast answers with: every reason, each in words. */
export function notCleared(blockers: readonly Blocker[], what: string): CourtcastError {
  return new CourtcastError('NOT_APPROVED', `${what}: ${blockers.map((b) => BLOCKER_MESSAGES[b]).join('; ')}`, { blockers });
}

/**
 * Applications, approvals, objections and confidentiality reviews, one record per hearing in the
 * state store. Everything that lets more reach the public is refused unless the audit trail can
 * record it, and is recorded before it takes effect. Everything that takes the public off a
 * hearing (a revocation, an upheld objection, a new objection) withdraws the live broadcast
 * first and is stored and recorded after, so a store that is down never keeps a hearing on air.
 */
export class Governance extends TypedEmitter<GovernanceEvents> {
  private readonly now: () => number;
  /**
   * Hearings withdrawn whose new record is still being stored: until it is, they are not cleared,
   * so a resume racing a revocation cannot read the old approval.
   */
  private readonly withdrawing = new Map<string, Blocker>();

  private readonly records: VersionedRecords<GovernanceRecord>;

  constructor(private readonly o: GovernanceOptions) {
    super((err, event) => o.logger.error({ err, event }, 'governance listener failed'));
    this.now = o.now ?? Date.now;
    this.records = new VersionedRecords(o.state, 'governance', governanceCodec);
  }

  async record(hearingId: string): Promise<GovernanceRecord> {
    return (await this.records.get(hearingId)) ?? emptyGovernance(hearingId);
  }

  /** The hearing's record with what it means now: clearances, blockers and the review in force. */
  async view(h: Hearing): Promise<GovernanceView> {
    const g = await this.record(h.id);
    return {
      ...g,
      application: currentApplication(g),
      approvalBlockers: approvalBlockers(h, g),
      live: clearance(h, g, 'live'),
      replay: clearance(h, g, 'replay'),
      reviewInForce: reviewInForce(h, g),
      publishable: publishable(h, g),
    };
  }

  /** Whether the hearing may air live now; the reasons when not. */
  async clearance(h: Hearing, scope: BroadcastScope): Promise<ReturnType<typeof clearance>> {
    const held = this.withdrawing.get(h.id);
    if (held) return { cleared: false, blockers: [held] };
    return clearance(h, await this.record(h.id), scope);
  }

  /** Takes a live broadcast off the air now, and keeps it uncleared until the record says why. */
  private withdraw(hearingId: string, why: Blocker, reason: string, p: Principal): void {
    this.withdrawing.set(hearingId, why);
    this.emit('withdraw', hearingId, reason, p);
  }

  /** Ids of hearings whose public page may be shown (heard in public, reviewed as they stand). */
  async publishableIds(hearings: readonly Hearing[]): Promise<Set<string>> {
    const records = new Map((await this.records.list()).map((g) => [g.hearingId, g]));
    return new Set(hearings.filter((h) => publishable(h, records.get(h.id) ?? emptyGovernance(h.id))).map((h) => h.id));
  }

  async isPublishable(h: Hearing): Promise<boolean> {
    return publishable(h, await this.record(h.id));
  }

  /** The clerk's side files an application to broadcast. One may be pending at a time. */
  async apply(hearingId: string, input: { scopes: readonly BroadcastScope[]; grounds: string }, p: Principal): Promise<GovernanceRecord> {
    const h = await this.o.registry.hearing(hearingId);
    if (!mayControl(p, h.courtroomId)) throw new CourtcastError('FORBIDDEN', 'you do not serve this courtroom');
    if (h.status === 'ended') throw new CourtcastError('INVALID_TRANSITION', 'the hearing has ended');
    const app = { id: newId('ap'), scopes: [...new Set(input.scopes)], grounds: input.grounds, filedBy: ref(p), filedAt: this.now() };
    const change = (g: GovernanceRecord): GovernanceRecord => {
      const last = currentApplication(g);
      if (last && !last.decision) throw new CourtcastError('CONFLICT', 'an application is already waiting for a decision');
      // A new application would stand in for the approval in force; it must be revoked first.
      if (last?.decision?.outcome === 'approved' && !last.revoked) throw new CourtcastError('CONFLICT', 'an approval is in force; it must be revoked before a new application');
      return { ...g, applications: [...g.applications, app] };
    };
    return this.commit(h, change, p, 'broadcast-applied', { applicationId: app.id, scopes: app.scopes, grounds: app.grounds });
  }

  /** The court's leadership approves or refuses the pending application. */
  async decide(hearingId: string, applicationId: string, outcome: 'approved' | 'refused', reason: string, p: Principal): Promise<GovernanceRecord> {
    const h = await this.o.registry.hearing(hearingId);
    if (!mayApprove(p, h.courtId)) throw new CourtcastError('FORBIDDEN', "only an approver of the hearing's court decides its broadcast");
    let scopes: readonly BroadcastScope[] = [];
    const change = (g: GovernanceRecord): GovernanceRecord => {
      const app = currentApplication(g);
      if (!app || app.id !== applicationId) throw new CourtcastError('NOT_FOUND', `no pending application ${applicationId}`);
      if (app.decision) throw new CourtcastError('INVALID_TRANSITION', `the application was already ${app.decision.outcome}`);
      if (!mayDecideOwn(app, ref(p), outcome)) throw new CourtcastError('FORBIDDEN', 'you filed this application: another approver of the court must approve it (four eyes)');
      if (outcome === 'approved') {
        const blockers = approvalBlockers(h, g);
        if (blockers.length > 0) throw notCleared(blockers, 'the broadcast cannot be approved');
      }
      scopes = app.scopes;
      const decided = { ...app, decision: { outcome, reason, by: ref(p), at: this.now(), terms: termsOf(h) } };
      return { ...g, applications: [...g.applications.slice(0, -1), decided] };
    };
    change(await this.record(hearingId)); // refused before anything is recorded
    return this.commit(h, change, p, outcome === 'approved' ? 'broadcast-approved' : 'broadcast-refused', { applicationId, scopes }, reason);
  }

  /** Revokes the approval in force; a live broadcast is withdrawn before anything is stored. */
  async revoke(hearingId: string, reason: string, p: Principal): Promise<GovernanceRecord> {
    const h = await this.o.registry.hearing(hearingId);
    if (!mayApprove(p, h.courtId)) throw new CourtcastError('FORBIDDEN', "only an approver of the hearing's court revokes its approval");
    let applicationId = '';
    const change = (g: GovernanceRecord): GovernanceRecord => {
      const app = currentApplication(g);
      if (app?.decision?.outcome !== 'approved' || app.revoked) throw new CourtcastError('INVALID_TRANSITION', 'no approval is in force');
      applicationId = app.id;
      return { ...g, applications: [...g.applications.slice(0, -1), { ...app, revoked: { reason, by: ref(p), at: this.now() } }] };
    };
    change(await this.record(hearingId));
    this.withdraw(hearingId, 'approval-revoked', `approval revoked: ${reason}`, p);
    return this.commit(h, change, p, 'broadcast-approval-revoked', { applicationId }, reason, { safety: true });
  }

  /**
   * Records an objection by the prosecutor or a party. Until it is decided nothing may be
   * approved, and a live broadcast is withdrawn: the objector's privacy outranks the minutes
   * until the ruling.
   */
  async object(hearingId: string, input: { objector: Objection['objector']; name: string; ground: string }, p: Principal): Promise<GovernanceRecord> {
    const h = await this.o.registry.hearing(hearingId);
    if (!mayControl(p, h.courtroomId) && !mayApprove(p, h.courtId)) throw new CourtcastError('FORBIDDEN', 'you do not serve this courtroom');
    const objection: Objection = { id: newId('ob'), ...input, filedAt: this.now(), recordedBy: ref(p) };
    this.withdraw(hearingId, 'objection-pending', `objection by the ${input.objector}: ${input.ground}`, p);
    return this.commit(h, (g) => ({ ...g, objections: [...g.objections, objection] }), p, 'objection-recorded', { objectionId: objection.id, objector: input.objector, name: input.name, ground: input.ground }, null, { safety: true });
  }

  /** An approver rules on an objection: upheld means no broadcast; dismissal needs reasons. */
  async rule(hearingId: string, objectionId: string, outcome: 'upheld' | 'dismissed', reason: string, p: Principal): Promise<GovernanceRecord> {
    const h = await this.o.registry.hearing(hearingId);
    if (!mayApprove(p, h.courtId)) throw new CourtcastError('FORBIDDEN', "only an approver of the hearing's court rules on objections");
    const change = (g: GovernanceRecord): GovernanceRecord => {
      const found = g.objections.find((o) => o.id === objectionId);
      if (!found) throw new CourtcastError('NOT_FOUND', `no objection ${objectionId}`);
      if (found.decision) throw new CourtcastError('INVALID_TRANSITION', `the objection was already ${found.decision.outcome}`);
      return { ...g, objections: g.objections.map((o) => (o.id === objectionId ? { ...o, decision: { outcome, reason, by: ref(p), at: this.now() } } : o)) };
    };
    change(await this.record(hearingId));
    if (outcome === 'upheld') this.withdraw(hearingId, 'objection-upheld', `objection upheld: ${reason}`, p);
    return this.commit(h, change, p, `objection-${outcome}`, { objectionId }, reason, { safety: outcome === 'upheld' });
  }

  /** A reviewer signs off what the public will read about the hearing, on a complete checklist. */
  async review(hearingId: string, input: { checklist: ReviewChecklist; note: string | null }, p: Principal): Promise<GovernanceRecord> {
    const h = await this.o.registry.hearing(hearingId);
    if (!mayReview(p, h.courtId)) throw new CourtcastError('FORBIDDEN', "only a supervisor or an approver of the hearing's court signs off its review");
    if (!checklistComplete(input.checklist)) throw new CourtcastError('VALIDATION_FAILED', 'every question of the checklist must be answered yes before sign-off', { checklist: input.checklist });
    const review = { id: newId('rv'), ...input, by: ref(p), at: this.now(), subject: reviewSubjectOf(h) };
    return this.commit(h, (g) => ({ ...g, reviews: [...g.reviews, review] }), p, 'confidentiality-reviewed', { reviewId: review.id, checklist: input.checklist, note: input.note });
  }

  /**
   * After a change to a hearing's details: withdraws a live broadcast the change left without
   * clearance (its restrictions changed after approval).
   */
  async enforce(h: Hearing, p: Principal | null): Promise<void> {
    const c = clearance(h, await this.record(h.id), 'live');
    if (!c.cleared) this.emit('withdraw', h.id, c.blockers.map((b) => BLOCKER_MESSAGES[b]).join('; '), p);
    this.emit('changed', h.id);
  }

  /**
   * Stores a new record and puts the act on the audit trail. Acts that let more reach the public
   * need the trail first (refused if it cannot record); safety acts have already acted and are
   * stored and recorded whatever the trail's state.
   */
  private async commit(h: Hearing, change: (g: GovernanceRecord) => GovernanceRecord, p: Principal, action: string, params: Record<string, unknown>, reason: string | null = null, opts: { safety?: boolean } = {}): Promise<GovernanceRecord> {
    if (!opts.safety && !(await this.o.audit.ready(h.id))) throw new CourtcastError('STORE_UNAVAILABLE', 'the audit trail cannot record it now, so nothing was changed');
    // Checked against the record as it stands before anything goes on the trail.
    change(await this.record(h.id));
    const entry = { actor: userActor(p), action, params, reason, effectiveAt: this.now() };
    if (!opts.safety) await this.o.audit.append(h.id, entry);
    let next: GovernanceRecord;
    try {
      // Applied to the record as stored (compare-and-set), so an act by another approver or node
      // meanwhile is kept, and this one is checked again against it.
      next = await this.records.update(h.id, (g) => change(g ?? emptyGovernance(h.id)));
    } catch (err) {
      // The trail already holds the act; it must also say the act did not take effect, so a
      // retry's second entry reads as the one that counted.
      if (!opts.safety) await this.o.audit.append(h.id, { actor: entry.actor, action: 'act-not-stored', params: { action }, reason: 'the state store did not take it; nothing changed', effectiveAt: this.now() }).catch(() => undefined);
      throw err;
    } finally {
      this.withdrawing.delete(h.id);
    }
    if (opts.safety) await this.o.audit.append(h.id, entry).catch((err: unknown) => this.o.logger.error({ err, hearingId: h.id, action }, 'could not record a governance act'));
    this.emit('changed', h.id);
    return next;
  }
}

/** A hearing's governance record with what it means now. */
export type GovernanceView = GovernanceRecord & {
  readonly application: ReturnType<typeof currentApplication>;
  readonly approvalBlockers: Blocker[];
  readonly live: ReturnType<typeof clearance>;
  readonly replay: ReturnType<typeof clearance>;
  readonly reviewInForce: ReturnType<typeof reviewInForce>;
  readonly publishable: boolean;
};
