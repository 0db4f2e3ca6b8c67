import type { ReleaseDecision } from '../domain/program.ts';
import type { RenderPlan } from './render-plan.ts';
import type { PublicSlate } from './slates.ts';

/** Why a slot airs what it airs. */
export type ReleaseReason = 'program' | 'gap' | 'media-missing' | 'mask-unproven' | 'store-fault';

/** What the gate lets air for one segment: its media (as transcoded, or as rendered), or a slate. */
export type GateOutcome =
  | { readonly air: 'pending' | 'render'; readonly masked?: true; readonly live?: true; readonly spliced?: true }
  | { readonly slate: PublicSlate; readonly reason: ReleaseReason };

/** What the gate knows of one segment at its release. */
export interface GateInput {
  /** The program's decision over the whole segment (or the no-broadcast card for a hidden hearing). */
  readonly decision: ReleaseDecision | { readonly action: 'slate'; readonly slate: PublicSlate };
  /** Every rung's file is there. */
  readonly complete: boolean;
  /** The render the segment needs, or null. */
  readonly plan: RenderPlan | null;
  /** A render of exactly `plan` finished. */
  readonly rendered: boolean;
  /** Live mask slots prove the plan's masks (asked only when it matters). */
  readonly liveProven: () => boolean;
}

/**
 * The release gate: pure, so every rule is tested on its own. Program media airs only whole (every
 * rung) and only with every mask proven, by the live slots or by a render of exactly its masks; a
 * segment a program edge falls in airs only as a finished splice. Anything else is a slate, never
 * half-aired: fail closed.
 */
export function gate(i: GateInput): GateOutcome {
  const d = i.decision;
  if (i.plan?.windows) {
    if (i.complete && d.action === 'slate' && i.rendered) return { air: 'render', spliced: true, ...(i.plan.masked ? { masked: true } : {}) };
    return { slate: d.action === 'slate' ? d.slate : 'no-broadcast', reason: 'program' };
  }
  if (d.action === 'air' && i.complete) {
    if (!i.plan) return { air: 'pending' };
    if (i.liveProven()) return { air: 'pending', masked: true, live: true };
    if (i.rendered) return { air: 'render', masked: true };
    return { slate: 'no-broadcast', reason: 'mask-unproven' };
  }
  return d.action === 'slate' ? { slate: d.slate, reason: 'program' } : { slate: 'standby', reason: 'media-missing' };
}
