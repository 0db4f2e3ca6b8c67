// The courtroom capture page: a courtroom PC or laptop sends its camera (or a screen, for
// evidence) and microphone to Courtcast over WHIP, and keeps sending: a lost connection is made
// again by itself. It is signed in with the courtroom's stream key, or as a clerk who serves the
// courtroom; either is the bearer token of the WHIP calls. What airs stays the clerk's decision.

import { $, session } from './session.js';
import { label, loadLanguage, t } from './i18n.js';
import { gathered } from './webrtc.js';

await loadLanguage();

const courtroomId = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
const KEY_STORE = `courtcast.capture-key.${courtroomId}`;
$('room').textContent = courtroomId;

/** The bearer of the WHIP calls: the courtroom key (kept for this tab only) or a clerk's token. */
const credential = () => sessionStorage.getItem(KEY_STORE) ?? session.token;

let stream = null;
let pc = null;
let sessionUrl = null;
let wanted = false;
let attempt = 0;
let retryTimer = null;
let statusTimer = null;

function showView() {
  const signedIn = credential() !== null;
  $('login-view').hidden = signedIn;
  $('capture-view').hidden = !signedIn;
  $('signout').hidden = !signedIn;
  if (signedIn) void openDevices().then(() => pollStatus());
}

function setLink(state, detail = '') {
  $('link').textContent = t(`capture.link-${state}`) + (detail ? ` · ${detail}` : '');
  $('link').className = `phase link-${state}`;
}

// --- Signing in -------------------------------------------------------------------------------

$('key-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  const key = $('key').value.trim();
  const res = await fetch(`/whip/${encodeURIComponent(courtroomId)}/status`, { headers: { authorization: `Bearer ${key}` } }).catch(() => null);
  if (!res?.ok) {
    $('login-error').textContent = t(res?.status === 401 ? 'capture.key-refused' : 'capture.unreachable');
    return;
  }
  sessionStorage.setItem(KEY_STORE, key);
  $('key').value = '';
  showView();
});

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  const res = await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: $('username').value, password: $('password').value }) }).catch(() => null);
  const data = res?.ok ? await res.json() : null;
  if (!data?.token) {
    $('login-error').textContent = t(res ? 'capture.sign-in-refused' : 'capture.unreachable');
    return;
  }
  const check = await fetch(`/whip/${encodeURIComponent(courtroomId)}/status`, { headers: { authorization: `Bearer ${data.token}` } });
  if (!check.ok) {
    $('login-error').textContent = t('capture.not-your-room');
    return;
  }
  session.token = data.token;
  showView();
});

$('signout').addEventListener('click', async () => {
  await stopSending();
  sessionStorage.removeItem(KEY_STORE);
  session.token = null;
  stream?.getTracks().forEach((tr) => tr.stop());
  stream = null;
  clearTimeout(statusTimer);
  showView();
});

// --- Devices, preview and level ---------------------------------------------------------------

async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [select, kind] of [[$('camera'), 'videoinput'], [$('microphone'), 'audioinput']]) {
    const current = select.value;
    select.replaceChildren(...devices.filter((d) => d.kind === kind).map((d, i) => new Option(d.label || `${t(kind === 'videoinput' ? 'capture.camera' : 'capture.microphone')} ${i + 1}`, d.deviceId, false, d.deviceId === current)));
  }
}

async function openDevices() {
  $('capture-error').textContent = '';
  try {
    const audio = { deviceId: $('microphone').value ? { exact: $('microphone').value } : undefined, echoCancellation: false, noiseSuppression: false, autoGainControl: false };
    const video = $('screen').checked
      ? null
      : { deviceId: $('camera').value ? { exact: $('camera').value } : undefined, width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
    const sound = await navigator.mediaDevices.getUserMedia({ audio, video: video ?? false });
    const picture = video ? sound.getVideoTracks()[0] : (await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 30 }, audio: false })).getVideoTracks()[0];
    const next = new MediaStream([picture, ...sound.getAudioTracks()]);
    const previous = stream;
    stream = next;
    $('preview').srcObject = stream;
    meter(stream);
    // While sending, the new devices replace the old on the same connection: no reconnect.
    if (pc) for (const sender of pc.getSenders()) {
      const track = stream.getTracks().find((tr) => tr.kind === sender.track?.kind);
      if (track) await sender.replaceTrack(track);
    }
    previous?.getTracks().forEach((tr) => tr.stop());
    await listDevices();
  } catch (err) {
    $('capture-error').textContent = t('capture.no-devices', { reason: err?.name ?? '' });
  }
}

let meterContext = null;
function meter(media) {
  const track = media.getAudioTracks()[0];
  if (!track) return;
  meterContext?.close();
  meterContext = new AudioContext();
  const analyser = meterContext.createAnalyser();
  analyser.fftSize = 1024;
  meterContext.createMediaStreamSource(new MediaStream([track])).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const context = meterContext;
  let shown = -1;
  const draw = () => {
    if (context.state === 'closed') return;
    analyser.getFloatTimeDomainData(samples);
    const rms = Math.sqrt(samples.reduce((sum, v) => sum + v * v, 0) / samples.length);
    // dBFS from -60 to 0, as a percentage of the bar.
    const level = Math.round(Math.max(0, Math.min(100, ((20 * Math.log10(rms || 1e-6) + 60) / 60) * 100)));
    $('meter-fill').style.width = `${level}%`;
    if (Math.abs(level - shown) >= 5) {
      shown = level;
      $('level').setAttribute('aria-valuenow', String(level));
    }
    requestAnimationFrame(draw);
  };
  draw();
}

$('camera').addEventListener('change', () => void openDevices());
$('microphone').addEventListener('change', () => void openDevices());
$('screen').addEventListener('change', () => void openDevices());

// --- Sending over WHIP ------------------------------------------------------------------------

/** Offers H.264 first: the server keeps the master as sent, in H.264. */
function preferH264(transceiver) {
  const codecs = RTCRtpSender.getCapabilities?.('video')?.codecs ?? [];
  const h264 = codecs.filter((c) => c.mimeType.toLowerCase() === 'video/h264');
  if (h264.length === 0 || !transceiver.setCodecPreferences) return;
  const repair = codecs.filter((c) => /rtx|red|ulpfec/i.test(c.mimeType));
  transceiver.setCodecPreferences([...h264, ...repair]);
}

/** The STUN/TURN servers the server names in its WHIP Link headers (RFC 9725), for courtrooms behind NAT. */
async function iceServers() {
  const res = await fetch(`/whip/${encodeURIComponent(courtroomId)}`, { method: 'OPTIONS' }).catch(() => null);
  const links = res?.headers.get('link') ?? '';
  return [...links.matchAll(/<([^>]+)>;\s*rel="ice-server"((?:;\s*[\w-]+="[^"]*")*)/g)].map((m) => {
    const attr = (name) => new RegExp(`${name}="([^"]*)"`).exec(m[2])?.[1];
    return { urls: m[1], ...(attr('username') !== undefined ? { username: attr('username'), credential: attr('credential') } : {}) };
  });
}

async function connect() {
  if (!wanted || !stream) return;
  setLink(attempt === 0 ? 'connecting' : 'reconnecting');
  const conn = new RTCPeerConnection({ iceServers: await iceServers() });
  pc = conn;
  for (const track of stream.getTracks()) {
    const tr = conn.addTransceiver(track, { direction: 'sendonly', streams: [stream], ...(track.kind === 'video' ? { sendEncodings: [{ maxBitrate: 2_500_000 }] } : {}) });
    if (track.kind === 'video') preferH264(tr);
  }
  conn.addEventListener('connectionstatechange', () => {
    if (pc !== conn) return;
    if (conn.connectionState === 'connected') {
      attempt = 0;
      setLink('sending');
    }
    if (['failed', 'closed', 'disconnected'].includes(conn.connectionState)) retry();
  });
  try {
    await conn.setLocalDescription(await conn.createOffer());
    await gathered(conn);
    const res = await fetch(`/whip/${encodeURIComponent(courtroomId)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', authorization: `Bearer ${credential()}` },
      body: conn.localDescription.sdp,
    });
    if (pc !== conn) return;
    if (res.status === 401 || res.status === 403) {
      wanted = false;
      setLink('refused');
      closeConnection();
      buttons();
      return;
    }
    if (res.status !== 201) {
      setLink(res.status === 409 ? 'busy' : 'reconnecting', String(res.status));
      return retry();
    }
    sessionUrl = res.headers.get('location');
    await conn.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  } catch {
    if (pc === conn) retry();
  }
}

function closeConnection() {
  if (sessionUrl) void fetch(sessionUrl, { method: 'DELETE', headers: { authorization: `Bearer ${credential()}` } }).catch(() => undefined);
  sessionUrl = null;
  pc?.close();
  pc = null;
}

/** Drops the connection and makes a new one, sooner at first, at most every 10 s. */
function retry() {
  closeConnection();
  if (!wanted) return;
  clearTimeout(retryTimer);
  const delay = Math.min(10_000, 500 * 2 ** attempt++);
  setLink('reconnecting');
  retryTimer = setTimeout(() => void connect(), delay);
}

async function stopSending() {
  wanted = false;
  clearTimeout(retryTimer);
  closeConnection();
  setLink('idle');
  buttons();
}

function buttons() {
  $('start').disabled = wanted;
  $('stop').disabled = !wanted;
}

$('start').addEventListener('click', () => {
  wanted = true;
  attempt = 0;
  buttons();
  void connect();
});
$('stop').addEventListener('click', () => void stopSending());

// --- What the server says ---------------------------------------------------------------------

async function pollStatus() {
  clearTimeout(statusTimer);
  if (credential() === null) return;
  const res = await fetch(`/whip/${encodeURIComponent(courtroomId)}/status`, { headers: { authorization: `Bearer ${credential()}` } }).catch(() => null);
  if (res?.status === 401 || res?.status === 403) {
    // The key was rotated or the clerk's rights ended: sign out here too.
    await stopSending();
    sessionStorage.removeItem(KEY_STORE);
    session.token = null;
    $('login-error').textContent = t('capture.signed-out');
    return showView();
  }
  const s = res?.ok ? await res.json() : null;
  const phase = s?.hearing?.phase ?? null;
  $('phase').textContent = phase ? label('phase', phase) : t('capture.no-hearing');
  $('phase').className = `phase ${phase ? `phase-${phase}` : 'phase-ready'}`;
  $('hearing-title').textContent = s?.hearing?.title ?? '';
  statusTimer = setTimeout(() => void pollStatus(), 2000);
}

setLink('idle');
buttons();
showView();
