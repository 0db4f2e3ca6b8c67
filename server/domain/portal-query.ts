import type { CaseType, Court, Hearing } from './courts.ts';

/** What a visitor filters the public schedule by. */
export interface PortalQuery {
  readonly courtId?: string | undefined;
  readonly caseType?: CaseType | undefined;
  /** A calendar day (YYYY-MM-DD) in the hearing's court's time zone. */
  readonly date?: string | undefined;
  /** Words to find in the case number, the title or a replay's aired captions (all must appear, any case). */
  readonly q?: string | undefined;
}

/** The calendar day of an instant in a time zone, as YYYY-MM-DD. */
export function dayIn(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** A line of a replay's aired captions that a search looks into (seconds into the replay). */
export interface SpokenLine {
  readonly lang: string;
  readonly at: number;
  readonly text: string;
  /** The text folded as search terms are (foldText), made once when the captions are read. */
  readonly folded: string;
}

/** A public hearing that a query found, and the first caption line it was found by, if any. */
export interface PublicMatch {
  readonly hearing: Hearing;
  readonly spoken?: SpokenLine;
}

/**
 * Text made comparable: compatibility forms folded (full-width Latin and digits, half-width kana)
 * and case ignored. Chinese has no spaces between words, so a term is looked for as a substring.
 */
export const foldText = (s: string): string => s.normalize('NFKC').toLowerCase();

/** A query's terms: split at white space (ideographic space too), folded. */
export const searchTerms = (q: string | undefined): string[] => foldText(q ?? '').split(/\s+/u).filter(Boolean);

/**
 * The public hearings that match a query, soonest first, each term found in the case number, the
 * title or (for a replay) the words its captions showed the public (`spokenOf`). Hearings that
 * are not public never pass, whatever the query says. Pure.
 */
export function matchPublic(hearings: readonly Hearing[], courts: ReadonlyMap<string, Court>, q: PortalQuery, spokenOf: (h: Hearing) => readonly SpokenLine[] = () => []): PublicMatch[] {
  const terms = searchTerms(q.q);
  const out: PublicMatch[] = [];
  for (const h of hearings) {
    if (!h.isPublic || (q.courtId && h.courtId !== q.courtId) || (q.caseType && h.caseType !== q.caseType)) continue;
    if (q.date && dayIn(courts.get(h.courtId)?.timezone ?? 'UTC', new Date(h.scheduledStart)) !== q.date) continue;
    const heading = foldText(`${h.caseNumber}\n${h.title}`);
    const unsaid = terms.filter((t) => !heading.includes(t));
    if (unsaid.length === 0) {
      out.push({ hearing: h });
      continue;
    }
    const lines = spokenOf(h);
    if (!unsaid.every((t) => lines.some((l) => l.folded.includes(t)))) continue;
    // Shown with the line that says most of what the title does not, the earliest of those.
    const said = (l: SpokenLine) => unsaid.filter((t) => l.folded.includes(t)).length;
    const best = lines.reduce<SpokenLine | undefined>((b, l) => (said(l) > (b ? said(b) : 0) ? l : b), undefined);
    out.push({ hearing: h, ...(best ? { spoken: best } : {}) });
  }
  return out.sort((a, b) => Date.parse(a.hearing.scheduledStart) - Date.parse(b.hearing.scheduledStart));
}

/** The public hearings that match a query by their schedule entry alone, soonest first. */
export function findPublic(hearings: readonly Hearing[], courts: ReadonlyMap<string, Court>, q: PortalQuery): Hearing[] {
  return matchPublic(hearings, courts, q).map((m) => m.hearing);
}

/** Counts by a key, for the statistics page. */
export function countBy<T>(items: readonly T[], key: (t: T) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return [...m].sort((a, b) => a[0].localeCompare(b[0]));
}
