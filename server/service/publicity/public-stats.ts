import type { Logger } from '../../domain/logger.ts';
import { z } from 'zod';
import { Records } from '../../store/records.ts';
import type { StateStore } from '../../store/state-store.ts';
import type { ViewerCounter } from './viewers.ts';

/** Audience figures of one hearing: counts only, nothing about who watched. */
export interface HearingStats {
  readonly hearingId: string;
  readonly peakViewers: number;
  readonly replayViews: number;
}

const statsCodec: z.ZodType<HearingStats> = z.looseObject({ hearingId: z.string(), peakViewers: z.number(), replayViews: z.number() });

/**
 * Keeps the public statistics: each live hearing's peak of concurrent viewers (sampled from the
 * viewer counter, which itself holds only hashed, expiring keys) and how often its replay was
 * started. Writes are few and never hold up a viewer.
 */
export class PublicStats {
  private timer: NodeJS.Timeout | null = null;
  private readonly peaks = new Map<string, number>();

  private readonly records: Records<HearingStats>;

  constructor(private readonly o: { readonly state: StateStore; readonly viewers: ViewerCounter; readonly live: () => string[]; readonly logger: Logger; readonly everyMs?: number }) {
    this.records = new Records(o.state, 'public-stats', statsCodec);
  }

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.o.everyMs ?? 5_000);
  }

  private async sample(): Promise<void> {
    for (const id of this.o.live()) {
      const now = this.o.viewers.count(id);
      const known = this.peaks.get(id) ?? (await this.get(id)).peakViewers;
      if (now > known) {
        this.peaks.set(id, now);
        await this.update(id, (s) => ({ ...s, peakViewers: Math.max(s.peakViewers, now) }));
      } else this.peaks.set(id, known);
    }
  }

  async get(hearingId: string): Promise<HearingStats> {
    return (await this.records.get(hearingId).catch(() => null)) ?? { hearingId, peakViewers: 0, replayViews: 0 };
  }

  all(): Promise<HearingStats[]> {
    return this.records.list();
  }

  /** A replay was started (its playlist fetched). */
  replayStarted(hearingId: string): void {
    void this.update(hearingId, (s) => ({ ...s, replayViews: s.replayViews + 1 }));
  }

  private writes: Promise<void> = Promise.resolve();

  /** Read-modify-write, one at a time, so concurrent replay starts are all counted. */
  private update(hearingId: string, change: (s: HearingStats) => HearingStats): Promise<void> {
    this.writes = this.writes.then(async () => {
      try {
        await this.records.put(hearingId, change(await this.get(hearingId)));
      } catch (err) {
        this.o.logger.warn({ err, hearingId }, 'could not save public statistics');
      }
    });
    return this.writes;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
