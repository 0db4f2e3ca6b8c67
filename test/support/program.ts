import { applyAction, emptyProgram, type BroadcastProgram, type ProgramAction } from '../../server/domain/program.ts';

/** The program after a sequence of actions, failing the test on a refused one. */
export function programOf(...actions: ProgramAction[]): BroadcastProgram {
  return actions.reduce((p, a) => {
    const r = applyAction(p, a);
    if (!r.ok) throw new Error(r.error.message);
    return r.program;
  }, emptyProgram());
}
