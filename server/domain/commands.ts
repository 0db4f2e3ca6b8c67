import type { ProgramPhase } from './program.ts';

/**
 * Every control command, defined once with its safety policy. The service gates on it, the
 * program takes each action's phases from it, Socket.IO, HTTP and calls between nodes list their
 * commands from it, OpenAPI describes it, and consoles get the commands allowed now from it. A
 * command whose policy is missing or incomplete does not compile.
 */

/**
 * What a command does to what the public may see.
 * - `adds`: it may put more on the air (or lets a hearing get there). It is refused unless the
 *   broadcast is cleared (an approval in force) and the audit trail can record it, so nothing is
 *   ever aired that was not approved and put on the record; when in doubt it is refused.
 * - `removes`: it takes something off the air or hides it. It acts on the live hearing first and
 *   is recorded after; it never waits on a store, not even to check an earlier answer.
 */
export type Exposure = 'adds' | 'removes';

/** A command's policy. */
export interface CommandPolicy {
  readonly exposure: Exposure;
  /** Whether the clerk must say why, for the record. */
  readonly reason: 'required' | 'optional';
  /** The program phases it may be given in (the program refuses it in any other). */
  readonly from: readonly ProgramPhase[];
  /** How refusals name it: "the hearing was not <done>". */
  readonly done: string;
  /** Whether it opens a hearing that is not live yet (so it goes to the node its encoder is on). */
  readonly opens: boolean;
}

const ANY_PHASE: readonly ProgramPhase[] = ['ready', 'on-air', 'paused', 'cut', 'ended'];

/** Every command and its policy. */
export const COMMAND_POLICY = {
  /** Opens a hearing: recording begins and the public sees the "starting" slate. */
  open: { exposure: 'adds', reason: 'optional', from: ['ready'], done: 'opened', opens: true },
  start: { exposure: 'adds', reason: 'optional', from: ['ready'], done: 'started', opens: true },
  pause: { exposure: 'removes', reason: 'required', from: ['on-air'], done: 'paused', opens: false },
  resume: { exposure: 'adds', reason: 'optional', from: ['paused', 'cut'], done: 'resumed', opens: false },
  cut: { exposure: 'removes', reason: 'required', from: ['on-air', 'paused', 'cut'], done: 'cut', opens: false },
  end: { exposure: 'removes', reason: 'optional', from: ['ready', 'on-air', 'paused', 'cut'], done: 'ended', opens: false },
  // Masks apply while anything may still be released, the window after an end included.
  mask: { exposure: 'removes', reason: 'optional', from: ANY_PHASE, done: 'masked', opens: false },
  lift: { exposure: 'adds', reason: 'optional', from: ANY_PHASE, done: 'unmasked', opens: false },
  /** Another layout or other cameras: it may show a camera the program did not. */
  switch: { exposure: 'adds', reason: 'optional', from: ['ready', 'on-air', 'paused', 'cut'], done: 'switched', opens: false },
  /** Governance takes a hearing off the air when its approval goes. */
  withdraw: { exposure: 'removes', reason: 'required', from: ['on-air', 'paused', 'cut', 'ended'], done: 'withdrawn', opens: false },
} as const satisfies Record<string, CommandPolicy>;

/** Any control command. */
export type CommandName = keyof typeof COMMAND_POLICY;

/** A command's policy. */
export const policyOf = (cmd: CommandName): CommandPolicy => COMMAND_POLICY[cmd];

/**
 * The commands a clerk gives the broadcast program by name: the Socket.IO namespace listens for
 * them and the HTTP API accepts them (plus `open`). Each must have a policy above.
 */
export const BROADCAST_COMMANDS = ['start', 'pause', 'resume', 'cut', 'end'] as const satisfies readonly CommandName[];
/** A broadcast command. */
export type BroadcastCommand = (typeof BROADCAST_COMMANDS)[number];

/** Every command the HTTP API takes at /api/hearings/{id}/broadcast/{command}. */
export const HTTP_BROADCAST_COMMANDS = ['open', ...BROADCAST_COMMANDS] as const satisfies readonly CommandName[];

/** Whether the clerk must give a reason for the command. */
export const reasonRequired = (cmd: CommandName): boolean => COMMAND_POLICY[cmd].reason === 'required';

/** Whether a command takes something off the air: it acts first and never waits on a store. */
export const removesExposure = (cmd: CommandName): boolean => COMMAND_POLICY[cmd].exposure === 'removes';

/**
 * The broadcast commands a console may offer now: for a live hearing those its phase allows, for
 * one not live only `start` (which opens it), and none once it has finished.
 */
export function commandsAllowed(live: { readonly phase: ProgramPhase; readonly finished: boolean } | null): BroadcastCommand[] {
  if (!live) return ['start'];
  if (live.finished) return [];
  return BROADCAST_COMMANDS.filter((c) => (COMMAND_POLICY[c].from as readonly ProgramPhase[]).includes(live.phase));
}
