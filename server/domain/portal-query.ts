import type { CaseType, Court, Hearing } from './courts.ts';

/** What a visitor filters the public schedule by. */
export interface PortalQuery {
  readonly courtId?: string | undefined;
  readonly caseType?: CaseType | undefined;
  /** A calendar day (YYYY-MM-DD) in the hearing's court's time zone. */
  readonly date?: string | undefined;
  /** Words to find in the case number or the title (all must appear, any case). */
  readonly q?: string | undefined;
}

/** The calendar day of an instant in a time zone, as YYYY-MM-DD. */
export function dayIn(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/**
 * The public hearings that match a query, soonest first. Hearings that are not public never pass,
 * whatever the query says.
 */
export function findPublic(hearings: readonly Hearing[], courts: ReadonlyMap<string, Court>, q: PortalQuery): Hearing[] {
  const words = (q.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return hearings
    .filter((h) => h.isPublic)
    .filter((h) => !q.courtId || h.courtId === q.courtId)
    .filter((h) => !q.caseType || h.caseType === q.caseType)
    .filter((h) => !q.date || dayIn(courts.get(h.courtId)?.timezone ?? 'UTC', new Date(h.scheduledStart)) === q.date)
    .filter((h) => words.every((w) => h.caseNumber.toLowerCase().includes(w) || h.title.toLowerCase().includes(w)))
    .sort((a, b) => Date.parse(a.scheduledStart) - Date.parse(b.scheduledStart));
}

/** Counts by a key, for the statistics page. */
export function countBy<T>(items: readonly T[], key: (t: T) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return [...m].sort((a, b) => a[0].localeCompare(b[0]));
}
