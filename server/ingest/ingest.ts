import type { CaptureClock } from '../pipeline/capture-dating.ts';

/** What the broadcast service hears from the ingest. */
export interface IngestEvents {
  /** A courtroom encoder started publishing with a valid key. */
  publish: (e: { courtroomId: string; ip: string }) => void;
  /** That encoder stopped or was lost. */
  unpublish: (e: { courtroomId: string }) => void;
}

/** What an encoder announced, while it publishes. */
export interface IngestStats {
  readonly fps: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Where courtroom encoders come in, as the service depends on it. RTMP implements it
 * (`rtmp-ingest.ts`); other protocols come in through it (SRT by a relay that publishes into it),
 * so the pipeline always reads one kind of input dated by one kind of clock.
 */
export interface Ingest {
  on<E extends keyof IngestEvents>(event: E, listener: IngestEvents[E]): unknown;
  /** Whether a courtroom's encoder is publishing now. */
  isPublishing(courtroomId: string): boolean;
  /**
   * A fresh, single-use URL our pipeline reads a courtroom's feed from. `fromKeyframe` starts the
   * reader at the next keyframe with no older sound, so every rung it makes starts on one frame.
   */
  pullUrl(courtroomId: string, o?: { fromKeyframe?: boolean }): string;
  /** Where a local relay publishes a courtroom's stream, under its key. */
  publishUrl(streamKey: string): string;
  /** The capture clock of a courtroom's latest publish session, if it has published. */
  clockOf(courtroomId: string): CaptureClock | null;
  stats(courtroomId: string): IngestStats | null;
  /** Disconnects a courtroom's encoder (after its key was rotated). */
  kick(courtroomId: string): void;
  /** Strings to keep out of logs (live pull tokens). */
  readonly secrets: readonly string[];
}

/**
 * How an encoder's media became the master where it is not kept as sent: the protocol it came by
 * and, per kind, the codec it was sent in and what it was made (a WHIP publisher's Opus, FLV
 * carrying none, becomes AAC).
 */
export interface EncoderSource {
  readonly via: string;
  readonly transcoded: readonly { readonly kind: 'picture' | 'sound'; readonly from: string; readonly to: string }[];
  /** Whether the media is also archived exactly as it was received (`received/` beside the master). */
  readonly keptAsReceived: boolean;
}
