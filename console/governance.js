// The hearing's broadcast approval on the console: what stands in the way of airing, the
// application and its decision, objections and their rulings, and the confidentiality review.
// Every button is offered to whoever may press it; the server decides all the same.

import { dateTime, label, t } from './i18n.js';
import { staffClient } from './staff-api.js';

const el = (tag, props = {}, ...children) => {
  const n = Object.assign(document.createElement(tag), props);
  n.append(...children.filter((c) => c !== null && c !== undefined));
  return n;
};


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
export async function renderGovernance(root, { api, hearingId, me, hearing, onError, zone }) {
  const when = (ms) => dateTime(ms, zone);
  const staff = staffClient(api);
  const id = { id: hearingId };
  const g = await staff.governance(id);
  const roles = new Set(me.roles);
  const approver = roles.has('approver') && (me.courtIds ?? []).includes(hearing.courtId);
  const reviewer = approver || roles.has('supervisor');
  const act = (call) => call.then(() => renderGovernance(root, { api, hearingId, me, hearing, onError, zone }), (err) => onError(err.message));
  root.replaceChildren();

  const live = g.live.cleared;
  root.append(
    el('p', { className: live ? 'ok' : 'bad', id: 'gov-status', textContent: t(live ? 'gov.status-approved' : 'gov.status-not-approved') }),
    el('ul', { className: 'small' }, ...g.live.blockers.map((b) => el('li', { textContent: label('blocker', b) }))),
  );

  const app = g.application;
  if (app) {
    const d = app.decision;
    const status = app.revoked
      ? t('gov.revoked-by', { who: app.revoked.by.username, at: when(app.revoked.at), reason: app.revoked.reason })
      : d ? t(`gov.${d.outcome}-by`, { who: d.by.username, at: when(d.at), reason: d.reason }) : t('gov.waiting');
    const scopes = app.scopes.map((x) => label('scope', x)).join(t('gov.and'));
    root.append(el('p', {}, el('b', { textContent: t('gov.application') }), t('gov.filed', { scopes, grounds: app.grounds, who: app.filedBy.username, at: when(app.filedAt) }), el('span', { id: 'gov-app-status', textContent: status })));
    // Four eyes: whoever filed the application may refuse it, never approve it.
    const own = app.filedBy.userId === me.userId;
    if (approver && !d && own) root.append(el('p', { className: 'small muted', id: 'gov-own', textContent: t('gov.own') }));
    if (approver && !d && !own) root.append(form(t('gov.approve'), [['reason', t('gov.approve-reasons')]], (v) => act(staff.decide({ ...id, applicationId: app.id }, { outcome: 'approved', reason: v.reason })), 'gov-approve'));
    if (approver && !d) root.append(form(t('gov.refuse'), [['reason', t('gov.refuse-reasons')]], (v) => act(staff.decide({ ...id, applicationId: app.id }, { outcome: 'refused', reason: v.reason })), 'gov-refuse'));
    if (approver && d?.outcome === 'approved' && !app.revoked) {
      root.append(form(t('gov.revoke'), [['reason', t('gov.revoke-reasons')]], (v) => act(staff.revoke(id, { reason: v.reason })), 'gov-revoke'));
    }
  }
  if (!app || app.revoked || app.decision?.outcome === 'refused') {
    root.append(form(t('gov.file'), [
      ['scopes', t('gov.broadcast'), 'select', [['live,replay', t('gov.live-and-replay')], ['live', t('gov.live-only')], ['replay', t('gov.replay-only')]]],
      ['grounds', t('gov.grounds'), 'area'],
    ], (v) => act(staff.apply(id, { scopes: v.scopes.split(','), grounds: v.grounds })), 'gov-apply'));
  }

  root.append(el('h3', { textContent: t('gov.objections') }));
  const list = el('ul', { className: 'small gov-objections' });
  for (const o of g.objections) {
    const ruling = o.decision ? t(`gov.${o.decision.outcome}-by`, { who: o.decision.by.username, reason: o.decision.reason, at: '' }) : t('gov.not-ruled');
    const li = el('li', {}, `${label('objector', o.objector)} ${o.name}: “${o.ground}” (${when(o.filedAt)}) — ${ruling}`);
    if (approver && !o.decision) {
      li.append(form(t('gov.uphold'), [['reason', t('gov.reasons')]], (v) => act(staff.rule({ ...id, objectionId: o.id }, { outcome: 'upheld', reason: v.reason }))));
      li.append(form(t('gov.dismiss'), [['reason', t('gov.reasons')]], (v) => act(staff.rule({ ...id, objectionId: o.id }, { outcome: 'dismissed', reason: v.reason }))));
    }
    list.append(li);
  }
  if (g.objections.length === 0) list.append(el('li', { className: 'muted', textContent: t('gov.none') }));
  root.append(list, form(t('gov.object'), [
    ['objector', t('gov.by'), 'select', [['party', label('objector', 'party')], ['prosecutor', label('objector', 'prosecutor')]]],
    ['name', t('gov.name')],
    ['ground', t('gov.ground'), 'area'],
  ], (v) => act(staff.object(id, v)), 'gov-object'));

  root.append(el('h3', { textContent: t('gov.review') }));
  const review = g.reviewInForce;
  root.append(el('p', { className: 'small', id: 'gov-review', textContent: review ? t('gov.signed-off', { who: review.by.username, at: when(review.at), note: review.note ? `: “${review.note}”` : '' }) : t('gov.not-signed-off') }));
  if (reviewer) {
    root.append(form(t('gov.sign-off'), [
      ['personalData', t('gov.check-personal'), 'checkbox'],
      ['minors', t('gov.check-minors'), 'checkbox'],
      ['masks', t('gov.check-masks'), 'checkbox'],
      ['note', t('gov.note')],
    ], (v) => act(staff.review(id, { checklist: { personalData: v.personalData, minors: v.minors, masks: v.masks }, ...(v.note ? { note: v.note } : {}) })), 'gov-review'));
  }
  return g;
}
