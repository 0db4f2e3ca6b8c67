import type { Hearing } from '../../domain/courts.ts';
import { TypedEmitter } from '../../domain/events.ts';
import type { Logger } from '../../domain/logger.ts';
import { z } from 'zod';
import { AIRED_OUTCOMES, publicStateOf, stateOfOutcome, type AiredOutcome, type PublicStatus, type ReplayDecision } from '../../domain/public-state.ts';
import { Records } from '../../store/records.ts';
import type { StateStore } from '../../store/state-store.ts';
import type { LiveHearing } from '../broadcast/live-hearing.ts';

export interface PublicStatesEvents {
  /** A hearing's public state changed (as aired, not as commanded). */
  changed: (status: PublicStatus) => void;
  /** A hearing running on this node aired something new: other nodes need to hear it. */
  aired: (seen: AiredSeen) => void;
}

/** What the public was last shown of a hearing, and since when (and what it was shown before). */
export interface AiredSeen {
  readonly hearingId: string;
  readonly outcome: AiredOutcome;
  readonly since: number;
  readonly previous?: AiredOutcome;
  /** The slot that first aired `outcome`. */
  readonly slot?: number;
}

/** What a stored or announced aired outcome must look like: it decides what viewers are told. */
export const airedCodec: z.ZodType<AiredSeen> = z.looseObject({ hearingId: z.string(), outcome: z.enum(AIRED_OUTCOMES), since: z.number(), previous: z.enum(AIRED_OUTCOMES).optional(), slot: z.number().int().nonnegative().optional() });

/** The newest outcome a hearing aired, since when, and the one before it. */
type Aired = { readonly outcome: AiredOutcome; readonly since: number; readonly previous?: AiredOutcome; readonly slot?: number };

/** How far ahead of this node's clock another node's release may be dated (their clocks differ a little). */
const HEARD_SKEW_MS = 60_000;

/** Where the newest aired outcome of each hearing is kept, for nodes that did not see it. */
export interface AiredRecords {
  get(hearingId: string): Promise<AiredSeen | null>;
  put(seen: AiredSeen): Promise<void>;
}

/** The aired outcomes kept in the state store. */
export function airedRecords(state: StateStore): AiredRecords {
  const records = new Records(state, 'aired', airedCodec);
  return { get: (id) => records.get(id), put: (seen) => records.put(seen.hearingId, seen) };
}

/**
 * Tracks what the public has been shown of each live hearing: the outcome of the newest slot the
 * delay line published, and since when. Holds nothing about viewers.
 */
export class PublicStates extends TypedEmitter<PublicStatesEvents> {
  private readonly aired = new Map<string, Aired>();

  constructor(
    /** The hearing if the public may read about it, else null. */
    private readonly hearingOf: (id: string) => Promise<Hearing | null>,
    private readonly replayOf: (id: string) => Promise<ReplayDecision | null>,
    private readonly logger: Logger,
    /** Kept in the state store, so a node that did not run the hearing can tell viewers too. */
    private readonly records: AiredRecords | null = null,
  ) {
    super((err, event) => logger.error({ err, event }, 'public state listener failed'));
  }

  /** Follows a live hearing's releases. */
  follow(session: LiveHearing): void {
    const id = session.hearing.id;
    session.on('released', (r) => {
      const previous = this.aired.get(id)?.outcome;
      const seen: AiredSeen = { hearingId: id, outcome: r.outcome, since: r.releasedAt, ...(previous ? { previous } : {}), ...(r.seq >= 0 ? { slot: r.seq } : {}) };
      if (!this.observe(seen)) return;
      this.records?.put(seen).catch((err: unknown) => this.logger.warn({ err, hearingId: id }, 'could not store what the public was shown'));
      this.emit('aired', seen);
    });
  }

  /**
   * What another node's hearing aired: this node's viewers are told as well. A message dated
   * beyond the nodes' clock skew is no release (a forged or corrupt one would pin the state it
   * claims, since nothing older can replace it): it is dropped and logged.
   */
  heard(seen: AiredSeen, now = Date.now()): boolean {
    if (seen.since > now + HEARD_SKEW_MS) {
      this.logger.warn({ hearingId: seen.hearingId, since: seen.since }, 'dropped an aired message from another node dated in the future');
      return false;
    }
    return this.observe(seen);
  }

  /** Takes a newer outcome in and tells followers; false when it changes nothing. */
  private observe(seen: AiredSeen): boolean {
    const before = this.aired.get(seen.hearingId);
    if (before?.outcome === seen.outcome || (before && before.since > seen.since)) return false;
    const previous = seen.previous ?? before?.outcome;
    this.aired.set(seen.hearingId, { outcome: seen.outcome, since: seen.since, ...(previous ? { previous } : {}), ...(seen.slot !== undefined ? { slot: seen.slot } : {}) });
    void this.status(seen.hearingId).then((s) => s && this.emit('changed', s), () => undefined);
    return true;
  }

  private async stored(id: string): Promise<Aired | null> {
    const seen = await this.records?.get(id).catch(() => null);
    return seen && seen.since <= Date.now() + HEARD_SKEW_MS ? { outcome: seen.outcome, since: seen.since, ...(seen.previous ? { previous: seen.previous } : {}), ...(seen.slot !== undefined ? { slot: seen.slot } : {}) } : null;
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
    const aired = this.aired.get(id) ?? (await this.stored(id));
    const replay = h.status === 'ended' ? await this.replayOf(id) : null;
    const state = publicStateOf(h, aired?.outcome ?? null, replay);
    const previous = h.status === 'live' && h.isPublic && aired?.previous ? { previous: stateOfOutcome(aired.previous) } : {};
    const slot = h.status === 'live' && h.isPublic && aired?.slot !== undefined ? { sinceSlot: aired.slot } : {};
    return { hearingId: id, state, since: aired?.since ?? null, ...previous, ...slot, delaySeconds: h.delaySeconds, scheduledStart: h.scheduledStart };
  }
}
