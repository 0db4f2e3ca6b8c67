// The multiview of a composed program on the clerk console: every camera of the courtroom, small,
// undelayed, each over its own WHEP session (`?source=`). Choosing one puts it on the preview,
// where a region drawn is drawn on that camera. Never public: WHEP is for the room's clerks only.
import { t } from './i18n.js';
import { cameraLabel } from './program.js';
import { $ } from './session.js';
import { endWhep, keptWhep } from './webrtc.js';

const RETRY_MS = 5_000; // a camera not sending, or a session lost, is asked again after this
const tiles = new Map(); // camera → { el, video, note, rtc, retryAt }
let hearing = null;
let token = null;

/** Draws the multiview from a console state (hidden when the program is the courtroom's own feed). */
export function renderCameras(st, o) {
  const a = st.arrangement;
  $('program-cameras').hidden = !a;
  if (!a || !window.RTCPeerConnection) return;
  if (hearing !== st.hearing.id) closeCameras();
  hearing = st.hearing.id;
  token = o.token;
  for (const name of [...tiles.keys()]) if (!a.available.includes(name)) drop(name);
  for (const name of a.available) {
    const tile = tiles.get(name) ?? addTile(name, o.choose);
    const onProgram = a.cameras.includes(name);
    tile.el.classList.toggle('on-program', onProgram);
    // Labels change when an admin renames a camera: every state carries them.
    tile.el.querySelector('.camera-name').textContent = cameraLabel(name);
    tile.el.title = `${t('multiview.choose', { camera: cameraLabel(name) })}${onProgram ? ` (${t('multiview.on-program')})` : ''}`;
    // A tile is opened once here; after a failure its own timer asks again.
    if (!tile.rtc && tile.retryAt === 0) void open(name, tile);
  }
}

/** Marks the camera the preview shows. */
export function markChosenCamera(name) {
  for (const [n, tile] of tiles) tile.el.setAttribute('aria-pressed', String(n === name));
}

/** Ends every session (the clerk left the hearing). */
export function closeCameras() {
  for (const name of [...tiles.keys()]) drop(name);
  hearing = null;
}

function addTile(name, choose) {
  const el = document.createElement('button');
  el.type = 'button';
  el.className = 'camera-tile';
  el.dataset.camera = name;
  el.setAttribute('aria-pressed', 'false');
  el.innerHTML = '<video muted playsinline></video><span class="camera-name"></span><span class="camera-note muted small"></span>';
  el.addEventListener('click', () => choose(name));
  $('program-cameras').append(el);
  const tile = { el, video: el.querySelector('video'), note: el.querySelector('.camera-note'), rtc: null, retryAt: 0 };
  tiles.set(name, tile);
  return tile;
}

async function open(name, tile) {
  const rtc = { pc: null, url: null, stream: null };
  tile.rtc = rtc;
  tile.note.textContent = t('multiview.connecting');
  const h = hearing;
  const failed = (why) => {
    if (tile.rtc !== rtc) return;
    endWhep(rtc, token);
    tile.rtc = null;
    tile.retryAt = Date.now() + RETRY_MS;
    tile.video.srcObject = null;
    // 409: the camera is not sending now; anything else is the session's own trouble.
    tile.note.textContent = why === 'answered 409' ? t('multiview.not-sending') : t('multiview.lost');
    tile.el.dataset.failure = why;
    // Asked again then, whatever state updates come meanwhile.
    setTimeout(() => {
      if (tiles.get(name) === tile && !tile.rtc && hearing === h) void open(name, tile);
    }, RETRY_MS + 50);
  };
  if (!(await keptWhep(rtc, { hearingId: h, source: name, token }, { wanted: () => tile.rtc === rtc, failed }))) return;
  tile.note.textContent = '';
  delete tile.el.dataset.failure;
  tile.video.srcObject = rtc.stream;
  tile.video.play().catch(() => {});
}

function drop(name) {
  const tile = tiles.get(name);
  if (!tile) return;
  tiles.delete(name);
  if (tile.rtc) endWhep(tile.rtc, token);
  tile.rtc = null;
  tile.el.remove();
}
