import { applyAction, emptyProgram, type BroadcastProgram, type ProgramAction } from '../../server/domain/program.ts';

/** A program after a sequence of actions, failing the test on a refused one. */
export function programAfter(program: BroadcastProgram, ...actions: ProgramAction[]): BroadcastProgram {
  return actions.reduce((p, a) => {
    const r = applyAction(p, a);
    if (!r.ok) throw new Error(r.error.message);
    return r.program;
  }, program);
}

/** The program after a sequence of actions from a fresh one. */
export const programOf = (...actions: ProgramAction[]): BroadcastProgram => programAfter(emptyProgram(), ...actions);
