import path from 'node:path';
import { defineConfig } from 'vitest/config';
import SuiteOrder from './test/support/suite-order.ts';
import { ANCHORED, lanes } from './test/support/suite-plan.ts';

const integration = {
  environment: 'node' as const,
  // A worker keeps its loaded modules from one file to the next: each file evaluating the whole
  // server afresh cost about a second (13 light files: 33 s isolated, 24 s not). The files share
  // no module state: each starts its own servers, stores and children and stops them.
  isolate: false,
  setupFiles: ['test/support/count-assertions.ts'],
  testTimeout: 120_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    sequence: { sequencer: SuiteOrder },
    projects: [
      {
        // Units first, on every core; then the integration lanes; then each anchored group, its
        // anchor beside its companions (vitest runs projects with different worker limits in
        // separate groups, in this order). Units keep their modules between files too: they share
        // no module state, and isolated they took 24 s for 7 s of tests (10 s not).
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', isolate: false, setupFiles: integration.setupFiles, sequence: { groupOrder: 0 } },
      },
      {
        test: {
          ...integration,
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/bench/**/*.test.ts'],
          exclude: ANCHORED.flatMap((g) => [g.anchor, ...g.companions]),
          maxWorkers: lanes,
          sequence: { groupOrder: 1 },
        },
      },
      ...ANCHORED.map((g, i) => ({
        test: { ...integration, name: `beside-${path.basename(g.anchor, '.test.ts')}`, include: [g.anchor, ...g.companions], maxWorkers: lanes, sequence: { groupOrder: 2 + i } },
      })),
    ],
  },
});
