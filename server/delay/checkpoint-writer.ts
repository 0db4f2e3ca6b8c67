import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { linkCheckpoint, signCheckpoint, type CheckpointEntry, type CheckpointSigner } from '../domain/live-checkpoint.ts';
import type { Logger } from '../domain/logger.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { checkpointKey } from './public-keys.ts';

/** A file just published: its key below the hearing's public folder, and its bytes or where they are. */
export type Published = { readonly rel: string; readonly bytes: Buffer } | { readonly rel: string; readonly path: string };

/**
 * Keeps a hearing's live checkpoint (domain/live-checkpoint.ts): every file the public writer
 * publishes is chained, and before a playlist names a slot the signed checkpoint listing it is
 * written beside it. Entries for two windows of slots are listed (the playlist's, and the one its
 * files are kept behind it for). A checkpoint that cannot be written leaves players unable to
 * check, never unable to play: it is logged and written again with the next slot.
 */
export class CheckpointWriter {
  private recent: CheckpointEntry[] = [];
  private dirty = false;
  private failing = false;
  private readonly chain = randomBytes(6).toString('base64url');

  constructor(
    private readonly o: {
      readonly hearingId: string;
      readonly publicStore: ObjectStore;
      readonly publicPrefix: string;
      readonly signer: CheckpointSigner;
      /** How many entries to list: the files of two windows of slots. */
      readonly keep: number;
      readonly logger: Logger;
      readonly now?: () => number;
    },
  ) {}

  /** Chains files just published, in the order given. Never throws: publishing goes on without it. */
  async add(files: readonly Published[]): Promise<void> {
    const read = await Promise.allSettled(files.map(async (f) => ({ rel: f.rel, bytes: 'bytes' in f ? f.bytes : await readFile(f.path) })));
    // A file that cannot be read again is left out: players will find it unlisted and say it is not checked.
    const hashed = read.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (hashed.length < files.length) this.o.logger.warn({ hearingId: this.o.hearingId, missing: files.length - hashed.length }, 'published files left out of the live checkpoint');
    for (const f of hashed) {
      this.recent.push(linkCheckpoint(this.recent.at(-1) ?? null, { key: f.rel, size: f.bytes.length, sha256: createHash('sha256').update(f.bytes).digest('hex') }));
    }
    if (this.recent.length > this.o.keep) this.recent = this.recent.slice(-this.o.keep);
    this.dirty = this.dirty || hashed.length > 0;
  }

  /** Writes the signed checkpoint if anything was chained since the last one written. */
  async write(): Promise<void> {
    if (!this.dirty) return;
    const at = new Date((this.o.now ?? Date.now)());
    const doc = signCheckpoint({ hearingId: this.o.hearingId, chain: this.chain, recent: this.recent, at }, this.o.signer);
    try {
      await this.o.publicStore.put(checkpointKey(this.o.publicPrefix), JSON.stringify(doc));
      this.dirty = false;
      if (this.failing) this.o.logger.info({ hearingId: this.o.hearingId }, 'the live checkpoint is written again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.o.logger.error({ hearingId: this.o.hearingId, err }, 'could not write the live checkpoint: players cannot check what they receive until it is');
      this.failing = true;
    }
  }
}
