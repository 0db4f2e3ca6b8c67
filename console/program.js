// The composed program on the clerk console: its layout (keys 1–5) and the camera in each tile,
// switched as one command. Shown only when the courtroom's program is composed from its cameras.
import { label, t } from './i18n.js';
import { $ } from './session.js';

/** The layouts in key order, with how many tiles each has (server/domain/layouts.ts). */
const LAYOUTS = [['single', 1], ['side-by-side', 2], ['one-plus-three', 4], ['quad', 4], ['pip', 2]];
const capacity = (layout) => (LAYOUTS.find(([l]) => l === layout) ?? [layout, 1])[1];
/** A camera as the console names it: `main` is the courtroom's own feed. */
let labels = {};

/** What the court calls a camera: the courtroom's own feed by its localized name, a further one by its label (its name if it has none). */
export const cameraLabel = (c) => (c === 'main' ? t('program.main') : (labels[c] ?? c));

let plan = null; // what the clerk is putting together: { layout, cameras }; null follows the program
let available = [];

/** Draws the program card from a console state; hidden when the program is the courtroom's own feed. */
export function renderProgram(st) {
  const a = st.arrangement;
  $('program-box').hidden = !a;
  if (!a) return;
  available = a.available;
  labels = a.labels ?? {};
  $('program-now').textContent = t('program.now', { layout: label('layout', a.layout), cameras: a.cameras.map(cameraLabel).join(' · ') });
  draw(plan ?? { layout: a.layout, cameras: [...a.cameras] });
}

function draw(p) {
  for (const b of document.querySelectorAll('#program-layouts button')) b.setAttribute('aria-pressed', String(b.dataset.layout === p.layout));
  const tiles = $('program-tiles');
  tiles.replaceChildren();
  for (let i = 0; i < capacity(p.layout); i++) {
    const select = document.createElement('select');
    select.setAttribute('aria-label', t('program.tile', { n: i + 1 }));
    // The first tile always shows a camera; the others may stay empty.
    if (i > 0) select.append(new Option(t('program.none'), ''));
    for (const c of available) select.append(new Option(cameraLabel(c), c));
    select.value = p.cameras[i] ?? (i === 0 ? available[0] ?? '' : '');
    select.addEventListener('change', () => {
      plan = { layout: p.layout, cameras: [...tiles.querySelectorAll('select')].map((s) => s.value) };
    });
    tiles.append(select);
  }
}

/** The arrangement the card shows now: its layout and the cameras chosen, each once, in tile order. */
function chosen() {
  const layout = document.querySelector('#program-layouts button[aria-pressed=true]')?.dataset.layout;
  const cameras = [...$('program-tiles').querySelectorAll('select')].map((s) => s.value).filter((c, i, all) => c && all.indexOf(c) === i);
  return layout ? { layout, cameras } : null;
}

/**
 * Wires the card: the layout buttons (and keys 1–5) choose a layout, keeping the cameras chosen so
 * far in order; the switch button sends the arrangement (`emit(payload, done)`, done with the
 * console state after it) and the card follows the program again.
 */
export function wireProgram(emit) {
  const buttons = $('program-layouts');
  LAYOUTS.forEach(([layout], k) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.layout = layout;
    b.textContent = `${k + 1} · ${label('layout', layout)}`;
    b.setAttribute('aria-keyshortcuts', String(k + 1));
    b.addEventListener('click', () => {
      const now = chosen();
      plan = { layout, cameras: (now?.cameras ?? []).slice(0, capacity(layout)) };
      draw(plan);
    });
    buttons.append(b);
  });
  $('program-switch').addEventListener('click', () => {
    const payload = chosen();
    if (!payload || payload.cameras.length === 0) return;
    emit(payload, () => {
      plan = null;
    });
  });
  document.addEventListener('keydown', (e) => {
    if ($('hearing-view').hidden || $('program-box').hidden || e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.repeat || e.altKey || e.ctrlKey || e.metaKey) return;
    const k = Number(e.key);
    if (!Number.isInteger(k) || k < 1 || k > LAYOUTS.length) return;
    e.preventDefault();
    buttons.querySelectorAll('button')[k - 1]?.click();
  });
}
