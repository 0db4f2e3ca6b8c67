import type { Hearing } from '../../domain/courts.ts';
import type { Governance } from '../court/governance.ts';
import type { Registry } from '../court/registry.ts';

/**
 * The hearings the public may read about: heard in public, with a confidentiality review signed
 * off on them as they stand. Every public page, feed and API asks here, so a hearing whose title
 * changed after its review disappears from all of them at once until it is reviewed again.
 */
export class PublicHearings {
  constructor(
    private readonly registry: Pick<Registry, 'listHearings' | 'hearing'>,
    private readonly governance: Pick<Governance, 'publishableIds' | 'isPublishable'>,
  ) {}

  async list(): Promise<Hearing[]> {
    const all = await this.registry.listHearings();
    const shown = await this.governance.publishableIds(all);
    return all.filter((h) => shown.has(h.id));
  }

  /** The hearing, or null when it does not exist or is not public. */
  async get(id: string): Promise<Hearing | null> {
    const h = await this.registry.hearing(id).catch(() => null);
    return h && (await this.governance.isPublishable(h)) ? h : null;
  }
}
