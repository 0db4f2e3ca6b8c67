import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { CASE_TYPES, type Court, type Hearing } from '../domain/courts.ts';
import { ID_PATTERN } from '../domain/ids.ts';
import { countBy, dayIn, findPublic, matchPublic, searchTerms, type PortalQuery, type SpokenLine } from '../domain/portal-query.ts';
import type { PublicState } from '../domain/public-state.ts';
import type { PublicStates } from '../service/publicity/public-states.ts';
import type { PublicStats } from '../service/publicity/public-stats.ts';
import { bestLocale } from '../../player/locale-match.js';
import type { Registry } from '../service/court/registry.ts';
import type { PublicHearings } from '../service/publicity/public-hearings.ts';
import { html, raw, type Raw } from './html.ts';
import { pick, type Brand } from './portal-brand.ts';
import { portalLayout, type Strings } from './portal-layout.ts';


/** Every locale file in `dir` (one per language: adding a language is adding a file). */
export function loadLocales(dir: string): Map<string, Strings> {
  const out = new Map<string, Strings>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) out.set(f.slice(0, -5), JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Strings);
  return out;
}

const query = z.object({
  court: z.string().regex(ID_PATTERN).optional().catch(undefined),
  type: z.enum(CASE_TYPES).optional().catch(undefined),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().catch(undefined),
  q: z.string().max(100).optional().catch(undefined),
  lang: z.string().max(20).optional().catch(undefined),
});

/** The two lines a site pastes to show the player. */
const embedSnippet = (base: string, id: string): string =>
  `<script type="module" src="${base}/player/courtcast-player.js"></script>\n<courtcast-player hearing="${id}"></courtcast-player>`;

const LIVE: ReadonlySet<PublicState> = new Set(['starting', 'live', 'paused', 'interrupted']);

export interface PortalDeps {
  readonly registry: Registry;
  readonly hearings: PublicHearings;
  readonly states: PublicStates;
  readonly stats: PublicStats;
  readonly localesDir: string;
  readonly baseUrl: (req: Request) => string;
  /** The court's name, emblem, colours and footer. */
  readonly brand: Brand;
  /** A published replay's aired caption lines, which the search looks into. */
  readonly spoken: (hearingId: string) => Promise<readonly SpokenLine[]>;
}

/** A time into a replay as a viewer reads it (m:ss, or h:mm:ss). */
const replayTime = (seconds: number): string => {
  const s = Math.max(0, Math.floor(seconds));
  const [h, m, r] = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  return `${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(r).padStart(2, '0')}`;
};


/**
 * The public portal: server-rendered pages that work without JavaScript (only the player needs
 * it): home, schedule with filters and search, a page per court and per hearing, replays and
 * statistics, in every language the locale folder has. Only public hearings ever appear.
 */
export function portal(d: PortalDeps): Router {
  const locales = loadLocales(d.localesDir);
  const { page, siteName } = portalLayout(d.brand, locales);
  const r = Router();

  /** The visitor's language: ?lang=, then the best match for Accept-Language, then English. */
  const shipped = [...locales.keys()];
  // Browsers send a handful of distinct headers: each is negotiated once (bounded, so a client
  // inventing headers cannot grow it).
  const negotiated = new Map<string, string>();
  const langOf = (req: Request): string => {
    const asked = typeof req.query.lang === 'string' ? req.query.lang : '';
    if (locales.has(asked)) return asked;
    const header = req.get('accept-language') ?? '';
    let lang = negotiated.get(header);
    if (lang === undefined) {
      // Negotiated as the player does, so zh-Hans-CN reads Chinese on the page and in its player.
      lang = bestLocale(req.acceptsLanguages(), shipped);
      if (negotiated.size >= 512) negotiated.clear();
      negotiated.set(header, lang);
    }
    return lang;
  };

  const data = async () => {
    const courts = new Map<string, Court>((await d.registry.listCourts()).map((c) => [c.id as string, c]));
    const hearings = await d.hearings.list();
    const states = new Map<string, PublicState>();
    await Promise.all(hearings.map(async (h) => states.set(h.id, (await d.states.status(h.id).catch(() => null))?.state ?? 'scheduled')));
    return { courts, hearings, states };
  };

  const route =
    (fn: (req: Request, res: Response, t: (k: string, v?: Record<string, unknown>) => string, lang: string) => Promise<Raw | null>): RequestHandler =>
    (req, res, next) => {
      const lang = langOf(req);
      const strings = locales.get(lang) ?? {};
      const t = (k: string, v: Record<string, unknown> = {}) => (strings[k] ?? locales.get('en')?.[k] ?? k).replace(/\{(\w+)\}/g, (_m, n: string) => String(v[n] ?? ''));
      fn(req, res, t, lang)
        .then((body) => {
          if (!body) return;
          res.setHeader('Cache-Control', 'public, max-age=10');
          res.setHeader('Vary', 'Accept-Language');
          res.type('html').send(body.html);
        })
        .catch(next);
    };

  /** A hearing's time in its court's zone; the zone is named where the reader may meet several. */
  const when = (h: Hearing, courts: Map<string, Court>, lang: string, zoned = false): Raw => {
    const timeZone = courts.get(h.courtId)?.timezone ?? 'UTC';
    const at = new Date(h.scheduledStart);
    const text = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(at);
    const zone = new Intl.DateTimeFormat(lang, { timeZoneName: 'short', timeZone }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value;
    return zoned && zone ? html`${text} <span class="zone">${zone}</span>` : html`${text}`;
  };
  const zonesIn = (list: readonly Hearing[], courts: Map<string, Court>): number => new Set(list.map((h) => courts.get(h.courtId)?.timezone ?? 'UTC')).size;

  // A replay list shows each hearing's poster (from the replay's own picture) beside it.
  // A hearing the search found by words its replay's captions showed is listed with that line and a
  // link into the replay where it was said.
  const table = (t: (k: string, v?: Record<string, unknown>) => string, lang: string, list: readonly Hearing[], courts: Map<string, Court>, states: Map<string, PublicState>, thumbs = false, spoken: ReadonlyMap<string, SpokenLine> = new Map()) => {
    const zoned = zonesIn(list, courts) > 1;
    const said = (h: Hearing) => {
      const line = spoken.get(h.id);
      return line ? html`<tr class="spoken"><td colspan="${thumbs ? 7 : 6}"><a href="/hearings/${h.id}?lang=${lang}&amp;t=${Math.floor(line.at)}">${t('portal.spoken', { time: replayTime(line.at) })}</a> <q lang="${line.lang}">${line.text}</q></td></tr>` : '';
    };
    return list.length === 0
      ? html`<p role="status">${t('portal.no-match')}</p>`
      : html`<table><thead><tr>${thumbs ? html`<th scope="col"><span class="visually-hidden">${t('portal.picture')}</span></th>` : ''}<th scope="col">${t('portal.when')}</th><th scope="col">${t('portal.case-number')}</th><th scope="col" class="court">${t('portal.court')}</th><th scope="col">${t('portal.case-title')}</th><th scope="col">${t('portal.case-type')}</th><th scope="col">${t('portal.state')}</th></tr></thead><tbody>
${list.map((h) => html`<tr>${thumbs ? html`<td class="thumb"><img src="/public/hearings/${h.id}/poster.jpg" alt="" width="160" height="90" loading="lazy"></td>` : ''}<td>${when(h, courts, lang, zoned)}</td><td>${h.caseNumber}</td><td class="court"><a href="/courts/${h.courtId}?lang=${lang}">${courts.get(h.courtId)?.name ?? ''}</a></td><td><a href="/hearings/${h.id}?lang=${lang}">${h.title}</a></td><td>${t(`case.${h.caseType}`)}</td><td><span class="state ${states.get(h.id) ?? ''}">${t(`state.${states.get(h.id) ?? 'scheduled'}`)}</span></td></tr>${said(h)}`)}
</tbody></table>`;
  };

  r.get('/', route(async (_req, _res, t, lang) => {
    const { courts, hearings, states } = await data();
    const live = hearings.filter((h) => LIVE.has(states.get(h.id) ?? 'scheduled'));
    const today = hearings.filter((h) => dayIn(courts.get(h.courtId)?.timezone ?? 'UTC', new Date(h.scheduledStart)) === dayIn(courts.get(h.courtId)?.timezone ?? 'UTC', new Date()));
    const replays = hearings.filter((h) => states.get(h.id) === 'replay').slice(-10).reverse();
    return page(t, lang, t('portal.home'), html`<h1>${siteName(t, lang)}</h1>
<form class="search" method="get" action="/hearings" role="search"><input type="hidden" name="lang" value="${lang}">
<label>${t('portal.search-words')}<input type="search" name="q"></label><button type="submit">${t('portal.search')}</button></form>
<h2>${t('portal.live-now')}</h2>${live.length ? table(t, lang, live, courts, states) : html`<p>${t('portal.none-live')}</p>`}
<h2>${t('portal.today')}</h2>${today.length ? table(t, lang, today, courts, states) : html`<p>${t('portal.none-today')}</p>`}
<h2>${t('portal.recent-replays')}</h2>${replays.length ? table(t, lang, replays, courts, states, true) : html`<p>${t('portal.none-replays')}</p>`}`);
  }));

  r.get('/hearings', route(async (req, _res, t, lang) => {
    const q = query.parse(req.query);
    const { courts, hearings, states } = await data();
    const pq: PortalQuery = { courtId: q.court, caseType: q.type, date: q.date, q: q.q };
    // Only a published replay's captions are looked into, and only what they showed the public.
    const lines = new Map<string, readonly SpokenLine[]>();
    if (searchTerms(q.q).length > 0) await Promise.all(hearings.filter((h) => h.isPublic && states.get(h.id) === 'replay').map(async (h) => lines.set(h.id, await d.spoken(h.id))));
    const matches = matchPublic(hearings, courts, pq, (h) => lines.get(h.id) ?? []);
    const found = matches.map((m) => m.hearing);
    const spoken = new Map(matches.flatMap((m) => (m.spoken ? [[m.hearing.id, m.spoken] as const] : [])));
    const opt = (value: string, label: string, selected: boolean) => html`<option value="${value}"${raw(selected ? ' selected' : '')}>${label}</option>`;
    return page(t, lang, t('portal.schedule'), html`<h1>${t('portal.schedule')}</h1>
<form class="filters" method="get" action="/hearings" role="search"><input type="hidden" name="lang" value="${lang}">
<label>${t('portal.court')}<select name="court">${opt('', t('portal.any'), !q.court)}${[...courts.values()].map((c) => opt(c.id, c.name, q.court === c.id))}</select></label>
<label>${t('portal.case-type')}<select name="type">${opt('', t('portal.any'), !q.type)}${CASE_TYPES.map((c) => opt(c, t(`case.${c}`), q.type === c))}</select></label>
<label>${t('portal.date')}<input type="date" name="date" value="${q.date ?? ''}"></label>
<label>${t('portal.search-words')}<input type="search" name="q" value="${q.q ?? ''}"></label>
<button type="submit">${t('portal.search')}</button></form>
${found.length > 0 ? html`<p role="status">${t(`portal.found.${new Intl.PluralRules(lang).select(found.length)}`, { n: found.length })}</p>` : ''}
${table(t, lang, found, courts, states, false, spoken)}`);
  }));

  r.get('/replays', route(async (_req, _res, t, lang) => {
    const { courts, hearings, states } = await data();
    const list = hearings.filter((h) => states.get(h.id) === 'replay').reverse();
    return page(t, lang, t('portal.replays'), html`<h1>${t('portal.replays')}</h1>${list.length ? table(t, lang, list, courts, states, true) : html`<p>${t('portal.none-replays')}</p>`}`);
  }));

  r.get('/courts', route(async (_req, _res, t, lang) => {
    const { courts, hearings } = await data();
    const list = [...courts.values()].sort((a, b) => a.name.localeCompare(b.name, lang));
    const count = (id: string) => hearings.filter((h) => h.courtId === id).length;
    const zone = (c: Court) => new Intl.DateTimeFormat(lang, { timeZoneName: 'long', timeZone: c.timezone }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value ?? c.timezone;
    return page(t, lang, t('portal.courts'), html`<h1>${t('portal.courts')}</h1>${list.length === 0 ? html`<p>${t('portal.no-courts')}</p>` : html`<table><thead><tr><th scope="col">${t('portal.court')}</th><th scope="col">${t('portal.time-zone')}</th><th scope="col">${t('portal.public-hearings')}</th></tr></thead><tbody>
${list.map((c) => html`<tr><td><a href="/courts/${c.id}?lang=${lang}">${c.name}</a></td><td>${zone(c)}</td><td>${count(c.id)}</td></tr>`)}</tbody></table>`}`);
  }));

  r.get('/legal', route(async (_req, _res, t, lang) => {
    const text = pick(d.brand.portal.legalNotice, lang);
    return page(t, lang, t('portal.legal'), html`<h1>${t('portal.legal')}</h1><div class="prose">${text ?? t('portal.legal-none', { name: siteName(t, lang) })}</div>`);
  }));

  r.get('/accessibility', route(async (_req, _res, t, lang) => {
    const text = pick(d.brand.portal.accessibilityStatement, lang);
    return page(t, lang, t('portal.accessibility'), html`<h1>${t('portal.accessibility')}</h1><div class="prose">${text ?? t('portal.accessibility-default', { name: siteName(t, lang) })}</div>`);
  }));

  // The court's emblem, from its configured file. An SVG is only ever a picture: sandboxed, no script.
  if (d.brand.emblem) {
    const emblem = d.brand.emblem;
    r.get(emblem.path, (_req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=3600');
      res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'; style-src 'unsafe-inline'");
      res.type(emblem.type).send(emblem.bytes);
    });
  }

  r.get('/courts/:id', route(async (req, res, t, lang) => {
    const { courts, hearings, states } = await data();
    const court = courts.get(String(req.params.id));
    if (!court) {
      res.status(404).type('html').send(page(t, lang, '404', html`<h1>404</h1><p>${t('portal.not-found')}</p>`).html);
      return null;
    }
    return page(t, lang, court.name, html`<h1>${court.name}</h1>${table(t, lang, findPublic(hearings, courts, { courtId: court.id }), courts, states)}`);
  }));

  r.get('/hearings/:id', route(async (req, res, t, lang) => {
    const { courts, hearings, states } = await data();
    const h = hearings.find((x) => x.id === req.params.id);
    if (!h) {
      res.status(404).type('html').send(page(t, lang, '404', html`<h1>404</h1><p>${t('portal.not-found')}</p>`).html);
      return null;
    }
    const base = d.baseUrl(req) || `${req.protocol}://${req.get('host')}`;
    const url = `${base}/hearings/${h.id}`;
    const court = courts.get(h.courtId);
    const state = states.get(h.id) ?? 'scheduled';
    const head = html`<meta property="og:type" content="video.other"><meta property="og:title" content="${h.title}"><meta property="og:url" content="${url}">
<meta property="og:description" content="${`${court?.name ?? ''} · ${h.caseNumber} · ${t(`state.${state}`)}`}"><meta property="og:site_name" content="${siteName(t, lang)}">
<meta property="og:image" content="${`${base}/public/hearings/${h.id}/poster.jpg`}"><meta property="og:image:width" content="1280"><meta property="og:image:height" content="720"><meta property="og:image:alt" content="${h.title}"><meta name="twitter:card" content="summary_large_image">
<link rel="alternate" type="application/json+oembed" href="${`${base}/oembed?url=${encodeURIComponent(url)}`}" title="${h.title}">`;
    return page(t, lang, h.title, html`<h1>${h.title}</h1>
<courtcast-player hearing="${h.id}" lang="${lang}"></courtcast-player>
<script type="module" src="/player/courtcast-player.js"></script>
<dl><dt>${t('portal.state')}</dt><dd><span class="state ${state}">${t(`state.${state}`)}</span></dd>
<dt>${t('portal.case-number')}</dt><dd>${h.caseNumber}</dd><dt>${t('portal.case-type')}</dt><dd>${t(`case.${h.caseType}`)}</dd>
<dt>${t('portal.court')}</dt><dd><a href="/courts/${h.courtId}?lang=${lang}">${court?.name ?? ''}</a></dd>
<dt>${t('portal.when')}</dt><dd>${when(h, courts, lang, true)}</dd><dt></dt><dd>${t('portal.delay', { seconds: h.delaySeconds })}</dd></dl>
<details><summary>${t('portal.embed')}</summary>
<label><span class="visually-hidden">${t('portal.embed')}</span><textarea readonly rows="3" style="width:100%">${embedSnippet(base, h.id)}</textarea></label>
<label><span class="visually-hidden">iframe</span><textarea readonly rows="2" style="width:100%">${`<iframe src="${base}/embed/${h.id}" width="640" height="410" title="${h.title}" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen style="border:0"></iframe>`}</textarea></label></details>`, head);
  }));

  r.get('/stats', route(async (_req, _res, t, lang) => {
    const { courts, hearings, states } = await data();
    const streamed = hearings.filter((h) => (states.get(h.id) ?? 'scheduled') !== 'scheduled');
    const stats = new Map((await d.stats.all()).map((s) => [s.hearingId, s]));
    const sum = (list: readonly Hearing[], k: 'peakViewers' | 'replayViews') => list.reduce((n, h) => n + (stats.get(h.id)?.[k] ?? 0), 0);
    const rows = (groups: [string, number][], label: (k: string) => string, pick: (k: string) => Hearing[]) =>
      groups.map(([k, n]) => html`<tr><td>${label(k)}</td><td>${n}</td><td>${sum(pick(k), 'peakViewers')}</td><td>${sum(pick(k), 'replayViews')}</td></tr>`);
    const head = html`<thead><tr><th scope="col"></th><th scope="col">${t('portal.count')}</th><th scope="col">${t('portal.peak-viewers')}</th><th scope="col">${t('portal.replay-views')}</th></tr></thead>`;
    const month = (h: Hearing) => dayIn(courts.get(h.courtId)?.timezone ?? 'UTC', new Date(h.scheduledStart)).slice(0, 7);
    return page(t, lang, t('portal.stats'), html`<h1>${t('portal.stats')}</h1>
<p>${t('portal.hearings-streamed')}: <strong>${streamed.length}</strong> · ${t('portal.replay-views')}: <strong>${sum(streamed, 'replayViews')}</strong></p>
<h2>${t('portal.by-court')}</h2><table>${head}<tbody>${rows(countBy(streamed, (h) => h.courtId), (k) => courts.get(k)?.name ?? k, (k) => streamed.filter((h) => h.courtId === k))}</tbody></table>
<h2>${t('portal.by-month')}</h2><table>${head}<tbody>${rows(countBy(streamed, month), (k) => k, (k) => streamed.filter((h) => month(h) === k))}</tbody></table>`);
  }));

  return r;
}
