import { describe, expect, it } from 'vitest';
import type { Hearing } from '../../server/domain/courts.ts';
import { approvalBlockers, clearance, emptyGovernance, mayDecideOwn, publishable, reviewSubjectOf, termsOf, type Application, type GovernanceRecord } from '../../server/domain/governance.ts';
import { applyAction, decide, emptyProgram, type BroadcastProgram, type ProgramAction } from '../../server/domain/program.ts';

const hearing = (over: Partial<Hearing> = {}): Hearing =>
  ({ id: 'hr_1', courtId: 'ct_1', courtroomId: 'cr_1', caseNumber: 'C-1', title: 'A v. B', caseType: 'civil', scheduledStart: '2026-12-01T09:00:00.000Z', delaySeconds: 10, isPublic: true, status: 'scheduled', ...over }) as Hearing;
const who = { userId: 'us_1', username: 'judge' };
const clerk = { userId: 'us_2', username: 'clerk' };
const approved = (h: Hearing, scopes: Application['scopes'] = ['live']): Application => ({
  id: 'ap_1',
  scopes,
  grounds: 'public interest',
  filedBy: clerk,
  filedAt: 1,
  decision: { outcome: 'approved', reason: 'ok', by: who, at: 2, terms: termsOf(h) },
});
const reviewOf = (h: Hearing) => ({ id: 'rv_1', checklist: { personalData: true, minors: true, masks: true }, note: null, by: who, at: 1, subject: reviewSubjectOf(h) });
/** A record with one application and, unless `more` says otherwise, a review of the hearing as it stands. */
const withApp = (h: Hearing, app: Application, more: Partial<GovernanceRecord> = {}): GovernanceRecord => ({ ...emptyGovernance(h.id), applications: [app], reviews: [reviewOf(h)], ...more });

describe('broadcast governance', () => {
  it('clears a hearing only with an approved, unrevoked application covering the scope', () => {
    const h = hearing();
    expect(clearance(h, emptyGovernance(h.id), 'live')).toEqual({ cleared: false, blockers: ['no-application', 'not-reviewed'] });
    const { decision: _pending, ...filed } = approved(h);
    expect(clearance(h, withApp(h, filed), 'live').blockers).toEqual(['not-approved']);
    expect(clearance(h, withApp(h, approved(h)), 'live')).toEqual({ cleared: true, blockers: [] });
    expect(clearance(h, withApp(h, approved(h)), 'replay').blockers).toEqual(['scope-not-approved']);
    expect(clearance(h, withApp(h, { ...approved(h), revoked: { reason: 'r', by: who, at: 3 } }), 'live').blockers).toEqual(['approval-revoked']);
  });

  it('takes four eyes: an approval by its own applicant clears nothing, and the applicant may only refuse', () => {
    const h = hearing();
    const own = approved(h);
    const selfApproved: Application = { ...own, filedBy: who };
    expect(clearance(h, withApp(h, selfApproved), 'live')).toEqual({ cleared: false, blockers: ['self-approved'] });
    const { decision: _pending, ...filed } = own;
    expect(mayDecideOwn(filed, clerk, 'approved')).toBe(false);
    expect(mayDecideOwn(filed, clerk, 'refused')).toBe(true);
    expect(mayDecideOwn(filed, who, 'approved')).toBe(true);
  });

  it('airs nothing without a confidentiality review of the hearing as it stands', () => {
    const h = hearing();
    const g = withApp(h, approved(h, ['live', 'replay']), { reviews: [] });
    expect(clearance(h, g, 'live').blockers).toEqual(['not-reviewed']);
    expect(clearance(h, g, 'replay').blockers).toEqual(['not-reviewed']);
    // A review of other details (the title since changed) is no review.
    expect(clearance({ ...h, title: 'A (a minor) v. B' }, { ...g, reviews: [reviewOf(h)] }, 'live').blockers).toEqual(['not-reviewed']);
  });

  it('never clears a hearing heard in private, whatever was approved', () => {
    const h = hearing({ isPublic: false });
    expect(approvalBlockers(h, emptyGovernance(h.id))).toContain('heard-in-private');
    expect(clearance(h, withApp(h, approved(h)), 'live').cleared).toBe(false);
  });

  it('needs standing masks for a restricted ground, and lapses an approval when the restrictions change', () => {
    const restricted = hearing({ grounds: [{ ground: 'personal-privacy' }] });
    expect(approvalBlockers(restricted, emptyGovernance(restricted.id))).toEqual(['masks-required']);
    const masked = hearing({ grounds: [{ ground: 'personal-privacy' }], standingMasks: [{ name: 'witness', kind: 'blur', region: { x: 0, y: 0, w: 0.5, h: 0.5 } }] });
    expect(approvalBlockers(masked, emptyGovernance(masked.id))).toEqual([]);
    const g = withApp(masked, approved(masked));
    expect(clearance(masked, g, 'live').cleared).toBe(true);
    const unmasked = { ...masked, standingMasks: [] };
    expect(clearance(unmasked, { ...g, reviews: [reviewOf(unmasked)] }, 'live').blockers).toEqual(['masks-required', 'terms-changed']);
    // The title is not a restriction: changing it keeps the approval, but not the review.
    const renamed = { ...masked, title: 'renamed' };
    expect(clearance(renamed, g, 'live').blockers).toEqual(['not-reviewed']);
    expect(clearance(renamed, { ...g, reviews: [reviewOf(renamed)] }, 'live').cleared).toBe(true);
  });

  it('blocks approval while an objection is undecided or upheld, not once it is dismissed', () => {
    const h = hearing();
    const objection = { id: 'ob_1', objector: 'party' as const, name: 'B', ground: 'privacy', filedAt: 1, recordedBy: who };
    expect(approvalBlockers(h, { ...emptyGovernance(h.id), objections: [objection] })).toEqual(['objection-pending']);
    expect(approvalBlockers(h, { ...emptyGovernance(h.id), objections: [{ ...objection, decision: { outcome: 'upheld', reason: 'r', by: who, at: 2 } }] })).toEqual(['objection-upheld']);
    expect(approvalBlockers(h, { ...emptyGovernance(h.id), objections: [{ ...objection, decision: { outcome: 'dismissed', reason: 'r', by: who, at: 2 } }] })).toEqual([]);
  });

  it('publishes a page only with a review of the details as they stand', () => {
    const h = hearing();
    const review = reviewOf(h);
    expect(publishable(h, emptyGovernance(h.id))).toBe(false);
    expect(publishable(h, { ...emptyGovernance(h.id), reviews: [review] })).toBe(true);
    expect(publishable({ ...h, title: 'A (a minor) v. B' }, { ...emptyGovernance(h.id), reviews: [review] })).toBe(false);
    expect(publishable({ ...h, isPublic: false }, { ...emptyGovernance(h.id), reviews: [review] })).toBe(false);
  });
});

describe('a withdrawn broadcast', () => {
  const run = (...actions: ProgramAction[]): BroadcastProgram =>
    actions.reduce((p, a) => {
      const r = applyAction(p, a);
      if (!r.ok) throw new Error(r.error.message);
      return r.program;
    }, emptyProgram());

  it('dumps the unreleased window and shows the no-broadcast card, where a clerk’s cut shows "interrupted"', () => {
    const withdrawn = run({ type: 'start', at: 0 }, { type: 'cut', at: 20_000, releasedUntil: 10_000, withdrawn: true });
    expect(decide(withdrawn, { start: 8000, end: 10_000 })).toEqual({ action: 'air' });
    expect(decide(withdrawn, { start: 12_000, end: 14_000 })).toEqual({ action: 'slate', slate: 'no-broadcast' });
    expect(decide(withdrawn, { start: 22_000, end: 24_000 })).toEqual({ action: 'slate', slate: 'no-broadcast' });
    const cut = run({ type: 'start', at: 0 }, { type: 'cut', at: 20_000, releasedUntil: 10_000 });
    expect(decide(cut, { start: 12_000, end: 14_000 })).toEqual({ action: 'slate', slate: 'interrupted' });
    expect(decide(cut, { start: 22_000, end: 24_000 })).toEqual({ action: 'slate', slate: 'interrupted' });
  });
});
