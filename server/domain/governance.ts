/**
 * Broadcast governance as pure data and rules: who applied to broadcast a hearing, who approved
 * or refused it, the objections of the prosecutor and the parties and how they were decided, and
 * the confidentiality review that must precede anything the public reads. Nothing here does I/O;
 * the service keeps one record per hearing and asks these functions what is allowed.
 */
import type { Hearing } from './courts.ts';

/** What an application asks for: the live broadcast, the replay, or both. */
export const BROADCAST_SCOPES = ['live', 'replay'] as const;
/** One thing an application may ask for. */
export type BroadcastScope = (typeof BROADCAST_SCOPES)[number];

/** Who did something, as the record keeps it. */
export interface ActorRef {
  readonly userId: string;
  readonly username: string;
}

/** A decision with its author, reason and time (ms since the epoch). */
export interface Decision<O extends string> {
  readonly outcome: O;
  readonly reason: string;
  readonly by: ActorRef;
  readonly at: number;
}

/** The trial division's application to broadcast, and the leadership's answer to it. */
export interface Application {
  readonly id: string;
  readonly scopes: readonly BroadcastScope[];
  readonly grounds: string;
  readonly filedBy: ActorRef;
  readonly filedAt: number;
  readonly decision?: Decision<'approved' | 'refused'> & {
    /** The hearing's restrictions as approved; a later change to them lapses the approval. */
    readonly terms: string;
  };
  readonly revoked?: { readonly reason: string; readonly by: ActorRef; readonly at: number };
}

/** Who may object to a broadcast. */
export const OBJECTORS = ['prosecutor', 'party'] as const;

/** An objection to the broadcast, recorded by the court's staff, and its ruling. */
export interface Objection {
  readonly id: string;
  readonly objector: (typeof OBJECTORS)[number];
  /** The objecting person or party, as they are named in the case. */
  readonly name: string;
  readonly ground: string;
  readonly filedAt: number;
  readonly recordedBy: ActorRef;
  readonly decision?: Decision<'upheld' | 'dismissed'>;
}

/** The questions a reviewer answers before the public reads about a hearing or sees its replay. */
export interface ReviewChecklist {
  /** The title and case details carry no personal data that may not be published. */
  readonly personalData: boolean;
  /** No minor can be identified from them. */
  readonly minors: boolean;
  /** The masks the hearing requires are set. */
  readonly masks: boolean;
}

/** A reviewer's sign-off on what the public will read. */
export interface Review {
  readonly id: string;
  readonly checklist: ReviewChecklist;
  readonly note: string | null;
  readonly by: ActorRef;
  readonly at: number;
  /** What was reviewed; a later change to it needs a new review. */
  readonly subject: string;
}

/** Everything decided about whether one hearing may reach the public. */
export interface GovernanceRecord {
  readonly hearingId: string;
  readonly applications: readonly Application[];
  readonly objections: readonly Objection[];
  readonly reviews: readonly Review[];
  /** How many times the record was written (compare-and-set in the state store); absent on older records. */
  readonly version?: number;
}

/** A hearing with nothing filed yet. */
export function emptyGovernance(hearingId: string): GovernanceRecord {
  return { hearingId, applications: [], objections: [], reviews: [] };
}

/** Why a hearing may not be approved, or may not air. */
export type Blocker =
  | 'heard-in-private'
  | 'masks-required'
  | 'objection-pending'
  | 'objection-upheld'
  | 'no-application'
  | 'not-approved'
  | 'self-approved'
  | 'approval-revoked'
  | 'terms-changed'
  | 'scope-not-approved'
  | 'not-reviewed';

/** The sentence a clerk reads for each blocker. */
export const BLOCKER_MESSAGES: Readonly<Record<Blocker, string>> = {
  'heard-in-private': 'the hearing is heard in private and can never be broadcast',
  'masks-required': 'the hearing has a ground for privacy and no standing mask to protect it',
  'objection-pending': 'an objection to the broadcast has not been decided',
  'objection-upheld': 'an objection to the broadcast was upheld',
  'no-application': 'no application to broadcast has been filed',
  'not-approved': 'the application to broadcast has not been approved',
  'self-approved': 'the application was approved by the person who filed it; another approver must decide it',
  'approval-revoked': 'the approval to broadcast was revoked',
  'terms-changed': "the hearing's privacy grounds or standing masks changed after the approval",
  'scope-not-approved': 'the approval does not cover this',
  'not-reviewed': 'the confidentiality review has not been signed off for the hearing as it stands',
};

const stable = (v: unknown): string => JSON.stringify(v);

/** The restrictions an approval is given on: a change to any of them lapses the approval. */
export function termsOf(h: Hearing): string {
  return stable({ isPublic: h.isPublic, grounds: h.grounds ?? [], standingMasks: h.standingMasks ?? [] });
}

/** What a confidentiality review covers: everything the public reads, and the masks. */
export function reviewSubjectOf(h: Hearing): string {
  return stable({ caseNumber: h.caseNumber, title: h.title, caseType: h.caseType, grounds: h.grounds ?? [], standingMasks: h.standingMasks ?? [] });
}

/**
 * What stands in the way of approving the hearing at all: privacy that forbids it, or objections
 * not yet decided or upheld. Empty means an approver may approve.
 */
export function approvalBlockers(h: Hearing, g: GovernanceRecord): Blocker[] {
  const out: Blocker[] = [];
  if (!h.isPublic) out.push('heard-in-private');
  if ((h.grounds ?? []).length > 0 && (h.standingMasks ?? []).length === 0) out.push('masks-required');
  if (g.objections.some((o) => !o.decision)) out.push('objection-pending');
  if (g.objections.some((o) => o.decision?.outcome === 'upheld')) out.push('objection-upheld');
  return out;
}

/** The application filed last: the one that governs. */
export function currentApplication(g: GovernanceRecord): Application | null {
  return g.applications.at(-1) ?? null;
}

/**
 * Whether `by` may approve `app`: four eyes, so never the person who filed it. Refusing one's own
 * application is allowed (it lets nothing more reach the public).
 */
export function mayDecideOwn(app: Application, by: ActorRef, outcome: 'approved' | 'refused'): boolean {
  return outcome === 'refused' || app.filedBy.userId !== by.userId;
}

/**
 * Whether the hearing may go to the public for `scope` now, and if not, every reason why. It is
 * cleared only by an approved, unrevoked application covering the scope, decided by someone other
 * than its applicant and given on the hearing's present restrictions, with nothing blocking
 * approval since, and by a confidentiality review of the hearing as it stands: the one gate for
 * every public surface, the pictures as well as the pages.
 */
export function clearance(h: Hearing, g: GovernanceRecord, scope: BroadcastScope): { readonly cleared: boolean; readonly blockers: Blocker[] } {
  const blockers = approvalBlockers(h, g);
  const app = currentApplication(g);
  if (!app) blockers.push('no-application');
  else if (app.decision?.outcome !== 'approved') blockers.push('not-approved');
  else if (app.revoked) blockers.push('approval-revoked');
  else {
    // A record written before four eyes were enforced (or by a node that did not) still does not clear.
    if (!mayDecideOwn(app, app.decision.by, 'approved')) blockers.push('self-approved');
    if (app.decision.terms !== termsOf(h)) blockers.push('terms-changed');
    if (!app.scopes.includes(scope)) blockers.push('scope-not-approved');
  }
  if (reviewInForce(h, g) === null) blockers.push('not-reviewed');
  return { cleared: blockers.length === 0, blockers };
}

/** The review in force: the latest sign-off, if it was given on what the public reads now. */
export function reviewInForce(h: Hearing, g: GovernanceRecord): Review | null {
  const last = g.reviews.at(-1);
  return last && last.subject === reviewSubjectOf(h) ? last : null;
}

/** Whether the public may read about a hearing: heard in public and reviewed as it stands. */
export function publishable(h: Hearing, g: GovernanceRecord): boolean {
  return h.isPublic && reviewInForce(h, g) !== null;
}

/** Whether every question of the checklist was answered yes. */
export function checklistComplete(c: ReviewChecklist): boolean {
  return c.personalData && c.minors && c.masks;
}
