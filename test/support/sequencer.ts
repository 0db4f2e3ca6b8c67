import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { anchors } from './suite-plan.ts';

/**
 * Vitest's order (groups, then slowest or largest first), except that in each group the anchor
 * (suite-plan.ts) goes first: it must start at once, beside the companions, not after them.
 */
export default class AnchorsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isAnchor = (f: TestSpecification) => anchors.has(path.relative(this.ctx.config.root, f.moduleId).split(path.sep).join('/'));
    // Array.prototype.sort is stable: only anchors move, to the front of their own group.
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => a.f.project.config.sequence.groupOrder - b.f.project.config.sequence.groupOrder || Number(isAnchor(b.f)) - Number(isAnchor(a.f)) || a.i - b.i)
      .map(({ f }) => f);
  }
}
