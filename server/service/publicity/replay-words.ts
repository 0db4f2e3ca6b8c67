import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { Logger } from '../../domain/logger.ts';
import { foldText, type SpokenLine } from '../../domain/portal-query.ts';
import { AIRED_CAPTIONS_FILE } from '../../domain/recording-keys.ts';

/** The part of an archive's aired captions (recorder/aired-captions.ts) a search reads; anything else in the file is left. */
const airedCaptionsFile = z.object({
  languages: z.record(z.string().max(20), z.array(z.object({ start: z.number().nonnegative(), text: z.string().max(2_000) }))),
});

/** Replays captioned or not are read once; one without the file yet (still being archived) is asked again after this. */
const MISSING_TTL_MS = 5 * 60_000;
/** What the cache may hold, counted in characters kept (each line's text twice: as shown and folded). */
const MAX_CHARS = 32_000_000;

export interface ReplayWordsOptions {
  /** The archived object's bytes, or null when the archive has none. */
  readonly archived: (hearingId: string, key: string) => Promise<Buffer | null>;
  readonly logger: Logger;
}

/**
 * The words a replay's captions showed the public, for the portal's search: read from the
 * archive's aired captions (never the court's transcript, which has what a cut or a mask kept off
 * the air), folded once and kept. The caller asks only for published replays: whether one is
 * public is decided on each search, not cached here.
 */
export class ReplayWords {
  private readonly cache: LRUCache<string, readonly SpokenLine[]>;

  constructor(private readonly o: ReplayWordsOptions) {
    this.cache = new LRUCache<string, readonly SpokenLine[]>({
      max: 10_000,
      maxSize: MAX_CHARS,
      sizeCalculation: (lines) => 1 + lines.reduce((n, l) => n + l.text.length + l.folded.length, 0),
      fetchMethod: async (hearingId, _stale, { options }) => {
        const bytes = await this.o.archived(hearingId, AIRED_CAPTIONS_FILE);
        if (!bytes) {
          options.ttl = MISSING_TTL_MS;
          return [];
        }
        const parsed = airedCaptionsFile.safeParse(JSON.parse(bytes.toString('utf8')));
        if (!parsed.success) throw new Error(`the archive's ${AIRED_CAPTIONS_FILE} is not one: ${parsed.error.message}`);
        return Object.entries(parsed.data.languages).flatMap(([lang, lines]) => lines.map((l) => ({ lang, at: l.start, text: l.text, folded: foldText(l.text) })));
      },
    });
  }

  /** A published replay's caption lines; none while its archive cannot be read (the search then finds it by its title only). */
  async lines(hearingId: string): Promise<readonly SpokenLine[]> {
    try {
      return (await this.cache.fetch(hearingId)) ?? [];
    } catch (err) {
      this.o.logger.warn({ hearingId, err }, 'could not read a replay\'s aired captions for the search');
      return [];
    }
  }
}
