import type { Hearing } from '../../domain/courts.ts';
import type { Logger } from '../../domain/logger.ts';
import type { StateStore } from '../../store/state-store.ts';
import type { Cluster } from './cluster.ts';
import type { Registry } from '../court/registry.ts';
import { z } from 'zod';
import { Records } from '../../store/records.ts';


/** Which node a courtroom's encoder publishes to; expires unless repeated. */
const encoderRecords = (state: StateStore): Records<{ nodeId: string }> => new Records(state, 'encoders', z.looseObject({ nodeId: z.string() }));

/** How long this node says an encoder is here without saying it again. */
const ENCODER_PRESENCE_MS = 20_000;

/** What placement asks of the broadcast service on this node. */
export interface PlacementHost {
  /** Whether this node runs the hearing. */
  runsHere(hearingId: string): boolean;
  /** Resumes a live hearing here through the recovery path; false when another node holds it. */
  takeOver(hearing: Hearing): Promise<boolean>;
}

/** What placement needs, assembled by the broadcast service. */
export interface PlacementOptions {
  readonly cluster: Cluster;
  readonly registry: Registry;
  readonly state: StateStore;
  readonly logger: Logger;
  readonly now: () => number;
}

/**
 * Where live hearings run when several nodes share one Redis: a hearing runs where its encoder
 * publishes. This node says which encoders reach it, takes over live hearings nobody holds (their
 * node died), and claims a hearing whose encoder moved here from a node that is still alive.
 * Alone (no shared store) every hearing runs here, and none of this runs.
 */
export class Placement {
  /** Courtrooms whose encoder publishes to this node. */
  private readonly publishing = new Set<string>();
  /** When this node first saw a live hearing without a holder. */
  private readonly unownedSince = new Map<string, number>();
  private presenceTimer: NodeJS.Timeout | null = null;
  private takeoverTimer: NodeJS.Timeout | null = null;
  private scanning = false;

  constructor(
    private readonly o: PlacementOptions,
    private readonly host: PlacementHost,
  ) {}

  /** Starts saying where this node's encoders are. */
  start(): void {
    if (!this.o.cluster.shared) return;
    this.presenceTimer = setInterval(() => {
      for (const id of this.publishing) void this.announce(id);
    }, ENCODER_PRESENCE_MS / 4);
  }

  /** Starts taking over hearings whose node died; after recovery, so the two never race. */
  watch(): void {
    if (this.o.cluster.shared) this.takeoverTimer = setInterval(() => void this.scan(), 1_000);
  }

  /** An encoder began publishing here; `runsHere` tells whether its hearing already does. */
  encoderArrived(courtroomId: string, runsHere: boolean): void {
    this.publishing.add(courtroomId);
    void this.announce(courtroomId);
    if (!runsHere) void this.claim(courtroomId);
  }

  encoderLeft(courtroomId: string): void {
    this.publishing.delete(courtroomId);
  }

  /**
   * The node a hearing about to open should run on: the one its courtroom's encoder publishes
   * to, if that is another node; null for this one (or when nobody knows).
   */
  async openingNode(hearingId: string): Promise<string | null> {
    const hearing = await this.o.registry.hearing(hearingId);
    if (this.publishing.has(hearing.courtroomId)) return null;
    const at = await encoderRecords(this.o.state).get(hearing.courtroomId).catch(() => null);
    return at && at.nodeId !== this.o.cluster.nodeId ? at.nodeId : null;
  }

  /** The record expires by itself once it is not repeated, so a dead node's claim fades. */
  private async announce(courtroomId: string): Promise<void> {
    if (!this.o.cluster.shared) return;
    await encoderRecords(this.o.state).put(courtroomId, { nodeId: this.o.cluster.nodeId }, ENCODER_PRESENCE_MS).catch(() => undefined);
  }

  /**
   * Takes over every live hearing nobody holds a lease on; one pass at a time. The node its
   * encoder now publishes to goes first; the others wait one lease period more, so the media and
   * the hearing end up on the same node whenever that node is alive.
   */
  private async scan(): Promise<void> {
    if (this.scanning) return;
    this.scanning = true;
    try {
      for (const hearing of await this.o.registry.listHearings()) {
        if (hearing.status !== 'live' || this.host.runsHere(hearing.id) || (await this.o.cluster.owner(hearing.id))) {
          this.unownedSince.delete(hearing.id);
          continue;
        }
        const since = this.unownedSince.get(hearing.id) ?? this.o.now();
        this.unownedSince.set(hearing.id, since);
        if (!this.publishing.has(hearing.courtroomId) && this.o.now() - since < this.o.cluster.leaseMs) continue;
        this.unownedSince.delete(hearing.id);
        await this.host.takeOver(hearing).catch((err: unknown) => this.o.logger.error({ err, hearingId: hearing.id }, 'could not take a live hearing over'));
      }
    } catch (err) {
      this.o.logger.warn({ err }, 'could not look for hearings to take over');
    } finally {
      this.scanning = false;
    }
  }

  /**
   * An encoder reached this node while its courtroom's hearing runs on another (it reconnected
   * through the balancer to a different node): the hearing follows its media. The other node
   * hands it over only if its own encoder is gone and its program is saved.
   */
  private async claim(courtroomId: string): Promise<void> {
    if (!this.o.cluster.shared) return;
    try {
      const hearing = (await this.o.registry.listHearings()).find((h) => h.status === 'live' && h.courtroomId === courtroomId);
      if (!hearing || this.host.runsHere(hearing.id)) return;
      const owner = await this.o.cluster.owner(hearing.id);
      // Nobody runs it: the takeover pass gives this node, where the encoder is, the first go.
      if (!owner || owner.nodeId === this.o.cluster.nodeId) return;
      await this.o.cluster.call(owner.nodeId, { op: 'handover', hearingId: hearing.id, args: { to: this.o.cluster.nodeId } });
      if (this.publishing.has(courtroomId)) await this.host.takeOver(hearing);
    } catch (err) {
      this.o.logger.warn({ err, courtroomId }, 'an encoder reached this node, but its hearing stays on the node running it');
    }
  }

  close(): void {
    if (this.presenceTimer) clearInterval(this.presenceTimer);
    if (this.takeoverTimer) clearInterval(this.takeoverTimer);
  }
}
