// Courtcast archive: archivists search hearings, open a hearing's record, replay what aired,
// download it and verify it. Plain ES module, served as-is; it talks to /api/archive only.
/* global Hls */
import { $, apiCaller, forgetSession, session, wireSignIn } from './session.js';

let replay = null;
const api = apiCaller({ onSignOut: () => signOut(), expired: 'Your sign-in has expired. Please sign in again.', messages: { 403: 'The archive is for archivists.' } });

function show(view) {
  for (const v of ['login-view', 'search-view', 'record-view']) $(v).hidden = v !== view;
}

function signOut() {
  forgetSession();
  replay?.destroy();
  show('login-view');
}

$('signout').addEventListener('click', signOut);
wireSignIn(api, () => showSearch());

const when = (ms) => (ms === null || ms === undefined ? '—' : new Date(ms).toLocaleString());

let me = null;

async function showSearch() {
  me = await api('GET', '/api/me');
  $('who').textContent = `${me.username} (${me.roles.join(', ')})`;
  $('signout').hidden = false;
  const courts = await api('GET', '/api/courts').catch(() => []);
  $('q-court').replaceChildren(new Option('Any', ''), ...courts.map((c) => new Option(c.name, c.id)));
  show('search-view');
}

$('search-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('search-error').textContent = '';
  const q = new URLSearchParams();
  const put = (k, v) => v && q.set(k, v);
  put('caseNumber', $('q-case').value.trim());
  put('courtId', $('q-court').value);
  put('caseType', $('q-type').value);
  put('status', $('q-status').value);
  if ($('q-from').value) q.set('from', new Date(`${$('q-from').value}T00:00:00`).toISOString());
  if ($('q-to').value) q.set('to', new Date(`${$('q-to').value}T23:59:59`).toISOString());
  try {
    const found = await api('GET', `/api/archive/hearings?${q}`);
    const body = $('results').querySelector('tbody');
    body.replaceChildren();
    for (const h of found) {
      const tr = document.createElement('tr');
      tr.className = 'pick';
      for (const text of [h.caseNumber, h.title, h.caseType, when(Date.parse(h.scheduledStart)), h.archive?.status ?? '—']) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      tr.addEventListener('click', () => void openRecord(h.id));
      body.append(tr);
    }
    $('results').hidden = found.length === 0;
    $('no-results').hidden = found.length > 0;
  } catch (err) {
    $('search-error').textContent = err.message;
  }
});

$('back').addEventListener('click', () => {
  replay?.destroy();
  replay = null;
  show('search-view');
});

/** Draws what aired, what did not, what was cut and what was masked over the hearing's span. */
function drawTimeline(program, from, to) {
  const bar = $('timeline');
  bar.replaceChildren();
  if (!program || from === null || to === null || to <= from) return;
  const span = to - from;
  const add = (cls, start, end, title) => {
    const s = Math.max(from, start);
    const e = Math.min(to, end ?? to);
    if (e <= s) return;
    const d = document.createElement('div');
    d.className = `seg ${cls}`;
    d.style.left = `${((s - from) / span) * 100}%`;
    d.style.width = `${((e - s) / span) * 100}%`;
    d.title = title;
    bar.append(d);
  };
  for (const i of program.onAir ?? []) add('aired', i.start, i.end, `aired ${when(i.start)} – ${when(i.end)}`);
  for (const d of program.dumped ?? []) add('dumped', d.start, d.end, `cut: dumped ${when(d.start)} – ${when(d.end)}`);
  for (const m of program.masks ?? []) add('masked', m.start, m.end, `${m.kind} mask${m.reason ? `: ${m.reason}` : ''}`);
}

async function openRecord(id) {
  const r = await api('GET', `/api/archive/hearings/${id}`);
  show('record-view');
  $('r-title').textContent = r.hearing.title;
  $('r-case').textContent = `${r.hearing.caseNumber} · ${r.hearing.caseType}`;
  $('r-status').textContent = `Archive ${r.archive.status}${r.archive.finalizedAt ? ` on ${when(Date.parse(r.archive.finalizedAt))}` : ''} · ${r.archive.entries} objects, ${(r.archive.bytes / 1e6).toFixed(1)} MB`;
  // Finalizing that waits for a part no node uploaded: say which, and let an admin declare it lost.
  const stuck = r.archive.status === 'finalizing' && r.archive.error;
  $('stuck').hidden = !stuck;
  $('stuck-why').textContent = stuck ? `Finalizing is waiting: ${r.archive.error}. It is tried again every 30 s.` : '';
  $('lost-form').hidden = !(stuck && me?.roles.includes('admin'));
  $('lost-result').textContent = '';
  $('lost-form').onsubmit = (ev) => {
    ev.preventDefault();
    void declareLost(id);
  };
  drawTimeline(r.record?.program, r.master.from, r.master.to);
  $('master-info').textContent = `${r.master.segments} master segments, ${when(r.master.from)} – ${when(r.master.to)}. Sealed: it plays only within an unsealing order in force.`;
  const rec = r.recording;
  $('recording').textContent = rec ? `Recorded ${(rec.recordedMs / 1000).toFixed(0)} s; missing ${(rec.missingMs / 1000).toFixed(1)} s in ${rec.gaps.length} gap${rec.gaps.length === 1 ? '' : 's'}.` : '';
  $('gaps').replaceChildren(...(rec?.gaps ?? []).map((g) => Object.assign(document.createElement('li'), { textContent: `${when(g.from)} – ${when(g.to)}: ${(g.ms / 1000).toFixed(1)} s, ${g.cause}` })));
  // What of the sound aired outside the program, heard from the as-aired files at finalizing.
  const sound = r.record?.soundOutsideProgram;
  $('sound-outside').textContent = sound ? (sound.exposed.length === 0 ? `No sound aired outside the program (${sound.listenedSlots} edge slots listened to).` : `Sound aired outside the program: ${(sound.exposedMs / 1000).toFixed(2)} s in ${sound.exposed.length} span${sound.exposed.length === 1 ? '' : 's'}.`) : '';
  $('sound-spans').replaceChildren(...(sound?.exposed ?? []).map((x) => Object.assign(document.createElement('li'), { textContent: `${when(x.from)} – ${when(x.to)}: ${(x.ms / 1000).toFixed(2)} s on ${x.rung} (slot ${x.seq})` })));
  $('orders').replaceChildren(...r.orders.map((o) => Object.assign(document.createElement('li'), { textContent: `Order ${o.reference} (judge ${o.judge}): ${when(o.from)} – ${when(o.to)}, until ${when(o.expiresAt)}` })));
  $('seal').textContent = r.seal ? `${r.seal.count} entries, ${r.seal.final ? 'final' : 'still recording'}, signed ${when(Date.parse(r.seal.sealedAt))}, key ${r.seal.keyId.slice(0, 16)}…` : 'No manifest yet.';
  $('audit').replaceChildren(...r.audit.map((e) => {
    const li = document.createElement('li');
    const who = e.actor.kind === 'user' ? `${e.actor.username} (${e.actor.role})` : 'Courtcast';
    li.textContent = `${new Date(e.at).toLocaleString()} ${e.action} by ${who}${e.reason ? ` — “${e.reason}”` : ''}`;
    return li;
  }));
  $('verify-result').textContent = '';
  $('verify').onclick = () => void verify(id);
  $('download-aired').onclick = () => void download(id, 'aired.mp4');
  replay?.destroy();
  replay = new Hls({ xhrSetup: (xhr) => xhr.setRequestHeader('Authorization', `Bearer ${session.token}`) });
  replay.loadSource(`/api/archive/hearings/${id}/aired/index.m3u8`);
  replay.attachMedia($('replay'));
}

async function declareLost(id) {
  const reason = $('lost-reason').value.trim();
  if (!reason || !confirm('The archive will be finished without the missing parts, and the declaration sealed with it. Go on?')) return;
  try {
    const r = await api('POST', `/api/archive/hearings/${id}/lost-parts`, { reason });
    $('lost-result').textContent = `Declared lost: ${r.keys.join(', ')}. Finalizing again.`;
    $('lost-form').hidden = true;
  } catch (err) {
    $('lost-result').textContent = err.message;
  }
}

async function verify(id) {
  $('verify-result').textContent = 'Verifying every object against the signed manifest…';
  try {
    const v = await api('POST', `/api/archive/hearings/${id}/verify`);
    const el = $('verify-result');
    el.replaceChildren();
    const head = document.createElement('span');
    head.className = v.ok ? 'ok' : 'bad';
    head.textContent = v.ok ? `Verified: signature valid, ${v.checkedObjects} objects match.` : `NOT verified (signature ${v.signature}).`;
    el.append(
      head,
      ...v.findings.map((f) => Object.assign(document.createElement('div'), { textContent: `${f.n === null ? 'manifest' : `entry ${f.n}`}: ${f.problem}` })),
      ...(v.lost ?? []).map((l) => Object.assign(document.createElement('div'), { textContent: `entry ${l.n} (${l.key}): declared lost in entry ${l.declaredIn}` })),
    );
  } catch (err) {
    $('verify-result').textContent = err.message;
  }
}

/** Downloads through a presigned link when the store gives one, else through the API (ranges and all). */
async function download(id, file) {
  try {
    const link = await api('GET', `/api/archive/hearings/${id}/download/${file}?as=link`);
    if (link.url) {
      location.assign(link.url);
      return;
    }
    const res = await fetch(`/api/archive/hearings/${id}/download/${file}`, { headers: { authorization: `Bearer ${session.token}` } });
    if (!res.ok) throw new Error(`Download failed (${res.status})`);
    const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(await res.blob()), download: `${id}-${file}` });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    $('verify-result').textContent = err.message;
  }
}

if (session.token) showSearch().catch(() => signOut());
else show('login-view');
