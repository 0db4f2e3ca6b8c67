import type { ArchiveHealth, ComponentHealth } from '../service/operations/health.ts';
import type { AuditEntry } from '../audit/trail.ts';
import type { Hearing, MaskPreset } from '../domain/courts.ts';
import type { ErrorCode } from '../domain/errors.ts';
import type { BroadcastCommand } from '../domain/commands.ts';
import type { Mask } from '../domain/masks.ts';
import type { CommandPayload, CuePayload, JoinPayload, LiftPayload, MaskPayload, SwitchPayload } from './contract.ts';
import type { CueView } from '../service/broadcast/caption-track.ts';
import type { Principal, RevocationCause } from '../domain/users.ts';
import type { TokenClaims } from '../service/identity/tokens.ts';
import type { EncoderHealth } from '../service/broadcast/broadcasts.ts';
import type { ProgramArrangement } from '../service/broadcast/live-hearing.ts';
import type { LiveStatus } from '../service/broadcast/live-hearing.ts';

/** A failed command: a stable code and a sentence a clerk can read under stress. */
export interface AckError {
  readonly ok: false;
  readonly error: { readonly code: ErrorCode; readonly message: string };
}
/** A successful command: the hearing's full state after it. */
export interface AckOk {
  readonly ok: true;
  readonly state: ConsoleState;
  /** For a mask command: the mask as stored. */
  readonly mask?: Mask;
  /** For a mask command: the part of its interval that was already public (not masked). */
  readonly alreadyPublic?: { readonly start: string; readonly end: string } | null;
  /**
   * Whether the state store holds the change. False while it is down: the command has acted on
   * the live hearing all the same, and saving goes on in the background.
   */
  readonly persisted?: boolean;
  /** Whether the command is on the audit record (false only if even the local spool failed). */
  readonly recorded?: boolean;
}
/** The answer to every command. */
export type CommandAck = AckOk | AckError;

/** The answer to a cue: the cue as taken (capture times as ISO), whether it may still air, and whether it is logged. */
export type CueAck = { readonly ok: true; readonly cue: CueView; readonly inWindow: boolean; readonly recorded: boolean } | AckError;

/** Everything a clerk's console shows about one hearing. */
export interface ConsoleState {
  readonly hearing: Hearing;
  readonly live: LiveStatus | null;
  /** The broadcast commands its phase allows now (domain/commands.ts), so consoles need not know the rules. */
  readonly allowed: readonly BroadcastCommand[];
  /** Public viewers seen in the last few seconds. */
  readonly viewers: number;
  readonly encoderHealth: EncoderHealth | null;
  /** The latest entries of the hearing's audit trail, newest last. */
  readonly audit: readonly AuditEntry[];
  /** Masks of the live hearing: active (open), ended, and retroactive. */
  readonly masks: readonly Mask[];
  /** A composed program's layout, the cameras in its tiles and those it may switch to; null otherwise. */
  readonly arrangement: ProgramArrangement | null;
  /** The courtroom's mask presets. */
  readonly presets: readonly MaskPreset[];
  /** Where the clerk's undelayed preview plays from (authenticated). */
  readonly previewUrl: string | null;
  readonly serverTime: string;
  /** What the server depends on, as this node sees it: a console warns while any is down. */
  readonly health: { readonly stateStore: 'ok' | 'down'; readonly publicStore: 'ok' | 'down'; readonly archive: ArchiveHealth; readonly dataDisk: ComponentHealth };
}


export type { CommandPayload, CuePayload, JoinPayload, LiftPayload, MaskPayload, SwitchPayload } from './contract.ts';

/** Events a console sends. Each takes an ack. */
export type ClientToServerEvents = {
  [C in BroadcastCommand]: (payload: CommandPayload, ack: (a: CommandAck) => void) => void;
} & {
  join: (payload: JoinPayload, ack: (a: CommandAck) => void) => void;
  leave: (payload: JoinPayload, ack: (a: CommandAck | { ok: true }) => void) => void;
  mask: (payload: MaskPayload, ack: (a: CommandAck) => void) => void;
  lift: (payload: LiftPayload, ack: (a: CommandAck) => void) => void;
  switch: (payload: SwitchPayload, ack: (a: CommandAck) => void) => void;
  cue: (payload: CuePayload, ack: (a: CueAck) => void) => void;
};

/**
 * Why the server took rights away from an open connection. With a `hearingId`, only that
 * hearing's room was left (the clerk no longer serves its courtroom); without, the connection is
 * closed right after this event.
 */
export interface Revocation {
  readonly code: RevocationCause | 'FORBIDDEN';
  readonly message: string;
  readonly hearingId?: string;
}

/** Events the server sends to consoles in a hearing's room. */
export interface ServerToClientEvents {
  state: (state: ConsoleState) => void;
  revoked: (r: Revocation) => void;
}

/** Per-socket data set by the authentication middleware. */
export interface SocketData {
  claims: TokenClaims;
  principal: Principal;
  /** Hearings whose rooms the socket joined, with their courtrooms, for re-checking scope. */
  joined: Record<string, string>;
}
