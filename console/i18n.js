// The staff pages' language: the reader's own choice (kept in this browser), else the browser's
// languages, matched to the shipped ones exactly as the player and the portal match them. Times
// are shown in the court's zone, in the reader's own regional format (en-GB reads 24-hour times).

import { bestLocale } from '/player/locale-match.js';

const KEY = 'courtcast.lang';

/** The languages the staff pages ship (a file each in console/locales), named in themselves. */
export const LANGUAGES = { en: 'English', 'zh-CN': '简体中文' };

let strings = {};
let lang = 'en';
let format = 'en';

/** The language the page reads in. */
export const language = () => lang;

/** Loads the reader's language, translates the page's marked elements and wires the chooser. */
export async function loadLanguage() {
  const chosen = localStorage.getItem(KEY);
  lang = bestLocale([...(chosen ? [chosen] : []), ...navigator.languages], Object.keys(LANGUAGES), 'en');
  // The reader's regional variant of that language formats dates (en-GB, zh-HK...), if it has one.
  format = navigator.languages.find((l) => bestLocale([l], Object.keys(LANGUAGES), '') === lang) ?? lang;
  const load = (tag) => fetch(`/console/locales/${tag}.json`).then((r) => (r.ok ? r.json() : null)).catch(() => null);
  // A language that does not load falls back to English; with neither, the page keeps the English
  // its markup was written in rather than show keys.
  let loaded = await load(lang);
  if (!loaded && lang !== 'en') [lang, loaded] = ['en', await load('en')];
  strings = loaded ?? {};
  document.documentElement.lang = lang;
  if (loaded) translate(document);
  const pick = document.getElementById('language');
  if (pick) {
    pick.replaceChildren(...Object.entries(LANGUAGES).map(([tag, name]) => new Option(name, tag, false, tag === lang)));
    pick.addEventListener('change', () => {
      localStorage.setItem(KEY, pick.value);
      location.reload();
    });
  }
}

/** A string in the page's language, with `{name}` places filled from `vars`. */
export function t(key, vars = {}) {
  const s = strings[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

/** The words for a code (`prefix.value`, such as a phase or a role), or `fallback` (the code itself). */
export function label(prefix, value, fallback = value) {
  return strings[`${prefix}.${value}`] ?? fallback;
}

/** A count's string: `key.one` or `key.other` by the language's plural rules, with `{n}`. */
export function tn(key, n, vars = {}) {
  const form = new Intl.PluralRules(lang).select(n) === 'one' ? 'one' : 'other';
  return t(`${key}.${form}`, { n, ...vars });
}

/**
 * Fills every element marked `data-t="key"` with its string, and every attribute named in
 * `data-t-attr="attr:key;attr:key"`.
 */
export function translate(root) {
  for (const n of root.querySelectorAll('[data-t]')) n.textContent = t(n.dataset.t);
  for (const n of root.querySelectorAll('[data-t-attr]')) {
    for (const pair of n.dataset.tAttr.split(';')) {
      const [attr, key] = pair.split(':');
      n.setAttribute(attr, t(key));
    }
  }
}

const formatters = new Map();
function formatter(options, timeZone) {
  const id = JSON.stringify([options, timeZone ?? null]);
  if (!formatters.has(id)) {
    try {
      formatters.set(id, new Intl.DateTimeFormat(format, { ...options, ...(timeZone ? { timeZone } : {}) }));
    } catch {
      formatters.set(id, new Intl.DateTimeFormat(format, options));
    }
  }
  return formatters.get(id);
}

/** A date and time in a court's zone, with the zone named (a reader elsewhere must not misread it). */
export function dateTime(ms, timeZone) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  return formatter({ dateStyle: 'medium', timeStyle: 'medium' }, timeZone).format(new Date(ms)) + zoneSuffix(ms, timeZone);
}

/** A time of day in a court's zone, to the second. */
export function timeOfDay(ms, timeZone) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  return formatter({ hour: '2-digit', minute: '2-digit', second: '2-digit' }, timeZone).format(new Date(ms));
}

/** " (GMT+8)" after a date, when the court's zone is not the reader's own. */
function zoneSuffix(ms, timeZone) {
  if (!timeZone || timeZone === Intl.DateTimeFormat().resolvedOptions().timeZone) return '';
  const part = formatter({ timeZoneName: 'short' }, timeZone).formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName');
  return part ? ` (${part.value})` : '';
}
