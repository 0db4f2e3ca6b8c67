// Courtcast archive: archivists search hearings, open a hearing's record, replay what aired,
// download it and verify it. Plain ES module, served as-is; it talks to /api/archive only.
/* global Hls */
import { dateTime, label, language, LANGUAGES, loadLanguage, t, tn } from './i18n.js';
import { $, apiCaller, forgetSession, session, wireSignIn } from './session.js';

await loadLanguage();

let replay = null;
const api = apiCaller({ onSignOut: () => signOut(), expired: label('error', 'UNAUTHORIZED'), messages: { 403: t('archive.forbidden') }, failed: (status) => t('common.request-failed', { status }) });

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

let zones = new Map(); // court id → its time zone
let zone; // the open record's court's zone: its times are read there
const when = (ms) => dateTime(ms, zone);

let me = null;

async function showSearch() {
  me = await api('GET', '/api/me');
  $('who').textContent = `${me.username} (${me.roles.map((r) => label('role', r)).join(', ')})`;
  $('signout').hidden = false;
  const courts = await api('GET', '/api/courts').catch(() => []);
  zones = new Map(courts.map((c) => [c.id, c.timezone]));
  $('q-court').replaceChildren(new Option(t('archive.any'), ''), ...courts.map((c) => new Option(c.name, c.id)));
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
      for (const text of [h.caseNumber, h.title, label('case', h.caseType), dateTime(Date.parse(h.scheduledStart), zones.get(h.courtId)), h.archive ? label('archive-status', h.archive.status) : '—']) {
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

/** Draws what aired, what did not, what was cut and what was masked over the hearing's span, and a tick per caption line. */
function drawTimeline(program, from, to, cues) {
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
  for (const i of program.onAir ?? []) add('aired', i.start, i.end, t('archive.span-aired', { from: when(i.start), to: when(i.end) }));
  for (const d of program.dumped ?? []) add('dumped', d.start, d.end, t('archive.span-cut', { from: when(d.start), to: when(d.end) }));
  for (const m of program.masks ?? []) add('masked', m.start, m.end, `${t('archive.span-mask', { kind: label('mask', m.kind) })}${m.reason ? `: ${m.reason}` : ''}`);
  for (const c of cues) add('cue', Date.parse(c.start), Date.parse(c.end), `${when(Date.parse(c.start))} ${c.text}`);
}

/** Each cue of the record's transcript in its last version, in time order, with how many versions it had. */
function lastVersions(transcript) {
  const newest = new Map();
  const versions = new Map();
  for (const e of transcript ?? []) {
    newest.set(e.id, e);
    versions.set(e.id, (versions.get(e.id) ?? 0) + 1);
  }
  return [...newest.values()].map((e) => ({ ...e, versions: versions.get(e.id) })).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

/**
 * Plays the as-aired recording from a capture instant: the replay's segments carry the instant
 * their slot was captured from (EXT-X-PROGRAM-DATE-TIME), which hls.js keeps on each fragment.
 */
function playFrom(ms) {
  const level = replay?.levels?.[Math.max(0, replay.currentLevel)];
  const frag = level?.details?.fragments?.findLast((f) => f.programDateTime !== null && f.programDateTime <= ms);
  if (!frag) return;
  const video = $('replay');
  video.currentTime = frag.start + Math.min(frag.duration, (ms - frag.programDateTime) / 1000);
  void video.play().catch(() => undefined);
}

/** The transcript beside the timeline: what the captioners sent, each line a way into the as-aired recording. */
function showTranscript(id, cues) {
  $('transcript-box').hidden = cues.length === 0;
  $('transcript').replaceChildren(
    ...cues.map((c) => {
      const b = document.createElement('button');
      b.type = 'button';
      const at = Object.assign(document.createElement('time'), { className: 'at', dateTime: c.start, textContent: when(Date.parse(c.start)) });
      const who = c.speaker ? `${label('speaker', c.speaker)}: ` : '';
      const note = c.versions > 1 ? ` (${tn('archive.corrected', c.versions - 1)})` : '';
      const words = Object.assign(document.createElement('span'), { lang: c.lang, textContent: `${who}${c.text}` });
      b.append(at, words, note);
      b.onclick = () => playFrom(Date.parse(c.start));
      const li = document.createElement('li');
      li.append(b);
      return li;
    }),
  );
  const languages = [...new Set(cues.map((c) => c.lang))];
  $('transcript-downloads').replaceChildren(
    ...languages.map((lang) => Object.assign(document.createElement('button'), { type: 'button', textContent: t('archive.download-transcript', { lang: LANGUAGES[lang] ?? lang }), onclick: () => void download(id, `transcript-${lang}.vtt`) })),
    Object.assign(document.createElement('button'), { type: 'button', textContent: t('archive.download-aired-captions'), onclick: () => void download(id, 'aired-captions.json') }),
  );
}

async function openRecord(id) {
  const r = await api('GET', `/api/archive/hearings/${id}`);
  zone = zones.get(r.hearing.courtId);
  show('record-view');
  $('r-title').textContent = r.hearing.title;
  $('r-case').textContent = `${r.hearing.caseNumber} · ${label('case', r.hearing.caseType)}`;
  const finalized = r.archive.finalizedAt ? t('archive.finalized-on', { at: when(Date.parse(r.archive.finalizedAt)) }) : '';
  $('r-status').textContent = t('archive.summary', { status: label('archive-status', r.archive.status), finalized, n: r.archive.entries, mb: (r.archive.bytes / 1e6).toFixed(1) });
  // Finalizing that waits for a part no node uploaded: say which, and let an admin declare it lost.
  const stuck = r.archive.status === 'finalizing' && r.archive.error;
  $('stuck').hidden = !stuck;
  $('stuck-why').textContent = stuck ? t('archive.stuck', { error: r.archive.error }) : '';
  $('lost-form').hidden = !(stuck && me?.roles.includes('admin'));
  $('lost-result').textContent = '';
  $('lost-form').onsubmit = (ev) => {
    ev.preventDefault();
    void declareLost(id);
  };
  const cues = lastVersions(r.record?.transcript);
  drawTimeline(r.record?.program, r.master.from, r.master.to, cues);
  showTranscript(id, cues);
  $('master-info').textContent = t('archive.master-info', { n: r.master.segments, from: when(r.master.from), to: when(r.master.to) });
  const rec = r.recording;
  $('recording').textContent = rec ? tn('archive.recorded', rec.gaps.length, { s: (rec.recordedMs / 1000).toFixed(0), missing: (rec.missingMs / 1000).toFixed(1) }) : '';
  $('gaps').replaceChildren(...(rec?.gaps ?? []).map((g) => Object.assign(document.createElement('li'), { textContent: `${when(g.from)} – ${when(g.to)}: ${(g.ms / 1000).toFixed(1)} s, ${label('gap', g.cause)}` })));
  // Every further camera's own recording: what it holds, and each hole with its cause.
  $('camera-recordings').replaceChildren(
    ...Object.entries(r.sourceRecordings ?? {}).flatMap(([name, log]) => [
      Object.assign(document.createElement('li'), { textContent: t('archive.camera-recorded', { name, summary: tn('archive.recorded', log.gaps.length, { s: (log.recordedMs / 1000).toFixed(0), missing: (log.missingMs / 1000).toFixed(1) }) }) }),
      ...log.gaps.map((g) => Object.assign(document.createElement('li'), { textContent: `“${name}” ${when(g.from)} – ${when(g.to)}: ${(g.ms / 1000).toFixed(1)} s, ${label('gap', g.cause)}` })),
    ]),
  );
  // What of the sound aired outside the program, heard from the as-aired files at finalizing.
  const sound = r.record?.soundOutsideProgram;
  $('sound-outside').textContent = sound ? (sound.exposed.length === 0 ? t('archive.sound-none', { n: sound.listenedSlots }) : tn('archive.sound-exposed', sound.exposed.length, { s: (sound.exposedMs / 1000).toFixed(2) })) : '';
  $('sound-spans').replaceChildren(...(sound?.exposed ?? []).map((x) => Object.assign(document.createElement('li'), { textContent: t('archive.sound-span', { from: when(x.from), to: when(x.to), s: (x.ms / 1000).toFixed(2), rung: x.rung, seq: x.seq }) })));
  $('orders').replaceChildren(...r.orders.map((o) => Object.assign(document.createElement('li'), { textContent: t('archive.order', { ref: o.reference, judge: o.judge, from: when(o.from), to: when(o.to), until: when(o.expiresAt) }) })));
  $('seal').textContent = r.seal ? t('archive.seal', { n: r.seal.count, final: t(r.seal.final ? 'archive.final' : 'archive.not-final'), at: when(Date.parse(r.seal.sealedAt)), key: r.seal.keyId.slice(0, 16) }) : t('archive.no-manifest');
  $('audit').replaceChildren(...r.audit.map((e) => {
    const li = document.createElement('li');
    const who = e.actor.kind === 'user' ? `${e.actor.username} (${label('role', e.actor.role)})` : 'Courtcast';
    li.textContent = `${when(e.at)} ${label('action', e.action)} ${t('audit.by-who', { who })}${e.reason ? ` — “${e.reason}”` : ''}`;
    return li;
  }));
  $('verify-result').textContent = '';
  $('verify').onclick = () => void verify(id);
  $('download-aired').onclick = () => void download(id, 'aired.mp4');
  replay?.destroy();
  // With the captions as they aired, where there were any.
  replay = new Hls({ xhrSetup: (xhr) => xhr.setRequestHeader('Authorization', `Bearer ${session.token}`), subtitleDisplay: true });
  // The reader's language if the captions are in it, else the first; set once hls.js has made its
  // own choice (none), which it does right after announcing the tracks.
  const hls = replay;
  hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_e, data) => {
    const k = Math.max(0, data.subtitleTracks.findIndex((x) => x.lang === language()));
    if (data.subtitleTracks.length > 0) queueMicrotask(() => (hls.subtitleTrack = k));
  });
  replay.loadSource(`/api/archive/hearings/${id}/aired/index.m3u8`);
  replay.attachMedia($('replay'));
}

async function declareLost(id) {
  const reason = $('lost-reason').value.trim();
  if (!reason || !confirm(t('archive.lost-confirm'))) return;
  try {
    const r = await api('POST', `/api/archive/hearings/${id}/lost-parts`, { reason });
    $('lost-result').textContent = t('archive.lost-done', { keys: r.keys.join(', ') });
    $('lost-form').hidden = true;
  } catch (err) {
    $('lost-result').textContent = err.message;
  }
}

async function verify(id) {
  $('verify-result').textContent = t('archive.verifying');
  try {
    const v = await api('POST', `/api/archive/hearings/${id}/verify`);
    const el = $('verify-result');
    el.replaceChildren();
    const head = document.createElement('span');
    head.className = v.ok ? 'ok' : 'bad';
    // An archive still being made verifies only as far as its interim seal: said so, not as final.
    head.textContent = v.ok ? t(v.final ? 'archive.verified' : 'archive.verified-in-progress', { n: v.checkedObjects }) : t('archive.not-verified', { signature: v.signature });
    el.append(
      head,
      ...(v.log?.found === 'this-seal' ? [Object.assign(document.createElement('div'), { textContent: t('archive.in-log', { entry: v.log.index, size: v.log.treeSize }) })] : []),
      ...v.findings.map((f) => Object.assign(document.createElement('div'), { textContent: `${f.n === null ? t('archive.the-manifest') : t('archive.entry', { n: f.n })}: ${f.problem}` })),
      ...(v.lost ?? []).map((l) => Object.assign(document.createElement('div'), { textContent: t('archive.entry-lost', { n: l.n, key: l.key, in: l.declaredIn }) })),
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
    if (!res.ok) throw new Error(t('archive.download-failed', { status: res.status }));
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
