import { html, raw, type Raw } from './html.ts';
import { pick, type Brand } from './portal-brand.ts';

/** A locale's strings, and the lookup the pages use. */
export type Strings = Record<string, string>;
export type Translate = (k: string, v?: Record<string, unknown>) => string;

/** The portal's style sheet, in the court's colours (validated for contrast at start). */
function style(colours: Brand['portal']['colours']): string {
  return `
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: #1b2530; background: #f6f8fa; }
header { background: ${colours.header}; color: #fff; padding: .6rem 1rem; display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; }
header a { color: #fff; text-decoration: none; font-weight: 600; } header a:focus-visible, a:focus-visible { outline: 3px solid #ffb300; }
header .site { font-size: 1.1rem; margin-right: auto; display: inline-flex; align-items: center; gap: .5rem; }
header .site img { height: 2.2rem; width: auto; }
main { max-width: 1000px; margin: 0 auto; padding: 1rem; }
table { width: 100%; border-collapse: collapse; background: #fff; } th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #dde3e9; }
td.thumb { width: 160px; padding: .3rem; } td.thumb img { display: block; border-radius: 4px; }
a { color: ${colours.accent}; }
.state { display: inline-block; padding: 0 .45rem; border-radius: 4px; background: #e3e8ee; font-size: .85rem; font-weight: 600; }
.state.live { background: #b71c1c; color: #fff; } .state.paused, .state.interrupted { background: #8d6e00; color: #fff; }
form.filters, form.search { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; background: #fff; padding: .8rem; border-radius: 6px; }
form.filters label, form.search label { display: grid; gap: .2rem; font-size: .9rem; } form.search label { flex: 1 1 16rem; }
input, select, button { font: inherit; padding: .4rem .5rem; min-height: 44px; }
button { background: ${colours.accent}; color: #fff; border: 0; border-radius: 4px; padding: .4rem 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; } dt { color: #4a5866; }
.zone { color: #4a5866; font-size: .85rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
textarea { font: .85rem monospace; }
.prose { background: #fff; padding: 1rem 1.2rem; border-radius: 6px; white-space: pre-line; }
footer { max-width: 1000px; margin: 2rem auto; padding: 1rem; color: #4a5866; font-size: .9rem; border-top: 1px solid #dde3e9; display: grid; gap: .4rem; }
footer nav { display: flex; flex-wrap: wrap; gap: .3rem 1rem; }
@media (max-width: 600px) { th.court, td.court { display: none; } }
`;
}

/** Builds the portal's pages around their content: the court's header, navigation and footer. */
export function portalLayout(brand: Brand, locales: ReadonlyMap<string, Strings>) {
  const sheets = style(brand.portal.colours);
  /** The deployment's name for a reader: the configured one, else the locale's. */
  const siteName = (t: Translate, lang: string): string => pick(brand.portal.name, lang) ?? t('portal.title');
  const page = (t: Translate, lang: string, title: string, body: Raw, head: Raw = raw('')): Raw => {
    const name = siteName(t, lang);
    const contact = pick(brand.portal.contact, lang);
    return html`<!doctype html>
<html lang="${lang}" dir="${t('dir') === 'rtl' ? 'rtl' : 'ltr'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${name}</title><style>${raw(sheets)}</style>${head}</head>
<body><header><a class="site" href="/?lang=${lang}">${brand.emblem ? html`<img src="${brand.emblem.path}" alt="">` : ''}<span>${name}</span></a>
<nav aria-label="${t('portal.nav')}"><a href="/hearings?lang=${lang}">${t('portal.schedule')}</a> · <a href="/courts?lang=${lang}">${t('portal.courts')}</a> · <a href="/replays?lang=${lang}">${t('portal.replays')}</a> · <a href="/stats?lang=${lang}">${t('portal.stats')}</a></nav></header>
<main>${body}</main>
<footer>${contact ? html`<p>${t('portal.contact')}: ${contact}</p>` : ''}
<nav aria-label="${t('portal.about')}"><a href="/legal?lang=${lang}">${t('portal.legal')}</a><a href="/accessibility?lang=${lang}">${t('portal.accessibility')}</a></nav>
<p>${t('portal.language')}: ${[...locales].map(([code, s]) => html`<a href="?lang=${code}" lang="${code}">${s.name ?? code}</a> `)}</p></footer></body></html>`;
  };
  return { page, siteName };
}
