// The hearing's broadcast approval on the console: what stands in the way of airing, the
// application and its decision, objections and their rulings, and the confidentiality review.
// Every button is offered to whoever may press it; the server decides all the same.

import { staffClient } from './staff-api.js';

const BLOCKERS = {
  'heard-in-private': 'Heard in private: it can never be broadcast.',
  'masks-required': 'A ground for privacy is recorded and no standing mask protects it.',
  'objection-pending': 'An objection has not been ruled on.',
  'objection-upheld': 'An objection was upheld: no broadcast.',
  'no-application': 'No application to broadcast has been filed.',
  'not-approved': 'The application is waiting for a decision (or was refused).',
  'self-approved': 'The application was approved by the person who filed it: another approver must decide it.',
  'approval-revoked': 'The approval was revoked.',
  'terms-changed': 'The privacy grounds or standing masks changed after the approval.',
  'scope-not-approved': 'The approval does not cover this.',
  'not-reviewed': 'The confidentiality review has not been signed off for the details as they stand.',
};

const el = (tag, props = {}, ...children) => {
  const n = Object.assign(document.createElement(tag), props);
  n.append(...children.filter((c) => c !== null && c !== undefined));
  return n;
};
const when = (ms) => new Date(ms).toLocaleString();

/** A small form: labelled fields and one button; calls `submit` with the values. */
function form(label, fields, submit, cls = '') {
  const f = el('form', { className: `gov-form ${cls}` });
  const inputs = fields.map(([name, text, kind = 'text', options]) => {
    const required = kind !== 'checkbox' && name !== 'note';
    const input = kind === 'select'
      ? el('select', { name }, ...options.map(([v, t]) => el('option', { value: v, textContent: t })))
      : kind === 'area' ? el('textarea', { name, required, rows: 2 }) : el('input', { name, required, type: kind });
    f.append(kind === 'checkbox' ? el('label', { className: 'check' }, input, ` ${text}`) : el('label', { className: 'small' }, text, input));
    return input;
  });
  f.append(el('button', { type: 'submit', textContent: label }));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(Object.fromEntries(inputs.map((i) => [i.name, i.type === 'checkbox' ? i.checked : i.value])));
  });
  return f;
}

/**
 * Renders the governance panel of hearing `hearingId` into `root` and keeps it current.
 * `api(method, path, body)` calls the staff API; `me` is the signed-in principal.
 */
export async function renderGovernance(root, { api, hearingId, me, hearing, onError }) {
  const staff = staffClient(api);
  const id = { id: hearingId };
  const g = await staff.governance(id);
  const roles = new Set(me.roles);
  const approver = roles.has('approver') && (me.courtIds ?? []).includes(hearing.courtId);
  const reviewer = approver || roles.has('supervisor');
  const act = (call) => call.then(() => renderGovernance(root, { api, hearingId, me, hearing, onError }), (err) => onError(err.message));
  root.replaceChildren();

  const live = g.live.cleared;
  root.append(
    el('p', { className: live ? 'ok' : 'bad', id: 'gov-status', textContent: live ? 'Approved: the live broadcast may start.' : 'Not approved for broadcast.' }),
    el('ul', { className: 'small' }, ...g.live.blockers.map((b) => el('li', { textContent: BLOCKERS[b] ?? b }))),
  );

  const app = g.application;
  if (app) {
    const d = app.decision;
    const status = app.revoked
      ? `revoked by ${app.revoked.by.username} on ${when(app.revoked.at)}: “${app.revoked.reason}”`
      : d ? `${d.outcome} by ${d.by.username} on ${when(d.at)}: “${d.reason}”` : 'waiting for a decision';
    root.append(el('p', {}, el('b', { textContent: 'Application: ' }), `${app.scopes.join(' and ')} — “${app.grounds}”, filed by ${app.filedBy.username} on ${when(app.filedAt)}; `, el('span', { id: 'gov-app-status', textContent: status })));
    // Four eyes: whoever filed the application may refuse it, never approve it.
    const own = app.filedBy.userId === me.userId;
    if (approver && !d && own) root.append(el('p', { className: 'small muted', id: 'gov-own', textContent: 'You filed this application: another approver of the court must approve it.' }));
    if (approver && !d && !own) root.append(form('Approve', [['reason', 'Reasons for approval']], (v) => act(staff.decide({ ...id, applicationId: app.id }, { outcome: 'approved', reason: v.reason })), 'gov-approve'));
    if (approver && !d) root.append(form('Refuse', [['reason', 'Reasons for refusal']], (v) => act(staff.decide({ ...id, applicationId: app.id }, { outcome: 'refused', reason: v.reason })), 'gov-refuse'));
    if (approver && d?.outcome === 'approved' && !app.revoked) {
      root.append(form('Revoke approval (cuts a live broadcast)', [['reason', 'Why the approval is revoked']], (v) => act(staff.revoke(id, { reason: v.reason })), 'gov-revoke'));
    }
  }
  if (!app || app.revoked || app.decision?.outcome === 'refused') {
    root.append(form('File application', [
      ['scopes', 'Broadcast', 'select', [['live,replay', 'live and replay'], ['live', 'live only'], ['replay', 'replay only']]],
      ['grounds', 'Grounds', 'area'],
    ], (v) => act(staff.apply(id, { scopes: v.scopes.split(','), grounds: v.grounds })), 'gov-apply'));
  }

  root.append(el('h3', { textContent: 'Objections' }));
  const list = el('ul', { className: 'small gov-objections' });
  for (const o of g.objections) {
    const ruling = o.decision ? `${o.decision.outcome} by ${o.decision.by.username}: “${o.decision.reason}”` : 'not yet ruled on';
    const li = el('li', {}, `${o.objector} ${o.name}: “${o.ground}” (${when(o.filedAt)}) — ${ruling}`);
    if (approver && !o.decision) {
      li.append(form('Uphold (no broadcast)', [['reason', 'Reasons']], (v) => act(staff.rule({ ...id, objectionId: o.id }, { outcome: 'upheld', reason: v.reason }))));
      li.append(form('Dismiss', [['reason', 'Reasons']], (v) => act(staff.rule({ ...id, objectionId: o.id }, { outcome: 'dismissed', reason: v.reason }))));
    }
    list.append(li);
  }
  if (g.objections.length === 0) list.append(el('li', { className: 'muted', textContent: 'None recorded.' }));
  root.append(list, form('Record objection', [
    ['objector', 'By', 'select', [['party', 'a party'], ['prosecutor', 'the prosecutor']]],
    ['name', 'Name'],
    ['ground', 'Ground', 'area'],
  ], (v) => act(staff.object(id, v)), 'gov-object'));

  root.append(el('h3', { textContent: 'Confidentiality review' }));
  const review = g.reviewInForce;
  root.append(el('p', { className: 'small', id: 'gov-review', textContent: review ? `Signed off by ${review.by.username} on ${when(review.at)}${review.note ? `: “${review.note}”` : ''}. The public page is shown.` : 'Not signed off for the details as they stand: the public page and any replay stay hidden.' }));
  if (reviewer) {
    root.append(form('Sign off', [
      ['personalData', 'Title and case details carry no personal data that may not be published', 'checkbox'],
      ['minors', 'No minor can be identified', 'checkbox'],
      ['masks', 'The masks the hearing requires are set', 'checkbox'],
      ['note', 'Note (optional)'],
    ], (v) => act(staff.review(id, { checklist: { personalData: v.personalData, minors: v.minors, masks: v.masks }, ...(v.note ? { note: v.note } : {}) })), 'gov-review'));
  }
  return g;
}
