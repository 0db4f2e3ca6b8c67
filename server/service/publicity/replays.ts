import type { AuditActor, AuditTrail } from '../../audit/trail.ts';
import type { TransparencyLog } from '../../audit/transparency-log.ts';
import { auditActorCodec } from '../../audit/chain.ts';
import { CourtcastError } from '../../domain/errors.ts';
import { TypedEmitter } from '../../domain/events.ts';
import type { Logger } from '../../domain/logger.ts';
import { REPLAY_DECISIONS, type ReplayDecision } from '../../domain/public-state.ts';
import { z } from 'zod';
import { Records } from '../../store/records.ts';
import type { StateStore } from '../../store/state-store.ts';
import type { Registry } from '../court/registry.ts';
import { notCleared, type Governance } from '../court/governance.ts';

/** A supervisor's decision about an ended hearing's replay. */
export interface ReplayRecord {
  readonly hearingId: string;
  readonly decision: ReplayDecision;
  readonly reason: string | null;
  readonly by: AuditActor;
  readonly at: number;
}

const replayCodec: z.ZodType<ReplayRecord> = z.looseObject({ hearingId: z.string(), decision: z.enum(REPLAY_DECISIONS), reason: z.string().nullable(), by: auditActorCodec, at: z.number() });

export interface ReplaysEvents {
  changed: (hearingId: string) => void;
}

/**
 * Replays are off until a supervisor publishes them: an ended hearing's as-aired recording goes
 * public only then. Withholding needs a reason. Both are put on the hearing's audit trail before
 * they take effect, so there is never a public replay nobody answers for.
 */
export class Replays extends TypedEmitter<ReplaysEvents> {
  private readonly records: Records<ReplayRecord>;

  constructor(
    private readonly o: { readonly state: StateStore; readonly registry: Registry; readonly audit: AuditTrail; readonly governance: Governance; readonly logger: Logger; readonly now?: () => number; readonly transparency?: Pick<TransparencyLog, 'append'> },
  ) {
    super((err, event) => o.logger.error({ err, event }, 'replay listener failed'));
    this.records = new Records(o.state, 'replays', replayCodec);
  }

  get(hearingId: string): Promise<ReplayRecord | null> {
    return this.records.get(hearingId);
  }

  async decide(hearingId: string, decision: ReplayDecision, by: AuditActor, reason: string | null): Promise<ReplayRecord> {
    const h = await this.o.registry.hearing(hearingId);
    if (h.status !== 'ended') throw new CourtcastError('INVALID_TRANSITION', 'a replay is decided once the hearing has ended');
    if (!h.isPublic) throw new CourtcastError('INVALID_TRANSITION', 'the hearing is not public: it has no replay');
    if (decision === 'withheld' && !reason) throw new CourtcastError('VALIDATION_FAILED', 'withholding a replay needs a reason');
    if (decision === 'published') {
      // A replay goes out only with an approval that covers it and a confidentiality review of
      // the hearing as it stands (both in the clearance).
      const c = await this.o.governance.clearance(h, 'replay');
      if (!c.cleared) throw notCleared(c.blockers, 'the replay cannot be published');
    }
    const now = (this.o.now ?? Date.now)();
    await this.o.audit.append(hearingId, { actor: by, action: decision === 'published' ? 'replay-published' : 'replay-withheld', reason, effectiveAt: now });
    // And in the public log, so that what the court published and withdrew can be told by anyone.
    await this.o.transparency?.append({ kind: 'replay', hearingId, decision, at: new Date(now).toISOString() });
    const record: ReplayRecord = { hearingId, decision, reason, by, at: now };
    await this.records.put(hearingId, record);
    this.emit('changed', hearingId);
    return record;
  }
}
