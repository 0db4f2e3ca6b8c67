// Which of the shipped languages a reader gets, shared by the player (in the browser) and the
// portal (on the server), so both answer a reader alike.

/** The languages the player and the portal ship (a file each in player/locales). */
export const SHIPPED_LOCALES = ['en', 'zh-CN'];

/** A tag with its likely script and region filled in (zh → zh-Hans-CN), or null when it is no tag. */
function likely(tag) {
  try {
    return new Intl.Locale(tag).maximize();
  } catch {
    return null;
  }
}

/**
 * The best of `available` for a reader who wants `wanted` (most wanted first): the same tag, else
 * the same language in the same script (zh-Hans-CN, zh-SG and zh all read zh-CN; en-US reads en),
 * else the same language at all, else `fallback`. Nothing is fetched to find out.
 */
export function bestLocale(wanted, available = SHIPPED_LOCALES, fallback = 'en') {
  const shipped = available.map((tag) => ({ tag, full: likely(tag) })).filter((a) => a.full);
  const asked = wanted.map((tag) => ({ tag, full: likely(tag) })).filter((w) => w.full);
  for (const w of asked) {
    const exact = shipped.find((a) => a.tag.toLowerCase() === w.tag.toLowerCase());
    const sameScript = shipped.find((a) => a.full.language === w.full.language && a.full.script === w.full.script);
    if (exact ?? sameScript) return (exact ?? sameScript).tag;
  }
  for (const w of asked) {
    const sameLanguage = shipped.find((a) => a.full.language === w.full.language);
    if (sameLanguage) return sameLanguage.tag;
  }
  return fallback;
}
