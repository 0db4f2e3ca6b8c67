import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { anchors } from './suite-plan.ts';

/**
 * Integration files' wall times from a full run (SUITE_DURATIONS, profile-reporter.ts). Vitest
 * keeps its own in a cache a fresh clone does not have; without them it ran the files in an order
 * that left one lane idle while the other finished a long file.
 */
const durations = JSON.parse(readFileSync(new URL('./file-durations.json', import.meta.url), 'utf8')) as Record<string, number>;

/**
 * The order files start in, group by group: the anchor first (suite-plan.ts: it must start at
 * once, beside its companions, not after them), then the longest first, so the lanes end together.
 * A file with no recorded time goes before the known ones: it may be long.
 */
export default class SuiteOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rel = (f: TestSpecification) => path.relative(this.ctx.config.root, f.moduleId).split(path.sep).join('/');
    const key = (f: TestSpecification) => ({ group: f.project.config.sequence.groupOrder, anchor: anchors.has(rel(f)) ? 0 : 1, length: durations[rel(f)] ?? Number.POSITIVE_INFINITY });
    return sorted
      .map((f, i) => ({ k: key(f), f, i }))
      .sort((a, b) => a.k.group - b.k.group || a.k.anchor - b.k.anchor || b.k.length - a.k.length || a.i - b.i)
      .map(({ f }) => f);
  }
}
