// Courtcast clerk console. Plain ES modules, no build step: served as-is by the server.
// It talks to the staff API over HTTP and to the control channel over Socket.IO.
/* global Hls, io */
import { renderGovernance } from './governance.js';
import { cameraLabel, renderProgram, wireProgram } from './program.js';
import { dateTime, label, loadLanguage, t, timeOfDay } from './i18n.js';
import { endWhep, keptWhep } from './webrtc.js';
import { closeCameras, markChosenCamera, renderCameras } from './multiview.js';
import { $, apiCaller, forgetSession, session, wireSignIn } from './session.js';
import { staffClient } from './staff-api.js';

/** A plain-language message for an error code a clerk may meet (console/locales, `error.CODE`). */
const message = (code, fallback = '') => label('error', code, fallback);
/** Codes after which this console must sign in again. */
const SIGN_OUT_CODES = new Set(['UNAUTHORIZED', 'ACCOUNT_DISABLED', 'ACCOUNT_DELETED', 'SESSION_ENDED', 'TOKEN_EXPIRED']);

await loadLanguage();

const api = apiCaller({ onSignOut: () => signOut(), expired: message('UNAUTHORIZED'), failed: (status) => t('common.request-failed', { status }) });
const staff = staffClient(api);

function show(view) {
  for (const v of ['login-view', 'list-view', 'hearing-view']) $(v).hidden = v !== view;
}

function signOut() {
  forgetSession();
  leaveHearing();
  show('login-view');
}

// ---------- sign-in and the list ----------

wireSignIn(api, async () => {
  unlockAudio();
  await showList();
});
$('signout').addEventListener('click', signOut);
$('back').addEventListener('click', () => { leaveHearing(); void showList(); });

let me = null; // the signed-in principal
let zones = new Map(); // court id → its time zone: a hearing's times are read in its court's zone
const zoneOf = (hearing) => zones.get(hearing?.courtId);

async function showList() {
  me = await staff.me();
  $('who').textContent = `${me.username} (${me.roles.map((r) => label('role', r)).join(', ')})`;
  $('signout').hidden = false;
  const [hearings, courts] = await Promise.all([staff.listHearings(), staff.listCourts().catch(() => [])]);
  zones = new Map(courts.map((c) => [c.id, c.timezone]));
  const ul = $('hearings');
  ul.replaceChildren();
  for (const h of hearings) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.dataset.hearing = h.id;
    b.innerHTML = `<span><b></b> <span class="muted"></span></span><span class="muted"></span>`;
    b.querySelector('b').textContent = h.title;
    b.querySelector('span .muted').textContent = t('hearing.case', { n: h.caseNumber });
    b.lastChild.textContent = `${label('status', h.status)} · ${dateTime(Date.parse(h.scheduledStart), zoneOf(h))}`;
    b.addEventListener('click', () => openHearing(h.id));
    li.append(b);
    ul.append(li);
  }
  $('list-empty').hidden = hearings.length > 0;
  show('list-view');
}

// ---------- the hearing view ----------

let socket = null;
let current = null; // { id, state }
let previewHls = null;
let previewRtc = null; // { pc, url, stream, source } while the preview comes over WebRTC (WHEP)
let previewSource = 'main'; // the camera the clerk asked the preview to show (a composed program's)
let shownCamera = null; // the camera the preview shows now: a region drawn is drawn on it
let whepRetryAt = 0; // after a failed WHEP attempt, the HLS preview stands in until then
let whepBackoffMs = 3_000; // the wait after the next failure: a passing fault costs seconds, a lasting one 30 s a try
let publicHls = null;
let pending = null; // the command awaiting an ack, for retries with the same key

function leaveHearing() {
  socket?.disconnect();
  socket = null;
  previewHls?.destroy();
  closeWhep();
  closeCameras();
  publicHls?.destroy();
  previewHls = publicHls = null;
  current = null;
  previewSource = 'main';
  shownCamera = null;
  // Another hearing's preview starts with WebRTC afresh.
  whepRetryAt = 0;
  whepBackoffMs = 3_000;
}

function openHearing(id) {
  leaveHearing();
  current = { id, state: null };
  show('hearing-view');
  banner(null);
  socket = io('/control', { auth: { token: session.token }, transports: ['websocket'] });
  socket.on('connect', () => {
    setConn(true);
    // A (re)connected console asks for the full state; nothing is assumed from before.
    socket.timeout(10_000).emit('join', { hearingId: id }, (err, ack) => {
      if (err) return banner(message('TIMEOUT'));
      if (!ack.ok) {
        // An approver decides the broadcast without controlling it: the panel is theirs.
        if (ack.error.code === 'FORBIDDEN' && me?.roles.includes('approver')) return banner(null);
        return banner(message(ack.error.code, ack.error.message));
      }
      render(ack.state);
    });
  });
  void refreshGovernance();
  socket.on('disconnect', () => setConn(false));
  socket.on('connect_error', (err) => {
    setConn(false);
    const code = err.data?.code;
    if (SIGN_OUT_CODES.has(code)) {
      banner(message(code, err.message));
      signOut();
    }
  });
  // The server took this console's rights away: for one hearing, or for the whole connection.
  socket.on('revoked', (r) => {
    banner(message(r.code, r.message));
    if (SIGN_OUT_CODES.has(r.code)) {
      socket.disconnect();
      signOut();
    }
  });
  socket.on('state', (st) => {
    render(st);
    void refreshGovernance();
  });
}

let governanceBusy = false;
/** Re-reads the approval panel; the server's record is the truth, so it is simply redrawn. */
async function refreshGovernance() {
  if (!current || governanceBusy || !me) return;
  governanceBusy = true;
  try {
    const { hearing } = await staff.hearing({ id: current.id });
    current.zone ??= zoneOf(hearing);
    const g = await renderGovernance($('governance'), { api, hearingId: current.id, me, hearing, onError: (m) => banner(m), zone: current.zone });
    $('gov-summary').textContent = t(g.live.cleared ? 'gov.approved' : 'gov.not-approved');
    if (!current.state) {
      $('h-title').textContent = hearing.title;
      $('h-case').textContent = t('hearing.case', { n: hearing.caseNumber });
    }
  } catch (err) {
    banner(err.message);
  } finally {
    governanceBusy = false;
  }
}

function setConn(up) {
  const el = $('conn');
  el.className = up ? 'conn' : 'conn down';
  el.textContent = t(up ? 'conn.up' : 'conn.down');
  for (const b of document.querySelectorAll('.controls button')) if (!up) b.disabled = true;
  if (up && current?.state) render(current.state);
}

/** What a refused command says: the code's message, then what the server said (its blockers in words). */
function failure(error) {
  const blockers = error.details?.blockers;
  const detail = blockers?.length ? blockers.map((b) => label('blocker', b)).join(' ') : error.message;
  return `${message(error.code)} ${detail}`.trim();
}

function banner(text) {
  $('banner').hidden = !text;
  $('banner').textContent = text ?? '';
}

function render(st) {
  if (!current || st.hearing.id !== current.id) return;
  const first = !current.state;
  current.state = st;
  current.skew = Date.parse(st.serverTime) - Date.now();
  $('h-title').textContent = st.hearing.title;
  $('h-case').textContent = t('hearing.case', { n: st.hearing.caseNumber });
  current.zone ??= zoneOf(st.hearing);
  $('public-caption').textContent = t('public.caption', { s: st.hearing.delaySeconds });
  const phase = st.live?.phase ?? 'ready';
  const el = $('phase');
  el.textContent = label('phase', st.live?.finished ? 'ended' : phase);
  el.className = `phase phase-${phase}`;
  $('viewers').textContent = String(st.viewers);
  const h = st.encoderHealth;
  $('encoder').textContent = !h ? t('encoder.not-live') : h.connected
    ? t('encoder.connected', { kbps: h.kbps ?? '—', fps: h.fps || '—', w: h.width || '—', h: h.height || '—' })
    : t('encoder.lost');
  // The server says which commands the hearing's phase allows now; the console keeps no rules of its own.
  const may = (cmd) => Boolean(socket?.connected) && (st.allowed ?? []).includes(cmd);
  for (const cmd of ['start', 'pause', 'resume', 'end']) $(`btn-${cmd}`).disabled = !may(cmd);
  $('cut').disabled = !may('cut');
  renderAudit(st.audit);
  renderMasks(st);
  renderProgram(st);
  renderCameras(st, { token: session.token, choose: choosePreviewCamera });
  renderShownCamera();
  renderHealth(st);
  if (first || (!previewRtc && (!previewHls || Date.now() >= whepRetryAt) && (st.previewUrl || previewSending(st)))) attachPlayers(st);
}

/** The server's own dependencies: commands still act while a store is down, and the clerk must know. */
function renderHealth(st) {
  const el = $('health');
  const problems = [];
  if (st.health?.stateStore === 'down' || st.live?.programSaved === false) problems.push(t('health.state-store'));
  if (st.health?.publicStore === 'down' || st.live?.publicStoreFault) problems.push(t('health.public-store'));
  if (st.health?.dataDisk && !st.health.dataDisk.ok) problems.push(t('health.data-disk', { error: st.health.dataDisk.error ?? '?' }));
  if (st.live?.load === 'falling-behind') problems.push(t('health.behind'));
  if (st.live?.shed?.includes('retroactive-renders')) problems.push(t('health.shed'));
  const archive = st.health?.archive;
  if (archive && !archive.ok) problems.push(t('health.archive', { s: Math.round(archive.behindMs / 1000), n: archive.pending }));
  el.hidden = problems.length === 0;
  el.textContent = problems.join(' ');
}

function renderAudit(entries) {
  const ol = $('audit');
  ol.replaceChildren();
  for (const e of [...entries].reverse()) {
    const li = document.createElement('li');
    const who = e.actor.kind === 'user' ? `${e.actor.username} (${label('role', e.actor.role)})` : 'Courtcast';
    li.innerHTML = '<b></b> <span></span>';
    li.firstChild.textContent = label('action', e.action);
    li.lastChild.textContent = ` ${t('audit.by', { who, at: timeOfDay(e.at, current?.zone) })}${e.reason ? ` — “${e.reason}”` : ''}`;
    ol.append(li);
  }
}

/**
 * Whether the camera asked for the preview may be sending: the state says so for the courtroom's
 * own feed; another camera is asked (WHEP answers 409 while it is not sending).
 */
const previewSending = (st) => previewSource !== 'main' || Boolean(st.encoderHealth?.connected);

function attachPlayers(st) {
  if (!window.Hls?.isSupported()) return banner(t('player.unsupported'));
  // The preview comes over WebRTC when it can (a fraction of a second behind the courtroom), and
  // over HLS otherwise (seconds behind, but it works through any proxy).
  // WebRTC is tried again once its wait is over, also while the HLS preview stands in.
  if (!previewRtc && window.RTCPeerConnection && Date.now() >= whepRetryAt && previewSending(st)) {
    void openWhep(st.hearing.id).then((ok) => {
      if (!ok && current?.state) attachPlayers(current.state);
    });
  } else if (st.previewUrl && !previewHls && !previewRtc && previewSource === 'main') {
    // The HLS preview is the courtroom's own feed: it stands in only when that is what was asked.
    // The preview is the undelayed master: only signed-in clerks of this courtroom may fetch it.
    previewHls = new Hls({ liveSyncDurationCount: 1, xhrSetup: (xhr) => xhr.setRequestHeader('Authorization', `Bearer ${session.token}`) });
    previewHls.loadSource(st.previewUrl);
    previewHls.attachMedia($('preview'));
    previewHls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) setTimeout(() => { previewHls?.destroy(); previewHls = null; if (current?.state) attachPlayers(current.state); }, 2000); });
    $('preview').play().catch(() => {});
    $('preview-via').textContent = t('preview.via-hls');
    shownCamera = 'main';
    meterFor($('preview'));
  }
  if (!publicHls) {
    publicHls = new Hls({ liveSyncDurationCount: 3 });
    publicHls.loadSource(`/hls/hearings/${st.hearing.id}/master.m3u8`);
    publicHls.attachMedia($('public'));
    $('public').play().catch(() => {});
  }
}

/** The undelayed preview over WHEP; resolves false (and the HLS preview stands in) when it fails. */
async function openWhep(hearingId) {
  const rtc = { pc: null, url: null, stream: null, source: previewSource };
  previewRtc = rtc;
  const failed = (why, later) => {
    if (previewRtc !== rtc) return;
    closeWhep();
    whepRetryAt = Date.now() + whepBackoffMs;
    // Tried again then, whether or not a state update comes.
    setTimeout(() => { if (current?.state && current.state.hearing.id === hearingId) attachPlayers(current.state); }, whepBackoffMs + 50);
    whepBackoffMs = Math.min(whepBackoffMs * 2, 30_000);
    // Said where a support engineer (or a test) can read why the preview is not over WebRTC.
    $('preview-via').dataset.whepFailure = why;
    // A connection lost later falls back to HLS at once (one that never connected: the caller does).
    if (later && current?.state) attachPlayers(current.state);
  };
  const target = { hearingId, source: rtc.source === 'main' ? undefined : rtc.source, token: session.token };
  if (!(await keptWhep(rtc, target, { wanted: () => previewRtc === rtc, failed }))) return false;
  whepBackoffMs = 3_000;
  const { stream } = rtc;
  // The HLS preview that stood in gives way.
  if (previewHls) {
    previewHls.destroy();
    previewHls = null;
  }
  const video = $('preview');
  video.srcObject = stream;
  video.play().catch(() => {});
  shownCamera = rtc.source;
  $('preview-via').textContent = t('preview.via-webrtc');
  renderShownCamera();
  meterFor(video, stream);
  return true;
}

function closeWhep() {
  if (!previewRtc) return;
  const rtc = previewRtc;
  previewRtc = null;
  endWhep(rtc, session.token);
  const video = $('preview');
  if (video.srcObject) video.srcObject = null;
}

/**
 * The camera the preview shows, for a composed program (the clerk picks it on the multiview): a
 * region drawn on the preview is drawn on that camera, and follows it wherever the program puts it.
 */
function choosePreviewCamera(name) {
  if (name === previewSource) return;
  previewSource = name;
  drawn = null;
  showBox(null);
  $('mask-region').disabled = true;
  closeWhep();
  previewHls?.destroy();
  previewHls = null;
  shownCamera = null;
  whepRetryAt = 0;
  whepBackoffMs = 3_000;
  renderShownCamera();
  if (current?.state) attachPlayers(current.state);
}

function renderShownCamera() {
  const composed = Boolean(current?.state?.arrangement);
  $('preview-camera').hidden = !composed;
  $('preview-camera').textContent = composed ? t('preview.camera', { camera: cameraLabel(shownCamera ?? previewSource) }) : '';
  markChosenCamera(previewSource);
}

// ---------- countdown ----------

setInterval(() => {
  const st = current?.state;
  if (!st) return;
  const now = Date.now() + (current.skew ?? 0);
  const airs = new Date(now + st.hearing.delaySeconds * 1000);
  $('airs-at').textContent = timeOfDay(airs.getTime(), current.zone);
  $('airs-in').textContent = ` ${t('status.airs-in', { s: st.hearing.delaySeconds })}`;
}, 250);

// ---------- audio level ----------

let audioCtx = null;
function unlockAudio() {
  audioCtx ??= new AudioContext();
  void audioCtx.resume();
}
let meterLoop = 0;
let elementAnalyser = null;
function meterFor(video, stream = null) {
  if (!audioCtx) return;
  // A WebRTC preview's sound is tapped from its stream (Chromium does not route a remote stream
  // through the element); an HLS preview's from the element, which can be tapped only once, so
  // its analyser is kept for when the preview falls back to HLS again.
  let analyser = stream ? null : elementAnalyser;
  if (!analyser) {
    // The analyser taps the preview's sound without playing it aloud in the clerk's room.
    const src = stream ? audioCtx.createMediaStreamSource(stream) : audioCtx.createMediaElementSource(video);
    analyser = audioCtx.createAnalyser();
    analyser.fftSize = 1024;
    src.connect(analyser);
    // Chromium only pulls audio through a graph that reaches the destination: route it there
    // through a gain of zero, so the clerk's room stays silent.
    const silent = audioCtx.createGain();
    silent.gain.value = 0;
    analyser.connect(silent).connect(audioCtx.destination);
    if (!stream) elementAnalyser = analyser;
  }
  const buf = new Float32Array(analyser.fftSize);
  // One meter at a time: the preview's newest source.
  const loop = ++meterLoop;
  const tick = () => {
    if (loop !== meterLoop) return;
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const v of buf) sum += v * v;
    const db = 20 * Math.log10(Math.sqrt(sum / buf.length) || 1e-6);
    $('meter-fill').style.width = `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100))}%`;
    requestAnimationFrame(tick);
  };
  tick();
}

// ---------- commands ----------

function send(command, reason) {
  if (!socket?.connected || !current) return banner(message('TIMEOUT'));
  // One key per intended action: a retry after a timeout can never act twice.
  const attempt = pending?.command === command ? pending : { command, key: crypto.randomUUID(), reason };
  pending = attempt;
  banner(null);
  socket.timeout(5000).emit(command, { hearingId: current.id, idempotencyKey: attempt.key, ...(attempt.reason ? { reason: attempt.reason } : {}) }, (err, ack) => {
    if (err) { banner(message('TIMEOUT')); return setTimeout(() => { if (pending === attempt) send(command, reason); }, 500); }
    if (pending === attempt) pending = null;
    if (!ack.ok) return banner(failure(ack.error));
    if (ack.persisted === false) banner(t('command.done-unsaved', { why: message('STORE_UNAVAILABLE') }));
    render(ack.state);
  });
}

$('btn-start').addEventListener('click', () => send('start'));
$('btn-pause').addEventListener('click', () => send('pause', $('reason').value));
$('btn-resume').addEventListener('click', () => send('resume'));
$('btn-end').addEventListener('click', () => { if (confirm(t('command.end-confirm'))) send('end'); });

// The cut is armed by the first press and fired by a second within 3 s: a slip of the hand
// does nothing, and an emergency costs one extra keystroke, no dialog.
let armedUntil = 0;
function pressCut() {
  if ($('cut').disabled) return;
  if (Date.now() < armedUntil) {
    armedUntil = 0;
    $('cut').classList.remove('armed');
    $('cut-label').textContent = t('cut.label');
    send('cut', $('reason').value);
    return;
  }
  armedUntil = Date.now() + 3000;
  $('cut').classList.add('armed');
  $('cut-label').textContent = t('cut.confirm');
  setTimeout(() => { if (Date.now() >= armedUntil) { $('cut').classList.remove('armed'); $('cut-label').textContent = t('cut.label'); } }, 3050);
}
$('cut').addEventListener('click', pressCut);
document.addEventListener('keydown', (e) => {
  if ($('hearing-view').hidden || e.target instanceof HTMLInputElement || e.repeat) return;
  if (e.key === 'x' || e.key === 'X') { e.preventDefault(); pressCut(); }
});

// ---------- the composed program ----------

wireProgram((payload, done) => {
  if (!socket?.connected || !current) return banner(message('TIMEOUT'));
  socket.timeout(10_000).emit('switch', { hearingId: current.id, idempotencyKey: crypto.randomUUID(), ...payload }, (err, ack) => {
    if (err) return banner(message('TIMEOUT'));
    if (!ack.ok) return banner(failure(ack.error));
    done();
    render(ack.state);
  });
});

// ---------- masks ----------

let drawn = null; // the region drawn on the preview, normalised
let dragFrom = null;
const drawEl = $('draw');
const norm = (e) => {
  const r = drawEl.getBoundingClientRect();
  return { x: Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)), y: Math.min(1, Math.max(0, (e.clientY - r.top) / r.height)) };
};
function showBox(reg) {
  const box = $('draw-box');
  box.hidden = !reg;
  if (!reg) return;
  Object.assign(box.style, { left: `${reg.x * 100}%`, top: `${reg.y * 100}%`, width: `${reg.w * 100}%`, height: `${reg.h * 100}%` });
}
drawEl.addEventListener('pointerdown', (e) => { dragFrom = norm(e); drawEl.setPointerCapture(e.pointerId); });
drawEl.addEventListener('pointermove', (e) => {
  if (!dragFrom) return;
  const p = norm(e);
  drawn = { x: Math.min(p.x, dragFrom.x), y: Math.min(p.y, dragFrom.y), w: Math.abs(p.x - dragFrom.x), h: Math.abs(p.y - dragFrom.y) };
  showBox(drawn);
});
drawEl.addEventListener('pointerup', () => {
  dragFrom = null;
  if (drawn && (drawn.w < 0.01 || drawn.h < 0.01)) { drawn = null; showBox(null); }
  $('mask-region').disabled = !drawn;
});

const round4 = (v) => Math.round(v * 10000) / 10000;
const regionOf = (r) => ({ x: round4(r.x), y: round4(r.y), w: round4(Math.min(r.w, 1 - r.x)), h: round4(Math.min(r.h, 1 - r.y)) });

function sendMask(payload, what) {
  if (!socket?.connected || !current) return banner(message('TIMEOUT'));
  // A region drawn on a composed program's preview is drawn on the camera it shows.
  const on = payload.region && current.state?.arrangement && shownCamera ? { source: shownCamera } : {};
  socket.timeout(10_000).emit('mask', { hearingId: current.id, idempotencyKey: crypto.randomUUID(), ...payload, ...on }, (err, ack) => {
    if (err) return banner(message('TIMEOUT'));
    if (!ack.ok) return banner(failure(ack.error));
    const pub = ack.alreadyPublic;
    $('mask-note').textContent = pub
      ? t('masks.applied-partly', { what, from: timeOfDay(pub.start, current?.zone), to: timeOfDay(pub.end, current?.zone) })
      : t('masks.applied', { what });
    render(ack.state);
  });
}

$('mask-region').addEventListener('click', () => drawn && sendMask({ kind: $('mask-kind').value, region: regionOf(drawn), reason: $('reason').value }, t('masks.region')));
$('mask-mute').addEventListener('click', () => sendMask({ kind: 'mute', reason: $('reason').value }, label('mask', 'mute')));
$('mask-voice').addEventListener('click', () => sendMask({ kind: 'voice', pitch: Number($('pitch').value), reason: $('reason').value }, label('mask', 'voice')));
$('mask-card').addEventListener('click', () => sendMask({ kind: 'card', reason: $('reason').value }, label('mask', 'card')));
$('mask-retro').addEventListener('click', () => {
  const seconds = Number($('retro-seconds').value);
  const now = Date.now() + (current?.skew ?? 0);
  const span = { start: new Date(now - seconds * 1000).toISOString(), end: new Date(now).toISOString() };
  const choice = $('retro-kind').value;
  if (choice === 'region' && !drawn) return banner(t('masks.draw-first'));
  const body = choice === 'region' ? { kind: $('mask-kind').value, region: regionOf(drawn) } : { kind: choice };
  sendMask({ ...body, ...span, reason: $('reason').value }, t('masks.last', { s: seconds }));
});

function applyPreset(p) {
  sendMask({ kind: $('mask-kind').value, preset: p.name, reason: $('reason').value }, t('masks.preset', { name: p.name }));
}

function renderMasks(st) {
  const presets = $('presets');
  presets.replaceChildren();
  for (const p of st.presets ?? []) {
    const b = document.createElement('button');
    b.textContent = p.key ? `${p.name} [${p.key}]` : p.name;
    b.addEventListener('click', () => applyPreset(p));
    presets.append(b);
  }
  const list = $('mask-list');
  list.replaceChildren();
  const now = Date.now() + (current?.skew ?? 0);
  for (const m of [...(st.masks ?? [])].reverse()) {
    const li = document.createElement('li');
    const open = m.end === null;
    const span = `${timeOfDay(m.start, current?.zone)} – ${open ? t('masks.until-lifted') : timeOfDay(m.end, current?.zone)}`;
    const state = t(open ? 'masks.active' : m.end > now ? 'masks.scheduled' : 'masks.ended');
    li.innerHTML = '<span></span><span></span><span class="muted"></span>';
    li.children[0].textContent = state;
    li.children[0].className = open ? 'active' : 'muted';
    li.children[1].textContent = `${label('mask', m.kind)}${m.region ? ` (${Math.round(m.region.w * 100)}%×${Math.round(m.region.h * 100)}%)` : ''}${m.pitch ? ` ${t('masks.pitch-of', { p: m.pitch })}` : ''}`;
    li.children[2].textContent = span;
    if (open) {
      const lift = document.createElement('button');
      lift.textContent = t('masks.lift');
      lift.addEventListener('click', () => {
        socket?.timeout(10_000).emit('lift', { hearingId: current.id, idempotencyKey: crypto.randomUUID(), maskId: m.id }, (err, ack) => {
          if (err) return banner(message('TIMEOUT'));
          if (!ack.ok) return banner(failure(ack.error));
          render(ack.state);
        });
      });
      li.append(lift);
    }
    list.append(li);
  }
}

document.addEventListener('keydown', (e) => {
  if ($('hearing-view').hidden || e.target instanceof HTMLInputElement || e.repeat || !current?.state) return;
  const p = (current.state.presets ?? []).find((x) => x.key && x.key.toLowerCase() === e.key.toLowerCase());
  if (p) { e.preventDefault(); applyPreset(p); }
});

// ---------- start ----------

if (session.token) showList().catch(() => signOut());
else show('login-view');
