import type { TransparencyLog } from '../server/audit/transparency-log.ts';
import type { ReleaseRecord } from '../server/delay/delay-line.ts';
import type { PublicTimeline, VariantInfo } from '../server/delay/playlist.ts';
import type { Logger } from '../server/domain/logger.ts';
import type { MasterSegment } from '../server/pipeline/master-sealer.ts';
import type { ObjectReader, ObjectStore } from '../server/store/object-store.ts';
import type { StateStore } from '../server/store/state-store.ts';
import type { SigningKey } from './signing-key.ts';

/** What the recorder follows of a live hearing (service/broadcast/live-hearing.ts has it). */
export interface RecordedHearing {
  readonly hearing: { readonly id: string };
  on(event: 'master', fn: (m: MasterSegment) => void): unknown;
  on(event: 'sourceMaster', fn: (source: string, m: MasterSegment) => void): unknown;
  on(event: 'released', fn: (r: ReleaseRecord) => void): unknown;
  on(event: 'finished', fn: () => void): unknown;
  /** Resolves once the hearing's pipeline has stopped and its last master segments are sealed. */
  close(): Promise<void>;
}

export interface RecorderOptions {
  readonly store: ObjectStore;
  readonly state: StateStore;
  /** Root of the recorder's local files: spool/, journal/ and work/. */
  readonly dir: string;
  readonly key: SigningKey;
  /** The public store, read back for the as-aired recording: exactly what viewers were served. */
  readonly publicStore: ObjectReader;
  readonly publicKeyOf: (hearingId: string, rung: string, seq: number) => string;
  /** Where a slot's captions in one language are in the public store (absent: the hearing published none). */
  readonly publicTextKeyOf?: (hearingId: string, lang: string, seq: number) => string;
  /** The caption languages a hearing may have published: those its slots carry are archived. */
  readonly captionLanguages?: readonly string[];
  readonly rungs: readonly string[];
  /** The rung the as-aired MP4 is made of (the top video rung). */
  readonly topRung: string;
  readonly variants: readonly VariantInfo[];
  readonly segmentSeconds: number;
  /** Where the pipeline writes a hearing's master (with its sealer's manifest.jsonl). */
  readonly masterDir: (hearingId: string) => string;
  /** The hearing's record at its end: program, masks, audit trail. */
  readonly recordOf: (hearingId: string) => Promise<unknown>;
  /** The public timeline as last saved: after a crash, slots published but not yet archived are found there. */
  readonly savedTimeline: (hearingId: string) => Promise<PublicTimeline | null>;
  /** Whether a hearing has ended (a restart finishes archives the crash interrupted). */
  readonly hasEnded: (hearingId: string) => Promise<boolean>;
  readonly ffmpegPath: string;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly retry?: { readonly minBackoffMs?: number; readonly maxBackoffMs?: number };
  /** This node's name: finalizing a hearing's archive is claimed with a lease, one node at a time. */
  readonly nodeId?: string;
  /** How often archives whose finalizing failed (another node's part not uploaded yet, a store down) are tried again. */
  readonly finalizeRetryMs?: number;
  /** How long the finalizing lease lasts unless renewed (tests shorten it). */
  readonly finalizeLeaseMs?: number;
  /** How long one state-store call of the archive chain may take before it is retried later. */
  readonly storeWaitMs?: number;
  /** The transparency log every final seal goes into before the archive is complete. */
  readonly transparency?: Pick<TransparencyLog, 'append'>;
}
