/**
 * A structured FFmpeg command: what the pure builders return and what the process class runs.
 * Keeping it structured (rather than one flat array) lets fluent-ffmpeg assemble it and lets
 * tests assert on one output at a time.
 */
export interface FfmpegSpec {
  readonly inputs: readonly { readonly url: string; readonly options: readonly string[] }[];
  readonly complexFilter?: string;
  readonly outputs: readonly { readonly target: string; readonly options: readonly string[] }[];
}

/** Global flags every Courtcast FFmpeg gets: quiet banner, no stdin prompts, warnings only. */
export const GLOBAL_INPUT_FLAGS: readonly string[] = ['-hide_banner', '-nostdin', '-loglevel', 'warning'];

/** The flat argument array for a spec, as FFmpeg receives it (used for logs and tests). */
export function specToArgs(spec: FfmpegSpec): string[] {
  const args: string[] = [];
  for (const input of spec.inputs) args.push(...input.options, '-i', input.url);
  if (spec.complexFilter) args.push('-filter_complex', spec.complexFilter);
  for (const output of spec.outputs) args.push(...output.options, output.target);
  return args;
}
