import { GLOBAL_INPUT_FLAGS, type FfmpegSpec } from './spec.ts';

/** The rate sound is decoded at to find where it is loud: enough for speech and tones, cheap. */
export const LOUDNESS_RATE = 8_000;
/** 5 ms blocks decide silence. */
const BLOCK = LOUDNESS_RATE / 200;
/** Below -50 dBFS RMS a block is silence: a splice's slated part, a mute, a slate. */
const SILENT_RMS = 10 ** (-50 / 20);

/** Decodes a file's first sound stream to mono 16-bit PCM at LOUDNESS_RATE, as raw samples in `output`. */
export function soundPcmSpec(input: string, output: string): FfmpegSpec {
  return {
    inputs: [{ url: input, options: [...GLOBAL_INPUT_FLAGS] }],
    outputs: [{ target: output, options: ['-map', '0:a:0', '-ac', '1', '-ar', String(LOUDNESS_RATE), '-f', 's16le', '-y'] }],
  };
}

/**
 * Where decoded sound (mono 16-bit PCM at LOUDNESS_RATE, its first sample at `firstPts` seconds)
 * is not silence, as spans of its own timeline in seconds. Pure.
 */
export function loudSpans(pcm: Buffer, firstPts: number): { start: number; end: number }[] {
  const samples = Math.floor(pcm.length / 2);
  const spans: { start: number; end: number }[] = [];
  for (let b = 0; b * BLOCK < samples; b++) {
    let sq = 0;
    const end = Math.min(samples, (b + 1) * BLOCK);
    for (let i = b * BLOCK; i < end; i++) sq += (pcm.readInt16LE(i * 2) / 32768) ** 2;
    if (Math.sqrt(sq / (end - b * BLOCK)) < SILENT_RMS) continue;
    const from = firstPts + (b * BLOCK) / LOUDNESS_RATE;
    const to = firstPts + end / LOUDNESS_RATE;
    const last = spans.at(-1);
    if (last && Math.abs(last.end - from) < 1e-9) spans[spans.length - 1] = { start: last.start, end: to };
    else spans.push({ start: from, end: to });
  }
  return spans;
}
