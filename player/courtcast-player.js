// <courtcast-player hearing="…" lang="zh-CN"> — the embeddable Courtcast player.
// One script tag on any site: it finds its server from its own URL, talks to the public API only,
// learns the hearing's state from one event stream (what aired, not what the clerk pressed), and
// plays with hls.js (loaded from the same server) or the browser's own HLS (Safari, iOS).

import { bestLocale } from './locale-match.js';
import { LiveCheck } from './live-check.js';
import { checkSeal, entryOf, importArchiveKey, sealInLog, segmentMatches } from './seal-check.js';

const SCRIPT_BASE = new URL('.', import.meta.url);
const CHECK_MEASURE = 'courtcast:segment-check';
let checkMeasures = 0;

/**
 * What checking cost a segment, for sites (and bench/verify.ts) to see through User Timing; the
 * newest thousand or so are kept. Never in the way of playback, where the API is older.
 */
function noteCheck(start, url, ok) {
  try {
    if (++checkMeasures % 1000 === 0) performance.clearMeasures(CHECK_MEASURE);
    performance.measure(CHECK_MEASURE, { start, end: performance.now(), detail: { url, ok } });
  } catch {
    // measure() with options is Chromium 78, Firefox 103, Safari 14.1.
  }
}
const SERVER = new URL('..', SCRIPT_BASE).href.replace(/\/$/, '');
const PLAYING_STATES = new Set(['starting', 'live', 'paused', 'interrupted', 'not-broadcast']);
/** How often a player without a state stream asks for the state. */
const POLL_MS = 3_000;
/**
 * How long after a change of state a joining player may still be showing what aired before it: it
 * starts a few segments behind the live edge (more than any latency hls.js keeps).
 */
const JOIN_BEHIND_MS = 30_000;
const locales = new Map();

/**
 * The strings of the shipped language that suits a reader best (see locale-match.js): one fetch,
 * never one for a file that is not there. Adding a language is adding a file and its tag.
 */
async function loadLocale(wanted) {
  const tag = bestLocale(wanted);
  if (!locales.has(tag)) locales.set(tag, fetch(new URL(`locales/${tag}.json`, SCRIPT_BASE)).then((r) => (r.ok ? r.json() : null)).catch(() => null));
  return { tag, strings: (await locales.get(tag)) ?? {} };
}

let hlsLoading = null;
function loadHls() {
  if (window.Hls) return Promise.resolve(window.Hls);
  hlsLoading ??= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = `${SERVER}/vendor/hls.min.js`;
    s.onload = () => resolve(window.Hls);
    s.onerror = () => reject(new Error('hls.js did not load'));
    document.head.append(s);
  });
  return hlsLoading;
}

/** Icons as inline SVG: they draw the same with any font. */
const ICON = {
  play: '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M7 4v16l13-8z"/></svg>',
  pause: '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M6 4h4v16H6zM14 4h4v16h-4z"/></svg>',
  sound: '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M3 9v6h4l5 5V4L7 9zm13.5 3a4.5 4.5 0 0 0-2.5-4v8a4.5 4.5 0 0 0 2.5-4z"/></svg>',
  muted: '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M3 9v6h4l5 5V4L7 9zm13.6 3 2.7-2.7-1.4-1.4-2.7 2.7-2.7-2.7-1.4 1.4 2.7 2.7-2.7 2.7 1.4 1.4 2.7-2.7 2.7 2.7 1.4-1.4z"/></svg>',
  full: '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M4 4h6v2H6v4H4zm10 0h6v6h-2V6h-4zM4 14h2v4h4v2H4zm14 0h2v6h-6v-2h4z"/></svg>',
  pip: '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M3 5h18v14H3zm2 2v10h14V7zm7 5h6v4h-6z"/></svg>',
};

const STYLE = `
:host { display: flex; flex-direction: column; container-type: inline-size; position: relative; font: 15px/1.4 system-ui, sans-serif; color: #eef2f6; background: #0d1318; border-radius: 8px; overflow: hidden; max-width: 100%; }
/* The picture is 16:9 when the page leaves the height to the player, and gives way to the bar in a
   box of fixed height (an iframe of any size): the video letterboxes, the controls stay whole. */
.frame { position: relative; flex: 1 1 auto; min-height: 0; aspect-ratio: 16 / 9; background: #000; }
video { width: 100%; height: 100%; display: block; object-fit: contain; }
.card { position: absolute; inset: 0; display: grid; place-content: center; text-align: center; gap: .4rem; background: #16212b; padding: 1rem; overflow: hidden; }
.card[hidden] { display: none; }
.card .big { font-size: 1.4rem; font-weight: 700; }
.bar { flex: none; display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; padding: .5rem .7rem; background: #111a22; }
.state { font-weight: 700; padding: .1rem .5rem; border-radius: 4px; background: #34485c; white-space: nowrap; }
.state.live { background: #c62828; }
.state.paused, .state.interrupted { background: #8a6d10; }
.meta { color: #b6c4d1; font-size: .9rem; white-space: nowrap; }
/* The title line takes what room is left and is cut short rather than push the controls out. */
.grow { flex: 1 1 0; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
.controls { display: flex; gap: .5rem; align-items: center; margin-left: auto; }
.cc-pick[hidden], .seal[hidden] { display: none; }
.seal { color: #9be7a7; }
.seal.warn { color: #ffd479; }
.hide { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
button, select { font: inherit; color: inherit; background: #223142; border: 1px solid #3a4d61; border-radius: 4px; padding: .3rem .6rem; min-height: 44px; min-width: 44px; cursor: pointer; }
button:focus-visible, select:focus-visible { outline: 3px solid #ffd54f; outline-offset: 2px; }
button:disabled, select:disabled { opacity: .45; cursor: default; }
/* A small box (a phone, a narrow column, a small iframe): one tight row where it can be, the
   title left to the page around it, targets still at least 32 px. */
@container (max-width: 560px) {
  .bar { gap: .3rem; padding: .3rem .4rem; font-size: .85rem; }
  .controls { gap: .3rem; }
  .grow { display: none; }
  button, select { min-height: 34px; min-width: 34px; padding: .1rem .35rem; }
  .card { padding: .4rem; gap: .2rem; }
  .card .big { font-size: 1.1rem; }
}
@container (max-width: 400px) { .pip { display: none; } .state { padding: .1rem .35rem; } }
`;

class CourtcastPlayer extends HTMLElement {
  static get observedAttributes() {
    return ['hearing', 'lang'];
  }

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    this.root.innerHTML = `<style>${STYLE}</style>
      <div class="frame">
        <video playsinline part="video"></video>
        <div class="card" role="status" aria-live="polite"><span class="big"></span><span class="sub"></span></div>
      </div>
      <div class="bar">
        <span class="state" aria-live="polite"></span>
        <span class="meta delay"></span>
        <span class="meta grow info"></span>
        <span class="meta seal" role="status" hidden></span>
        <span class="controls">
          <button class="play" type="button"></button>
          <button class="mute" type="button"></button>
          <label><span class="ql hide"></span><select class="quality"></select></label>
          <label class="cc-pick" hidden><span class="cl hide"></span><select class="captions"></select></label>
          <button class="pip" type="button"></button>
          <button class="fs" type="button"></button>
        </span>
      </div>`;
    this.$ = (sel) => this.root.querySelector(sel);
    this.status = null;
    this.hearingInfo = null;
    this.t = (k, vars = {}) => (this.strings?.[k] ?? k).replace(/\{(\w+)\}/g, (_m, v) => String(vars[v] ?? ''));
    this.$('.play').addEventListener('click', () => this.togglePlay());
    this.$('.mute').addEventListener('click', () => this.toggleMute());
    this.$('.fs').addEventListener('click', () => this.toggleFullscreen());
    this.$('.pip').addEventListener('click', () => void this.togglePip());
    this.$('.quality').addEventListener('change', (e) => this.chooseQuality(e.target.value));
    this.$('.captions').addEventListener('change', (e) => this.chooseCaptions(e.target.value, true));
    this.$('video').addEventListener('play', () => this.renderButtons());
    this.$('video').addEventListener('pause', () => this.renderButtons());
    this.$('video').addEventListener('volumechange', () => this.renderButtons());
    this.addEventListener('keydown', (e) => this.onKey(e));
    this.tabIndex = 0;
  }

  connectedCallback() {
    void this.load();
  }

  disconnectedCallback() {
    this.stop();
  }

  attributeChangedCallback(name, before, after) {
    if (before !== after && this.isConnected) void this.load();
  }

  stop() {
    this.events?.close();
    this.events = null;
    this.stopPolling();
    this.hls?.destroy();
    this.hls = null;
    this.audioOnly = false;
    clearInterval(this.ticker);
    clearTimeout(this.pendingState);
    this.pendingStatus = null;
  }

  /** The languages wanted, most wanted first: the element's own, then the page's, then the browser's. */
  get languages() {
    return [this.getAttribute('lang'), this.closest('[lang]')?.getAttribute('lang'), ...(navigator.languages ?? [navigator.language])].filter(Boolean);
  }

  async load() {
    this.stop();
    // The element may be loaded twice at once (its attribute set as it connects): only the newest
    // load goes on past each wait, or the older one would open a second state stream and leak it.
    const generation = (this.loads = (this.loads ?? 0) + 1);
    const id = this.getAttribute('hearing');
    const wanted = this.languages;
    const { tag, strings } = await loadLocale(wanted);
    if (generation !== this.loads) return;
    this.strings = strings;
    // Dates and times read as the reader writes them (en-GB, zh-TW), in the shipped language's words.
    this.locale = wanted.find((w) => { try { return Intl.DateTimeFormat.supportedLocalesOf(w).length > 0; } catch { return false; } }) ?? tag;
    this.$('.frame').dir = strings.dir ?? 'ltr';
    this.$('.bar').dir = strings.dir ?? 'ltr';
    // Every control is named from the start (an unavailable hearing still shows the bar), and
    // those that play something wait until there is something to play.
    this.$('.ql').textContent = this.t('quality');
    this.$('.cl').textContent = this.t('captions');
    this.renderButtons();
    this.showCard(this.t('loading'), '');
    if (!id) return;
    try {
      const res = await fetch(`${SERVER}/public/hearings/${encodeURIComponent(id)}`);
      if (!res.ok) throw new Error(this.t('unavailable'));
      this.hearingInfo = await res.json();
    } catch (err) {
      this.showCard(err.message, '');
      return;
    }
    if (generation !== this.loads) return;
    const h = this.hearingInfo;
    this.$('.info').textContent = `${h.title} · ${h.courtName} · ${this.t('case', { caseNumber: h.caseNumber })}`;
    this.join(h);
    // One stream of state changes for as long as the player is on the page.
    this.events = new EventSource(`${SERVER}/public/hearings/${encodeURIComponent(id)}/events`);
    this.events.addEventListener('state', (e) => {
      this.stopPolling();
      this.whenSeen(JSON.parse(e.data));
    });
    // While the stream is down or refused (busy, too many from this address), the player asks for
    // the state every few seconds instead, and still follows the hearing; the stream's next event
    // ends that.
    this.events.addEventListener('error', () => {
      this.poller ??= setInterval(() => void this.pollState(id), POLL_MS);
    });
    this.ticker = setInterval(() => this.renderState(), 1000);
  }

  /**
   * The state a joining player shows. Just after a change (the first program after the "starting"
   * slate, say) it plays what aired before the change, a little behind the live edge: the label
   * says that until the picture reaches the change, as whenSeen does for changes seen later.
   */
  join(h) {
    const status = { state: h.state, since: h.stateSince, delaySeconds: h.delaySeconds, scheduledStart: h.scheduledStart };
    const ago = Number(h.serverTime) - Number(h.stateSince);
    if (!h.previousState || !PLAYING_STATES.has(h.state) || !(ago >= 0 && ago < JOIN_BEHIND_MS)) return this.onStatus(status);
    const joinedAt = performance.now();
    this.onStatus({ ...status, state: h.previousState });
    this.pendingStatus = status;
    const apply = () => {
      if (this.pendingStatus !== status) return;
      clearTimeout(this.pendingState);
      this.pendingStatus = null;
      this.onStatus(status);
    };
    // Once the picture plays, it reaches the change `latency` behind the edge, measured from when
    // the change was published; a player that does not play gives the label up after the bound.
    this.pendingState = setTimeout(apply, JOIN_BEHIND_MS - ago);
    const video = this.$('video');
    video.addEventListener('playing', () => {
      if (this.pendingStatus !== status) return;
      const behindMs = Math.max(0, (this.hls?.latency || 0) * 1000);
      clearTimeout(this.pendingState);
      // Where the change is on the media timeline, late rather than early ("live" must never stand
      // over the slate): estimated from hls.js's latency behind the edge, a second late, and never
      // before the start of the slot that first aired it, when the server names it and hls.js
      // lists it (that slot may still open with the slate: a start falls inside it).
      const slot = Number.isInteger(h.stateSinceSlot) ? (this.hls?.levels ?? []).map((l) => l.details?.fragments?.find((f) => f.sn === h.stateSinceSlot)).find(Boolean) : null;
      const estimate = video.currentTime + Math.max(0, behindMs + 1_000 - ago - (performance.now() - joinedAt)) / 1000;
      const at = Math.max(estimate, slot?.start ?? 0);
      // Counted by the frames shown, not by the clock: a machine too busy to keep up (a stall,
      // frames painted late) delays the label with the picture.
      const shown = (mediaTime) => {
        if (this.pendingStatus !== status) return;
        if (mediaTime >= at) apply();
        else if (video.requestVideoFrameCallback) video.requestVideoFrameCallback((_now, m) => shown(m.mediaTime));
        else video.addEventListener('timeupdate', () => shown(video.currentTime), { once: true });
      };
      shown(video.currentTime);
    }, { once: true });
  }

  stopPolling() {
    clearInterval(this.poller);
    this.poller = null;
  }

  /** The hearing's state as the public API tells it, when no stream does. */
  async pollState(id) {
    try {
      const res = await fetch(`${SERVER}/public/hearings/${encodeURIComponent(id)}`);
      if (!res.ok) return;
      const h = await res.json();
      if (h.state === this.status?.state) return;
      this.whenSeen({ hearingId: id, state: h.state, since: h.stateSince, delaySeconds: h.delaySeconds, scheduledStart: h.scheduledStart });
    } catch {
      // The next poll tries again.
    }
  }

  /**
   * A state arrives when its first slot is published; this viewer sees that slot only once the
   * player reaches it, hls.js's latency behind the live edge later. The label changes then, so it
   * matches the picture (a paused card appears with "paused", not seconds before it).
   */
  whenSeen(status) {
    // A poll tells the same state again every few seconds: restarting the wait each time would
    // put it off for good while the player runs more than a poll behind the live edge.
    if (this.pendingStatus?.state === status.state) return;
    const behindMs = this.hls && !this.$('video').paused ? Math.max(0, (this.hls.latency || 0) * 1000) : 0;
    clearTimeout(this.pendingState);
    this.pendingStatus = null;
    if (behindMs === 0) return this.onStatus(status);
    this.pendingStatus = status;
    this.pendingState = setTimeout(() => {
      this.pendingStatus = null;
      this.onStatus(status);
    }, behindMs);
  }

  onStatus(status) {
    const before = this.status?.state;
    this.status = status;
    this.setAttribute('state', status.state);
    // The hearing's poster (what airs, the replay's start, or its card) until the picture plays;
    // asked again at each change of state, since it changes with it.
    if (status.state !== before) this.$('video').poster = `${SERVER}/public/hearings/${encodeURIComponent(this.getAttribute('hearing'))}/poster.jpg?state=${status.state}`;
    this.renderState();
    if (PLAYING_STATES.has(status.state) && !this.hls && !this.$('video').src) void this.startPlayback();
    if ((status.state === 'ended' || status.state === 'withheld') && before !== status.state) {
      this.$('video').pause();
      this.hls?.destroy();
      this.hls = null;
      this.live = null;
      this.audioOnly = false;
      this.renderButtons();
    }
    if (status.state === 'replay' && before !== 'replay') void this.startReplay();
    this.dispatchEvent(new CustomEvent('statechange', { detail: status }));
  }

  renderState() {
    const st = this.status?.state;
    if (!st) return;
    const label = this.$('.state');
    label.textContent = this.t(`state.${st}`);
    label.className = `state ${st}`;
    this.$('.delay').textContent = st === 'live' || st === 'paused' ? this.t('delayed', { seconds: this.status.delaySeconds }) : '';
    this.$('.ql').textContent = this.t('quality');
    if (st === 'replay') {
      // A replay that does not match the court's seal stays stopped, and says so.
      if (!this.sealBroken) this.$('.card').hidden = true;
    } else if (st === 'scheduled') {
      const ms = Date.parse(this.status.scheduledStart) - Date.now();
      const when = new Intl.DateTimeFormat(this.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: this.hearingInfo?.courtTimezone ?? 'UTC' }).format(new Date(this.status.scheduledStart));
      this.showCard(ms > 0 ? this.t('countdown', { time: formatLeft(ms) }) : this.t('countdown.due'), when);
    } else if (st === 'ended' || st === 'withheld' || (st === 'not-broadcast' && !this.hls)) {
      this.showCard(this.t(`state.${st}`), '');
    } else if (this.audioOnly) {
      // The slates are pictures: a listener reads the state here instead.
      this.showCard(this.t('quality.audio'), st === 'live' ? '' : this.t(`state.${st}`));
    } else {
      this.$('.card').hidden = true;
    }
    this.renderButtons();
  }

  showCard(big, sub) {
    const card = this.$('.card');
    card.hidden = false;
    card.querySelector('.big').textContent = big;
    card.querySelector('.sub').textContent = sub;
  }

  renderButtons() {
    const v = this.$('video');
    this.$('.play').innerHTML = v.paused ? ICON.play : ICON.pause;
    this.$('.play').setAttribute('aria-label', v.paused ? this.t('play') : this.t('pause'));
    this.$('.mute').innerHTML = v.muted ? ICON.muted : ICON.sound;
    this.$('.mute').setAttribute('aria-label', v.muted ? this.t('unmute') : this.t('mute'));
    this.$('.fs').innerHTML = ICON.full;
    this.$('.fs').setAttribute('aria-label', this.t('fullscreen'));
    this.$('.pip').innerHTML = ICON.pip;
    this.$('.pip').setAttribute('aria-label', this.t('pip'));
    this.$('.pip').hidden = !document.pictureInPictureEnabled;
    const playable = !!(this.hls || v.src);
    for (const c of ['.play', '.quality', '.pip']) this.$(c).disabled = !playable;
  }

  /**
   * The published replay, from where the broadcast began (the playlist's EXT-X-START, which
   * startPosition -1 lets hls.js and Safari honour) or from the time the page links to (?t=seconds
   * or the `t` attribute).
   */
  async startReplay() {
    this.hls?.destroy();
    this.hls = null;
    this.audioOnly = false;
    const id = encodeURIComponent(this.getAttribute('hearing'));
    const fresh = await fetch(`${SERVER}/public/hearings/${id}`).then((r) => (r.ok ? r.json() : null)).catch(() => null);
    if (!fresh?.replayUrl) return;
    const t = Number(this.getAttribute('t') ?? new URLSearchParams(location.search).get('t') ?? 0);
    // The seal is fetched and checked while hls.js starts: a segment waits for it only if it comes first.
    this.sealBroken = false;
    this.checked = 0;
    this.renderSeal(null);
    this.seal = this.loadSeal(id);
    this.live = null;
    await this.startPlayback(fresh.replayUrl, Number.isFinite(t) && t > 0 ? t : -1, -1);
  }

  /**
   * The court's seal of this replay, checked here with WebCrypto: 'sealed' (signature, chain and a
   * final seal hold), 'interim' (they hold, but the seal is not the final one yet), 'broken' (they
   * do not, or the court's transparency log holds another seal of this hearing), or 'unchecked'
   * (no WebCrypto Ed25519 here, or the seal could not be fetched: the replay plays, marked as not
   * checked). A sealed replay also says where its seal stands in the log: `log` is 'logged' (with
   * its entry), 'absent' (the log holds no seal of this hearing: not called sealed) or 'unreached'.
   * The key, the seal and the log's proof are fetched at once: one round trip beside hls.js's first.
   */
  async loadSeal(id) {
    if (!globalThis.crypto?.subtle) return { state: 'unchecked' };
    const get = (path, as) => fetch(`${SERVER}${path}`).then((r) => (r.ok ? r[as]() : r.status === 404 ? { absent: true } : null)).catch(() => null);
    const [pem, manifest, proof] = await Promise.all([get('/.well-known/courtcast-archive-key.pem', 'text'), get(`/public/hearings/${id}/seal`, 'json'), get(`/transparency/proof/seal/${id}`, 'json')]);
    const key = typeof pem === 'string' && manifest && !manifest.absent ? await importArchiveKey(pem) : null;
    if (!key) return this.renderSeal({ state: 'unchecked' });
    const v = await checkSeal(manifest, key);
    // An archive whose final seal is not written yet (its replay published in the seconds before)
    // is held to its interim seal where that lists a segment, and is not marked sealed: a false
    // alarm would tell viewers the court's own recording is not the court's.
    if (!v.ok && v.why === 'not-final') return this.renderSeal({ state: 'interim', manifest });
    if (!v.ok) return this.brokenSeal(v.why, 'seal.mismatch-detail');
    const inLog = proof === null ? { found: 'unreached' } : proof.absent ? { found: 'none' } : await sealInLog(v.seal, proof.seals, key);
    // Signed with the court's key but not the seal the court logged: rolled back or rewritten.
    if (inLog.found === 'another-seal') return this.brokenSeal('another-seal', 'seal.replaced-detail');
    const log = inLog.found === 'this-seal' ? 'logged' : inLog.found === 'none' ? 'absent' : 'unreached';
    return this.renderSeal({ state: 'sealed', manifest, seal: v.seal, log, entry: inLog.index, treeSize: inLog.treeSize });
  }

  /** Whether a replay segment may play: the one the seal lists for it, byte for byte (hls.js waits for this). */
  async segmentSealed(sealing, url, bytes) {
    const seal = await sealing;
    if (seal.state === 'unchecked') return true;
    const rel = decodeURIComponent(new URL(url).pathname.split('/replay/')[1] ?? '');
    const entry = seal.state === 'broken' ? null : entryOf(seal.manifest, rel);
    if (seal.state === 'interim' && entry === null) return true;
    const ok = await segmentMatches(entry, bytes);
    if (!ok) this.refuse();
    else this.checked++;
    this.renderSeal(seal);
    return ok;
  }

  brokenSeal(why, detail) {
    this.refuse('seal.mismatch', detail);
    return this.renderSeal({ state: 'broken', why });
  }

  /** Stops what does not match what the court signed, and says so plainly. */
  refuse(title = 'seal.mismatch', detail = 'seal.mismatch-detail') {
    if (this.sealBroken) return;
    this.sealBroken = true;
    this.hls?.stopLoad();
    this.$('video').pause();
    this.$('.seal').hidden = true;
    this.showCard(this.t(title), this.t(detail));
  }

  /** The seal mark: verified (with its details on hover and for screen readers), a warning, not checked, or nothing yet. */
  renderSeal(seal) {
    const mark = this.$('.seal');
    mark.classList.toggle('warn', seal?.log === 'absent');
    if (!seal || this.sealBroken) mark.hidden = true;
    else if (seal.state === 'sealed') {
      mark.hidden = this.checked === 0;
      mark.textContent = seal.log === 'absent' ? `⚠ ${this.t('seal.unlogged')}` : `✓ ${this.t('seal.verified')}`;
      const inLog = seal.log === 'logged' ? this.t('seal.logged', { entry: seal.entry, size: seal.treeSize }) : this.t(seal.log === 'absent' ? 'seal.unlogged-detail' : 'seal.log-unreached');
      mark.title = `${this.t('seal.details', { n: this.checked, at: seal.seal.sealedAt, key: seal.seal.keyId.slice(0, 16) })} ${inLog}`;
      mark.setAttribute('aria-label', `${mark.textContent}. ${mark.title}`);
    } else if (seal.state === 'unchecked' || seal.state === 'interim') {
      mark.hidden = false;
      mark.textContent = this.t('seal.unchecked');
      mark.title = mark.textContent;
      mark.setAttribute('aria-label', mark.title);
    }
    return seal;
  }

  async startPlayback(source, startAt = -1, startLevel = -1) {
    // The server's links may be relative to it (no public base URL configured): never to the host page.
    const url = new URL(source ?? this.hearingInfo?.playlistUrl ?? `/hls/hearings/${this.getAttribute('hearing')}/master.m3u8`, `${SERVER}/`).href;
    // A live hearing is checked against the court's checkpoint beside its master playlist, fetched from now on.
    if (this.status?.state !== 'replay' && !this.audioOnly && !this.live) {
      this.sealBroken = false;
      this.live = new LiveCheck(SERVER, url, this.getAttribute('hearing'));
    }
    const check = this.segmentCheck();
    const video = this.$('video');
    // Browsers let only muted video start by itself; a viewer switching to or from audio only has
    // pressed something, so their sound stays as it was.
    video.muted = this.switching ? video.muted : true;
    if (!this.audioOnly) this.masterUrl = url;
    try {
      const HlsLib = await loadHls().catch(() => null);
      // Refused while hls.js loaded (a seal the court did not log): nothing more is fetched or played.
      if (this.sealBroken) return;
      // hls.js first: Chromium claims native HLS support but cannot play it.
      if (HlsLib?.isSupported()) {
        // The viewer's captions choice is hls.js's own preference from the start: set later, on
        // its tracks event, hls.js would still pick its default (none) after it.
        const captions = storedCaptions();
        this.hls = new HlsLib({ liveSyncDurationCount: 3, startPosition: startAt, startLevel, subtitleDisplay: captions !== 'off', ...(captions !== 'off' ? { subtitlePreference: { lang: captions } } : {}), ...(check ? { fLoader: this.checkedLoader(HlsLib, check) } : {}) });
        // hls.js leaves out an audio-only variant when the master has video ones (FIELD-NOTES):
        // the player finds it in what hls.js loaded and offers it itself.
        this.hls.on(HlsLib.Events.MANIFEST_LOADED, (_e, d) => {
          if (this.audioOnly) return;
          this.audioUrl = d.levels.find((l) => !l.videoCodec && !l.width && !l.height && l.audioCodec)?.url ?? null;
          // hls.js parses the levels (and says so) inside its own handler of this event, before this one.
          this.renderQualities();
        });
        // The checkpoint is written before a playlist names a slot: asked for with each new live
        // playlist, it is in hand when the slot's segments arrive, which then wait for nothing.
        if (this.live) {
          this.hls.on(HlsLib.Events.LEVEL_LOADED, (_e, d) => {
            if (d.details?.live) void this.live?.refresh();
          });
        }
        this.hls.on(HlsLib.Events.MANIFEST_PARSED, () => {
          // A rung chosen while on audio only holds once its playlist is known.
          if (startLevel >= 0) this.hls.currentLevel = startLevel;
          this.renderQualities();
        });
        this.hls.on(HlsLib.Events.ERROR, (_e, d) => d.fatal && !this.sealBroken && this.showCard(this.t('playback.error', { detail: d.details }), ''));
        this.hls.on(HlsLib.Events.SUBTITLE_TRACKS_UPDATED, () => this.renderCaptions());
        this.hls.on(HlsLib.Events.SUBTITLE_TRACK_SWITCH, () => this.renderCaptions());
        this.hls.loadSource(url);
        this.hls.attachMedia(video);
        this.renderButtons();
      } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
        video.src = url;
        this.renderButtons();
        if (startAt > 0) video.addEventListener('loadedmetadata', () => (video.currentTime = startAt), { once: true });
      }
      if (!this.sealBroken) await video.play();
    } catch {
      this.$('.state').title = this.t('press.play');
    }
  }

  /** How each segment is checked before hls.js has it: a replay against its seal, a live hearing against its checkpoint. */
  segmentCheck() {
    if (this.status?.state === 'replay') return this.seal ? (url, bytes) => this.segmentSealed(this.seal, url, bytes) : null;
    return this.live ? (url, bytes) => this.segmentLive(url, bytes) : null;
  }

  /** Whether a live segment may play: refused only when it differs from what the court signed. */
  async segmentLive(url, bytes) {
    const live = this.live;
    const verdict = await live.verdict(url, bytes);
    if (live !== this.live) return false;
    if (verdict === 'mismatch') {
      this.refuse('seal.live-mismatch', 'seal.live-mismatch-detail');
      return false;
    }
    this.renderLive();
    return true;
  }

  /** The mark while live: checked (with the newest checkpoint's details), or not checked. */
  renderLive() {
    const mark = this.$('.seal');
    const cp = this.live?.latest;
    mark.classList.remove('warn');
    mark.hidden = this.sealBroken;
    mark.textContent = this.live?.checked > 0 ? `✓ ${this.t('seal.live')}` : this.t('seal.unchecked');
    mark.title = this.live?.checked > 0 && cp ? this.t('seal.live-details', { n: this.live.checked, at: cp.issuedAt, key: cp.keyId.slice(0, 16) }) : mark.textContent;
    mark.setAttribute('aria-label', `${mark.textContent}. ${mark.title}`);
  }

  /**
   * hls.js's fragment loader, but a segment reaches hls.js only once `check` passes it: a segment
   * changed on the way is never played, not even for a moment.
   */
  checkedLoader(HlsLib, check) {
    return class CheckedLoader extends HlsLib.DefaultConfig.loader {
      load(context, config, callbacks) {
        super.load(context, config, {
          ...callbacks,
          onSuccess: (response, stats, ctx, details) => {
            const t0 = performance.now();
            void check(ctx.url, response.data).then((ok) => {
              noteCheck(t0, ctx.url, ok);
              if (ok) callbacks.onSuccess(response, stats, ctx, details);
            });
          },
        });
      }
    };
  }

  renderQualities() {
    const select = this.$('.quality');
    // Audio only plays its own playlist: the menu stays the master's, with audio only chosen.
    if (this.audioOnly) return void (select.value = 'audio');
    const levels = this.hls?.levels ?? [];
    const label = (l) => (l.height ? `${l.height}p` : this.t('quality.audio'));
    const options = [new Option(this.t('quality.auto'), '-1'), ...levels.map((l, i) => new Option(label(l), String(i)))];
    if (this.audioUrl && levels.every((l) => l.height)) options.push(new Option(this.t('quality.audio'), 'audio'));
    select.replaceChildren(...options);
    select.value = String(this.hls?.manualLevel ?? -1);
  }

  /**
   * The captions menu: off, or one of the hearing's subtitle languages (by the name the court gave
   * it), showing what hls.js shows; hidden where there are none.
   */
  renderCaptions() {
    const tracks = this.hls?.subtitleTracks ?? [];
    const select = this.$('.captions');
    this.$('.cc-pick').hidden = tracks.length === 0;
    select.replaceChildren(new Option(this.t('captions.off'), 'off'), ...tracks.map((tr) => new Option(tr.name || tr.lang, tr.lang)));
    const shown = this.hls?.subtitleDisplay ? tracks[this.hls.subtitleTrack] : undefined;
    select.value = shown?.lang ?? 'off';
  }

  /** Shows the captions of one language, or none; a viewer's own choice is remembered. */
  chooseCaptions(lang, remember) {
    if (!this.hls) return;
    const i = this.hls.subtitleTracks.findIndex((tr) => tr.lang === lang);
    this.hls.subtitleTrack = i;
    this.hls.subtitleDisplay = i >= 0;
    this.$('.captions').value = i >= 0 ? lang : 'off';
    if (remember) storeCaptions(i >= 0 ? lang : 'off');
  }

  /** Turns captions on (the last language chosen, or the first) or off: the C key. */
  toggleCaptions() {
    const tracks = this.hls?.subtitleTracks ?? [];
    if (tracks.length === 0) return;
    const on = this.hls.subtitleTrack >= 0;
    const last = storedCaptions();
    this.chooseCaptions(on ? 'off' : (tracks.find((tr) => tr.lang === last) ?? tracks[0]).lang, true);
  }

  chooseQuality(value) {
    if (value === 'audio') return void this.switchTo(this.audioUrl, true, -1);
    if (this.audioOnly) return void this.switchTo(this.masterUrl, false, Number(value));
    if (this.hls) this.hls.currentLevel = Number(value);
  }

  /** Plays another playlist of the same hearing (audio only, or the master again) from the live edge. */
  async switchTo(url, audioOnly, level) {
    if (!url || !this.hls) return;
    this.hls.destroy();
    this.hls = null;
    this.audioOnly = audioOnly;
    this.switching = true;
    try {
      // A replay stays checked against its seal, and a live hearing against its checkpoint, on every rung.
      await this.startPlayback(url, -1, level);
    } finally {
      this.switching = false;
    }
    this.renderState();
  }

  togglePlay() {
    const v = this.$('video');
    if (v.paused) void v.play();
    else v.pause();
  }

  toggleMute() {
    const v = this.$('video');
    v.muted = !v.muted;
  }

  toggleFullscreen() {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void this.requestFullscreen?.();
  }

  async togglePip() {
    if (document.pictureInPictureElement) await document.exitPictureInPicture();
    else await this.$('video').requestPictureInPicture?.();
  }

  onKey(e) {
    const keys = { ' ': () => this.togglePlay(), k: () => this.togglePlay(), m: () => this.toggleMute(), f: () => this.toggleFullscreen(), c: () => this.toggleCaptions() };
    const act = keys[e.key];
    if (act && !['SELECT', 'BUTTON'].includes(e.composedPath()[0]?.tagName)) {
      e.preventDefault();
      act();
    }
  }
}

/** Where a viewer's captions choice is kept on this browser: a language, or off. */
const CAPTIONS_KEY = 'courtcast.captions';

function storedCaptions() {
  try {
    return localStorage.getItem(CAPTIONS_KEY) ?? 'off';
  } catch {
    // Storage refused (a sandboxed frame, a private window): nothing is remembered.
    return 'off';
  }
}

function storeCaptions(value) {
  try {
    localStorage.setItem(CAPTIONS_KEY, value);
  } catch {
    // As above: the choice holds for this page only.
  }
}

/** "1:05:09" or "4:07": hours only when there are some. */
function formatLeft(ms) {
  const s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

if (!customElements.get('courtcast-player')) customElements.define('courtcast-player', CourtcastPlayer);
