import type { HeldMessage } from './pre-roll.ts';

/**
 * How old the GOP in progress may be when a reader joins for it to be handed over. Anything a
 * reader is given reached the ingest at most this long before the reader joined, so a pipeline can
 * bound its frames' capture times from below by its reader's start less this.
 */
export const GOP_HANDOVER_MAX_AGE_MS = 4_000;

/** A GOP larger than this is not held (an encoder sending huge or no keyframes): its reader waits for the next one. */
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * The publisher's media since its latest keyframe, so a reader that must start on a keyframe (the
 * transcoder) starts on the one just sent rather than waiting up to a GOP for the next: the public
 * picture then starts with the encoder's first frame, and a restarted transcoder picks up the
 * frames its predecessor had not finished. Sound stamped before the keyframe is left out, as
 * KeyframeStart does for live sound, so every rung starts on the same instant.
 */
export class GopInProgress {
  private messages: HeldMessage[] = [];
  private keyframe: { readonly timestampMs: number; readonly at: number } | null = null;
  private bytes = 0;

  /** Keeps a message (a copy: the parser reuses its buffer) that arrived at `at`. Sequence headers are not media. */
  add(m: Omit<HeldMessage, 'payload'> & { readonly payload: Buffer; readonly sequenceHeader: boolean }, at: number): void {
    if (m.sequenceHeader) return;
    if (m.kind === 'video' && m.keyframe) {
      this.messages = [];
      this.bytes = 0;
      this.keyframe = { timestampMs: m.timestampMs, at };
    }
    if (!this.keyframe) return;
    if (m.kind === 'audio' && m.timestampMs < this.keyframe.timestampMs) return;
    this.bytes += m.payload.length;
    if (this.bytes > MAX_BYTES) {
      this.keyframe = null;
      this.messages = [];
      this.bytes = 0;
      return;
    }
    this.messages.push({ kind: m.kind, timestampMs: m.timestampMs, keyframe: m.keyframe, payload: Buffer.from(m.payload) });
  }

  /**
   * The GOP in progress from its keyframe, if that keyframe reached the ingest no more than
   * GOP_HANDOVER_MAX_AGE_MS before `now`; empty otherwise (the reader waits for the next keyframe).
   */
  take(now: number): { readonly fromMs: number; readonly messages: readonly HeldMessage[] } | null {
    if (!this.keyframe || now - this.keyframe.at > GOP_HANDOVER_MAX_AGE_MS || this.messages.length === 0) return null;
    return { fromMs: this.keyframe.timestampMs, messages: [...this.messages] };
  }
}
