import { applyAction, type BroadcastProgram } from './program.ts';

/** How a live hearing came to this node without its last node's say-so on what was stored. */
export type Arrival = 'recovered-after-restart' | 'taken-over';

/** The last entry on the hearing's trail, as far as the node taking it can read it. */
export interface LastEntry {
  readonly action: string;
  readonly params?: unknown;
}

/**
 * The program a node continues a hearing with when it takes it from another node. A node that
 * stopped answering may have acknowledged a cut or a pause it could not store (its journal is on
 * its own disk), so an on-air broadcast is paused until a clerk resumes it, and paused from where
 * that node's release had got to (`releasedUntil`, as it last saved it): nothing it had not yet
 * aired airs, this node's own media from before the takeover included (the encoder reconnects here
 * before the lease lapses, and a hold taken only from the takeover aired those seconds). Without a
 * saved release position, from the last action it stored. A hearing handed to this node (its last
 * entry is `handed-over` naming it) had its program saved first, so it stays on air. An
 * unreadable trail (`undefined`) counts as not handed over. A restart on the same node keeps its
 * program: its own journal is read back.
 */
export function programOnArrival(program: BroadcastProgram, arrival: Arrival, last: LastEntry | undefined, nodeId: string, releasedUntil: number | undefined): { program: BroadcastProgram; held: boolean } {
  if (arrival !== 'taken-over' || program.phase !== 'on-air' || handedTo(last, nodeId)) return { program, held: false };
  // Never before the last stored action (applyAction keeps edges in order): a resume stays a resume.
  const paused = applyAction(program, { type: 'pause', at: releasedUntil ?? program.lastActionAt });
  return paused.ok ? { program: paused.program, held: true } : { program, held: false };
}

function handedTo(last: LastEntry | undefined, nodeId: string): boolean {
  if (last?.action !== 'handed-over' || typeof last.params !== 'object' || last.params === null) return false;
  return (last.params as { to?: unknown }).to === nodeId;
}
