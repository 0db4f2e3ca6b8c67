import { afterEach, expect } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    /** How many `expect` assertions the test made: the suite profile adds them up. */
    assertions?: number;
  }
}

// Kept on the test's meta, which the main process sees, so the profile can say whether making the
// suite faster kept every check.
afterEach((ctx) => {
  ctx.task.meta.assertions = expect.getState().assertionCalls;
});
