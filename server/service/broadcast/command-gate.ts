import type { AuditTrail } from '../../audit/trail.ts';
import { policyOf, type CommandName } from '../../domain/commands.ts';
import type { Hearing } from '../../domain/courts.ts';
import { CourtcastError } from '../../domain/errors.ts';
import type { Logger } from '../../domain/logger.ts';
import { notCleared, type Governance } from '../court/governance.ts';
import type { Registry } from '../court/registry.ts';

/** What the gate consults: approvals, the audit trail, and the hearing's record. */
export interface CommandGateOptions {
  readonly governance: Pick<Governance, 'clearance'>;
  readonly audit: Pick<AuditTrail, 'ready' | 'append'>;
  readonly registry: Pick<Registry, 'hearing'>;
  readonly logger: Logger;
  /**
   * Resolves once the media that had reached our sockets has been read, and so dated
   * (media/read-pulse.ts). Without it, an edge is taken at once.
   */
  readonly mediaRead?: () => Promise<unknown>;
}

/**
 * The gate every command passes before it acts, and the record it leaves after, as the command's
 * declared policy says (domain/commands.ts). The service never tests command names for safety:
 * a command it does not know how to gate cannot exist.
 */
export class CommandGate {
  constructor(private readonly o: CommandGateOptions) {}

  /**
   * A command that adds exposure needs the broadcast cleared (an approval in force) and the audit
   * trail able to record it; a store that cannot say refuses it. Its edge is then taken only once
   * the media that reached us before it has been read: media is dated when it is read, and on a
   * busy event loop what came before the command could otherwise be dated after it and air. One
   * that removes exposure passes at once and touches no store: it must act on the live hearing
   * before anything can stall it (and media read late is dated late, so stays on the safe side).
   */
  async admit(hearingId: string, cmd: CommandName, hearing?: Hearing): Promise<void> {
    const policy = policyOf(cmd);
    if (policy.exposure === 'removes') return;
    await this.mustBeCleared(hearing ?? (await this.o.registry.hearing(hearingId)), policy.done);
    if (!(await this.o.audit.ready(hearingId))) throw new CourtcastError('STORE_UNAVAILABLE', `the audit trail cannot record it now, so the hearing was not ${policy.done}`);
    await this.o.mediaRead?.();
  }

  /**
   * Refuses to put a hearing on the air without an approval in force. A store that cannot say
   * refuses too: when in doubt, nothing airs.
   */
  private async mustBeCleared(hearing: Hearing, what: string): Promise<void> {
    const c = await this.o.governance.clearance(hearing, 'live').catch((err: unknown) => {
      throw new CourtcastError('STORE_UNAVAILABLE', `the broadcast's approval cannot be confirmed now, so the hearing was not ${what}`, undefined, { cause: err });
    });
    if (!c.cleared) throw notCleared(c.blockers, `the hearing cannot be ${what}`);
  }

  /** Puts an action on the record; false only when not even the local spool took it. */
  async record(hearingId: string, input: Parameters<AuditTrail['append']>[1]): Promise<boolean> {
    try {
      await this.o.audit.append(hearingId, input);
      return true;
    } catch (err) {
      this.o.logger.error({ hearingId, err, action: input.action }, 'could not write the audit trail');
      return false;
    }
  }
}
