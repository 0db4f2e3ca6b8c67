/**
 * The commands a clerk gives a broadcast, defined once: the service applies them, the Socket.IO
 * namespace listens for them, and the HTTP API accepts them (plus `open`, which only opens a
 * hearing without putting anything on the air).
 */
export const BROADCAST_COMMANDS = ['start', 'pause', 'resume', 'cut', 'end'] as const;
/** A broadcast command. */
export type BroadcastCommand = (typeof BROADCAST_COMMANDS)[number];

/** Every command the HTTP API takes at /api/hearings/{id}/broadcast/{command}. */
export const HTTP_BROADCAST_COMMANDS = ['open', ...BROADCAST_COMMANDS] as const;

/** Commands that take the public off the air must say why, for the record. */
export function reasonRequired(cmd: string): boolean {
  return cmd === 'pause' || cmd === 'cut';
}

/**
 * Commands that take something off the air (or hide it): they act on the live hearing first and
 * never wait on a store, not even for an earlier answer to the same request.
 */
export function isSafetyCommand(cmd: string): boolean {
  return cmd === 'pause' || cmd === 'cut' || cmd === 'mask';
}
