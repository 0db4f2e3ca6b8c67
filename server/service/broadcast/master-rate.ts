import type { LiveHearing } from './live-hearing.ts';

/**
 * The encoder's bit rate as the master recorder sees it, per live hearing: the newest sealed
 * master segment's size over its duration. An observer of each hearing's `master` events.
 */
export class MasterRateMeter {
  private readonly kbps = new Map<string, number>();

  /** Starts measuring a live hearing. */
  observe(hearing: LiveHearing): void {
    const id = hearing.hearing.id;
    hearing.on('master', (m) => {
      if (m.durationSec > 0) this.kbps.set(id, Math.round((m.size * 8) / m.durationSec / 1000));
    });
  }

  /** The latest rate of a hearing, in kbit/s, or null before its first master segment. */
  of(hearingId: string): number | null {
    return this.kbps.get(hearingId) ?? null;
  }
}
