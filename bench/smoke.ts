/**
 * `--smoke`: the bench runs end to end in seconds, on tiny pictures and short runs, so the test
 * suite can prove every bench still works (bench-smoke.test.ts). Its figures mean nothing; the
 * real figures come from a run without it.
 */
export const SMOKE = process.argv.includes('--smoke');

/** The bench's own arguments (after its name), without `--smoke`. */
export const benchArgs: readonly string[] = process.argv.slice(3).filter((a) => a !== '--smoke');

/** The numeric argument at `i`, or `fallback` when absent. */
export function numberArg(i: number, fallback: number): number {
  const v = benchArgs[i];
  return v === undefined ? fallback : Number(v);
}

/** The ladder smoke runs use: one tiny video rung and the audio-only rung. */
export const SMOKE_LADDER = [
  { name: '144p', height: 144, videoKbps: 150, audioKbps: 64 },
  { name: 'audio', audioKbps: 64 },
];
