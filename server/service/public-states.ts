import type { Hearing } from '../domain/courts.ts';
import { TypedEmitter } from '../domain/events.ts';
import type { Logger } from '../domain/logger.ts';
import { publicStateOf, type AiredOutcome, type PublicStatus, type ReplayDecision } from '../domain/public-state.ts';
import type { LiveHearing } from './live-hearing.ts';

export interface PublicStatesEvents {
  /** A hearing's public state changed (as aired, not as commanded). */
  changed: (status: PublicStatus) => void;
}

/**
 * Tracks what the public has been shown of each live hearing: the outcome of the newest slot the
 * delay line published, and since when. Holds nothing about viewers.
 */
export class PublicStates extends TypedEmitter<PublicStatesEvents> {
  private readonly aired = new Map<string, { outcome: AiredOutcome; since: number }>();

  constructor(
    /** The hearing if the public may read about it, else null. */
    private readonly hearingOf: (id: string) => Promise<Hearing | null>,
    private readonly replayOf: (id: string) => Promise<ReplayDecision | null>,
    logger: Logger,
  ) {
    super((err, event) => logger.error({ err, event }, 'public state listener failed'));
  }

  /** Follows a live hearing's releases. */
  follow(session: LiveHearing): void {
    const id = session.hearing.id;
    session.on('released', (r) => {
      const before = this.aired.get(id);
      if (before?.outcome === r.outcome) return;
      this.aired.set(id, { outcome: r.outcome, since: r.releasedAt });
      void this.status(id).then((s) => s && this.emit('changed', s), () => undefined);
    });
  }

  /** Tells followers a hearing's state again (a replay was published or withheld). */
  async refresh(id: string): Promise<void> {
    const s = await this.status(id);
    if (s) this.emit('changed', { ...s, since: Date.now() });
  }

  /** The public status of a hearing, or null when it is not public. */
  async status(id: string): Promise<PublicStatus | null> {
    const h = await this.hearingOf(id);
    if (!h) return null;
    const aired = this.aired.get(id) ?? null;
    const replay = h.status === 'ended' ? await this.replayOf(id) : null;
    const state = publicStateOf(h, aired?.outcome ?? null, replay);
    return { hearingId: id, state, since: aired?.since ?? null, delaySeconds: h.delaySeconds, scheduledStart: h.scheduledStart };
  }
}
