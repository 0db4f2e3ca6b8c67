import type { Logger } from '../../domain/logger.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { Tenure } from './hearing-factory.ts';
import type { LiveHearing } from './live-hearing.ts';
import type { Registry } from '../court/registry.ts';

/**
 * The hearings live on this node, and this node's hold on each: a session is kept from its
 * arrival until it finishes (the hearing is then marked ended and its lease given up), is handed
 * over, or another node takes it over (it then stops at once, publishing nothing more).
 */
export class Sessions {
  private readonly sessions = new Map<string, LiveHearing>();

  constructor(
    private readonly o: {
      readonly registry: Registry;
      readonly cluster: Cluster;
      readonly logger: Logger;
      /** A hearing's state changed in a way consoles must see. */
      readonly changed: (hearingId: string) => void;
    },
  ) {}

  has(hearingId: string): boolean {
    return this.sessions.has(hearingId);
  }

  get(hearingId: string): LiveHearing | undefined {
    return this.sessions.get(hearingId);
  }

  ids(): string[] {
    return [...this.sessions.keys()];
  }

  all(): LiveHearing[] {
    return [...this.sessions.values()];
  }

  /** The hearing live in a courtroom on this node, if any. */
  ofCourtroom(courtroomId: string): LiveHearing | undefined {
    return this.all().find((s) => s.hearing.courtroomId === courtroomId);
  }

  /** This node's hold on a hearing, as the hearing's writers and delay line use it. */
  tenure(hearingId: string, token: number): Tenure {
    return {
      token,
      fence: () => this.o.cluster.fence(hearingId) ?? { hearingId, token },
      mayRelease: () => this.o.cluster.fresh(hearingId),
    };
  }

  /** Keeps a session this node runs; when it finishes, the hearing ends and its lease is given up. */
  adopt(hearingId: string, session: LiveHearing): void {
    this.sessions.set(hearingId, session);
    session.on('finished', () => {
      void this.o.registry.setHearingStatus(hearingId, 'ended').then(
        () => {
          if (this.sessions.get(hearingId) === session) this.sessions.delete(hearingId);
          return this.o.cluster.letGo(hearingId);
        },
        (err: unknown) => {
          // Still live in the store: the lease stays here, so no node takes an ended hearing over.
          this.sessions.delete(hearingId);
          this.o.logger.error({ err, hearingId }, 'could not mark the hearing ended');
        },
      );
    });
  }

  /** Stops keeping a session (it was handed over; the caller closes it). */
  forget(hearingId: string): void {
    this.sessions.delete(hearingId);
  }

  /** Another node took the hearing over: this one stops at once, publishing nothing more. */
  async abandon(hearingId: string): Promise<void> {
    const session = this.sessions.get(hearingId);
    if (!session) return;
    this.sessions.delete(hearingId);
    await session.close();
    this.o.changed(hearingId);
  }

  /** Stops every session and hands its lease back at once, so another node need not wait for it to lapse. */
  async closeAll(): Promise<void> {
    const ids = this.ids();
    await Promise.all(this.all().map((s) => s.close()));
    this.sessions.clear();
    await Promise.all(ids.map((id) => this.o.cluster.letGo(id)));
  }
}
