import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import HLS from 'hls-parser';
import type { Court, Hearing } from '../../domain/courts.ts';
import type { Logger } from '../../domain/logger.ts';
import type { PublicState } from '../../domain/public-state.ts';
import { hearingPrefix, rungPlaylistKey } from '../../delay/public-keys.ts';
import { cardSpec, fitLines, frameSpec, type CardLine } from '../../media/poster.ts';
import { runFfmpeg } from '../../media/run.ts';
import type { ObjectStore } from '../../store/object-store.ts';

/** Where a hearing's poster comes from: what is airing, the replay's start, or a card of its details. */
export type PosterSource = 'aired' | 'replay' | 'card';

/**
 * The source of a poster for a public state. Only what the public was shown may be pictured: what
 * the delay line published while the hearing airs (a slate, when a slate airs), the published
 * replay; every other state (scheduled, not broadcast, ended without a replay, withheld) gets a card
 * of the hearing's details and never a picture, whatever the archive holds.
 */
export function posterSource(state: PublicState): PosterSource {
  switch (state) {
    case 'starting':
    case 'live':
    case 'paused':
    case 'interrupted':
      return 'aired';
    case 'replay':
      return 'replay';
    case 'scheduled':
    case 'not-broadcast':
    case 'ended':
    case 'withheld':
      return 'card';
  }
}

/** A poster and how long others may keep it. */
export interface Poster {
  readonly jpeg: Buffer;
  readonly maxAgeSeconds: number;
}

/** What the posters read. */
export interface PosterDeps {
  /** A public hearing, or null. */
  hearing(id: string): Promise<Hearing | null>;
  court(id: string): Promise<Court>;
  state(id: string): Promise<PublicState | null>;
  /** The public store: the delay line's published segments and playlists. */
  readonly publicStore: Pick<ObjectStore, 'get'>;
  /** An object of a hearing's archive (the replay's as-aired playlists and segments), or null. */
  archived(hearingId: string, key: string): Promise<Buffer | null>;
  /** The rung whose pictures posters are made from (the ladder's largest). */
  readonly rung: string;
  readonly chineseFont: () => Promise<string | null>;
  readonly ffmpegPath: string;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** How long a poster of what airs is kept: it changes as the hearing goes on. */
const AIRED_TTL_MS = 20_000;
/** Posters kept in memory (about 100 KB each): the most recently asked for. */
const KEPT_POSTERS = 200;

/**
 * A poster picture per hearing (16:9 JPEG) for the player, link previews (og:image) and replay
 * lists. Each is made by one FFmpeg at a time for the whole node, once per hearing and source
 * (what airs is made again after 20 s), and the most recently asked for are kept in memory.
 */
export class Posters {
  private readonly made = new Map<string, { key: string; poster: Poster; until: number }>();
  private readonly making = new Map<string, Promise<Poster>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: PosterDeps) {}

  /** A public hearing's poster, or null when the hearing is not public. */
  async poster(id: string): Promise<Poster | null> {
    const now = (this.d.now ?? Date.now)();
    const hearing = await this.d.hearing(id);
    const state = hearing ? await this.d.state(id) : null;
    if (!hearing || !state) return null;
    const source = posterSource(state);
    const court = await this.d.court(hearing.courtId);
    // A card is made again when what it says changes; a replay's picture never does.
    // What airs is taken again at once when the state changes (the program after the starting slate).
    const key = source === 'card' ? JSON.stringify(['card', hearing.title, hearing.caseNumber, hearing.scheduledStart, court.name, court.timezone, court.language]) : `${source}|${state}`;
    const kept = this.made.get(id);
    if (kept && kept.key === key && kept.until > now) {
      // Asked again: the newest in the map's order, the last to be dropped.
      this.made.delete(id);
      this.made.set(id, kept);
      return kept.poster;
    }
    const flight = `${id}|${key}`;
    let pending = this.making.get(flight);
    if (!pending) {
      pending = this.serially(() => this.make(source, hearing, court))
        .then((poster) => {
          this.made.delete(id);
          this.made.set(id, { key, poster, until: source === 'aired' ? now + AIRED_TTL_MS : Number.POSITIVE_INFINITY });
          for (const oldest of this.made.keys()) {
            if (this.made.size <= KEPT_POSTERS) break;
            this.made.delete(oldest);
          }
          return poster;
        })
        .finally(() => this.making.delete(flight));
      this.making.set(flight, pending);
    }
    return pending;
  }

  /** Two cores: one poster at a time, whatever the number of hearings or requests. */
  private serially<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async make(source: PosterSource, hearing: Hearing, court: Court): Promise<Poster> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'courtcast-poster-'));
    try {
      if (source !== 'card') {
        const frame = await this.frame(source, hearing.id, dir).catch((err: unknown) => {
          this.d.logger.warn({ err, hearingId: hearing.id, source }, 'could not take a poster picture; the card stands in');
          return null;
        });
        if (frame) return { jpeg: frame, maxAgeSeconds: source === 'aired' ? AIRED_TTL_MS / 1000 : 3600 };
      }
      return { jpeg: await this.card(hearing, court, dir), maxAgeSeconds: 300 };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** A picture of the newest published segment, or of the replay where its broadcast began. */
  private async frame(source: 'aired' | 'replay', id: string, dir: string): Promise<Buffer | null> {
    // The archive keeps the as-aired rungs in the public store's own layout, under `aired/`.
    const prefix = source === 'aired' ? hearingPrefix(id) : 'aired';
    const read = source === 'aired' ? (key: string) => this.d.publicStore.get(key) : (key: string) => this.d.archived(id, key);
    const text = await read(rungPlaylistKey(prefix, this.d.rung));
    if (!text) return null;
    const list = HLS.parse(text.toString('utf8'));
    if (list.isMasterPlaylist || list.segments.length === 0) return null;
    // What airs: the newest segment's last picture (past an edge spliced into it). A replay: a
    // second past where its broadcast began.
    let at = source === 'aired' ? Number.POSITIVE_INFINITY : (list.start?.offset ?? 0) + 1;
    let segment = list.segments.at(-1)!;
    if (source === 'replay') {
      segment = list.segments[0]!;
      for (const s of list.segments) {
        segment = s;
        if (at < s.duration) break;
        at -= s.duration;
      }
    }
    const bytes = await read(`${prefix}/${this.d.rung}/${segment.uri}`);
    if (!bytes) return null;
    const segmentFile = path.join(dir, 'segment.ts');
    const outFile = path.join(dir, 'poster.jpg');
    await writeFile(segmentFile, bytes);
    await runFfmpeg(frameSpec({ segmentFile, at: Math.min(at, Math.max(0, segment.duration - 0.1)), outFile }), { ffmpegPath: this.d.ffmpegPath, logger: this.d.logger, tags: { role: 'poster', hearingId: id } }, 20_000);
    // FFmpeg ends well without a picture when the segment has none where asked: the card stands in.
    return readFile(outFile).catch(() => null);
  }

  /** A card of the hearing's details in its court's language and zone. */
  private async card(hearing: Hearing, court: Court, dir: string): Promise<Buffer> {
    const font = await this.d.chineseFont();
    // A Chinese face draws Latin too: with one, every line uses it; without, Chinese would be boxes
    // and the card keeps to what the default face can draw.
    const lang = court.language === 'zh-CN' || court.language === 'bilingual' ? 'zh-CN' : 'en';
    const when = new Intl.DateTimeFormat(lang, { dateStyle: 'full', timeStyle: 'short', timeZone: court.timezone }).format(new Date(hearing.scheduledStart));
    const texts: { text: string; size: number }[] = [
      { text: court.name, size: 0.045 },
      ...fitLines(hearing.title, 40, 2).map((text) => ({ text, size: 0.07 })),
      { text: `${hearing.caseNumber} · ${when}`, size: 0.04 },
    ];
    const lines: CardLine[] = await Promise.all(
      texts.map(async (t, i) => {
        const textFile = path.join(dir, `line${i}.txt`);
        await writeFile(textFile, t.text);
        return { textFile, size: t.size, ...(font ? { fontFile: font } : {}) };
      }),
    );
    const outFile = path.join(dir, 'card.jpg');
    await runFfmpeg(cardSpec({ lines, outFile }), { ffmpegPath: this.d.ffmpegPath, logger: this.d.logger, tags: { role: 'poster', hearingId: hearing.id } }, 20_000);
    return readFile(outFile);
  }
}
