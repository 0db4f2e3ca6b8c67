import type { Logger } from '../domain/logger.ts';
import { LatestWriter } from '../store/latest-writer.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { renderMediaPlaylist, targetDuration, withSource, type EntrySource, type PublicTimeline } from './playlist.ts';
import type { SlateSource } from './slates.ts';
import { rungPlaylistKey, segmentKey, subtitleKey, subtitlePlaylistKey } from './public-keys.ts';
import { NO_CUES } from './vtt.ts';
import { CheckpointWriter, type Published } from './checkpoint-writer.ts';
import type { CheckpointSigner } from '../domain/live-checkpoint.ts';

/** The persisted state of a delay line (restart recovery builds on it). */
export interface DelayLineState {
  readonly releasedUntil: number;
  readonly timeline: PublicTimeline;
}

/** Options of a hearing's public writer. */
export interface PublicWriterOptions {
  readonly hearingId: string;
  readonly publicStore: ObjectStore;
  /** Key prefix of this hearing in the public store. */
  readonly publicPrefix: string;
  readonly rungs: readonly string[];
  /** The caption languages: each slot has a WebVTT file per language beside its media. */
  readonly languages?: readonly string[];
  readonly window: number;
  readonly segmentSeconds: number;
  readonly slates: SlateSource;
  /** Saves the release position (in the background, retried). */
  readonly persist: (state: DelayLineState) => Promise<void>;
  /** Told when a slot airs the standby slate instead of its own media, so the timeline follows. */
  readonly onSubstitute: (seq: number, source: EntrySource) => void;
  /** Signs the live checkpoint written beside the playlists; none without it. */
  readonly checkpoints?: CheckpointSigner;
  readonly logger: Logger;
}

/** What became of one slot: its own media, the standby slate, or nothing listed yet. */
export type SlotOutcome = 'own' | 'standby' | 'held';

const STANDBY: EntrySource = { kind: 'slate', slate: 'standby' };

/**
 * Writes one hearing's releases to the public store, publish then list: every file a playlist
 * names is in the store before that playlist is. A slot whose media the store refuses gets the
 * standby slate (from memory, since the failing disk may hold the slate files too); if even that
 * fails the slot is remembered as missing and the playlists are not rewritten until every slot
 * they name has a file, so viewers see the playlist hold, never a 404. The only module that
 * writes a hearing's public media.
 */
export class PublicWriter {
  /** Slots the public store has no file for yet. */
  private readonly missing = new Set<number>();
  /** Slots aired as the standby slate because the store refused their media. */
  private readonly substitutions = new Map<number, EntrySource>();
  private faultMessage: string | null = null;
  /** A state whose playlists could not be written yet. */
  private held: DelayLineState | null = null;
  private readonly position: LatestWriter<DelayLineState>;
  /** The target duration published so far: it only grows (see `targetDuration`). */
  private target = 0;
  private readonly checkpoints: CheckpointWriter | null;

  constructor(private readonly o: PublicWriterOptions) {
    const files = o.rungs.length + (o.languages ?? []).length;
    this.checkpoints = o.checkpoints ? new CheckpointWriter({ hearingId: o.hearingId, publicStore: o.publicStore, publicPrefix: o.publicPrefix, signer: o.checkpoints, keep: 2 * o.window * files, logger: o.logger }) : null;
    // A state store that is down must not hold up the public timeline (restart recovery fails
    // closed on a stale position anyway).
    this.position = new LatestWriter(o.persist, {
      onFault: (err) => (err ? o.logger.error({ hearingId: o.hearingId, err }, 'could not save the release position; retrying') : undefined),
    });
  }

  /** Why the public store last refused a write, while it still does. */
  get fault(): string | null {
    return this.faultMessage;
  }

  /** Whether a playlist is being held back until the store takes what it names. */
  get holding(): boolean {
    return this.held !== null;
  }

  /** A slot's files below the hearing's folder, as the checkpoint names them. */
  private rel(key: string): string {
    return key.slice(this.o.publicPrefix.length + 1);
  }

  private key(rung: string, seq: number): string {
    return segmentKey(this.o.publicPrefix, rung, seq);
  }

  private textKey(lang: string, seq: number): string {
    return subtitleKey(this.o.publicPrefix, lang, seq);
  }

  private get languages(): readonly string[] {
    return this.o.languages ?? [];
  }

  private noteFault(err: unknown): void {
    if (this.faultMessage === null) this.o.logger.error({ hearingId: this.o.hearingId, err }, 'the public store refuses writes: the playlist holds or airs the standby slate');
    this.faultMessage = err instanceof Error ? err.message : String(err);
  }

  private async putStandby(seq: number): Promise<boolean> {
    const written = await Promise.allSettled([
      ...this.o.rungs.map((r) => this.o.publicStore.put(this.key(r, seq), this.o.slates.standby(r))),
      ...this.languages.map((l) => this.o.publicStore.put(this.textKey(l, seq), NO_CUES)),
    ]);
    if (written.some((w) => w.status === 'rejected')) return false;
    await this.checkpoints?.add([...this.o.rungs.map((r) => ({ rel: this.rel(this.key(r, seq)), bytes: this.o.slates.standby(r) })), ...this.languages.map((l) => ({ rel: this.rel(this.textKey(l, seq)), bytes: Buffer.from(NO_CUES) }))]);
    this.substitutions.set(seq, STANDBY);
    this.o.onSubstitute(seq, STANDBY);
    return true;
  }

  /**
   * Publishes slot `seq` from local files (one per rung) and its captions (WebVTT per language),
   * then lists `state`, then deletes the files of slots `removed` one window behind (kept for
   * players a little behind).
   */
  async release(seq: number, files: Readonly<Record<string, string>>, texts: Readonly<Record<string, string>>, state: DelayLineState, removed: readonly number[]): Promise<SlotOutcome> {
    await this.fillMissing(state);
    let substituted = false;
    // Every write is let finish before a refused one is replaced: a write still under way would
    // land after the standby slate and leave the slot half one, half the other.
    const written = await Promise.allSettled([
      ...this.o.rungs.map((r) => this.o.publicStore.putFile(this.key(r, seq), files[r] as string)),
      // A slot without its language's file (never expected) carries no cue rather than a 404.
      ...this.languages.map((l) => this.o.publicStore.put(this.textKey(l, seq), texts[l] ?? NO_CUES)),
    ]);
    const refused = written.find((w) => w.status === 'rejected');
    if (!refused) await this.checkpoints?.add([...this.o.rungs.map((r): Published => ({ rel: this.rel(this.key(r, seq)), path: files[r] as string })), ...this.languages.map((l): Published => ({ rel: this.rel(this.textKey(l, seq)), bytes: Buffer.from(texts[l] ?? NO_CUES) }))]);
    if (refused) {
      this.noteFault(refused.reason);
      substituted = true;
      if (!(await this.putStandby(seq))) this.missing.add(seq);
    }
    const listed = await this.list(state, !substituted);
    const stale = removed.map((s) => s - this.o.window).filter((s) => s >= 0);
    const staleKeys = stale.flatMap((s) => [...this.o.rungs.map((r) => this.key(r, s)), ...this.languages.map((l) => this.textKey(l, s))]);
    await Promise.all(staleKeys.map((k) => this.o.publicStore.delete(k).catch(() => undefined)));
    if (!listed) return 'held';
    return substituted ? 'standby' : 'own';
  }

  /** Gives every missing slot still in the window the standby slate, if the store takes it now. */
  private async fillMissing(state: DelayLineState): Promise<void> {
    const windowStart = state.timeline.entries[0]?.seq ?? Number.POSITIVE_INFINITY;
    for (const s of [...this.missing]) {
      if (s < windowStart || (await this.putStandby(s))) this.missing.delete(s);
    }
    for (const s of this.substitutions.keys()) if (s < windowStart) this.substitutions.delete(s);
  }

  /** Writes the playlists for `state` if every slot they name has its files; holds them otherwise. */
  private async list(state: DelayLineState, clearsFault: boolean): Promise<boolean> {
    this.held = state;
    if (this.missing.size > 0) return false;
    let timeline = state.timeline;
    for (const [s, source] of this.substitutions) timeline = withSource(timeline, s, source);
    try {
      const target = targetDuration(this.o.segmentSeconds, timeline.entries, this.target);
      if (this.target !== 0 && target > this.target) this.o.logger.warn({ hearingId: this.o.hearingId, from: this.target, to: target }, 'a segment ran longer than the target duration; the target grows');
      this.target = target;
      const text = renderMediaPlaylist(timeline, target);
      const subtitles = renderMediaPlaylist(timeline, target, 'vtt');
      // The checkpoint that lists the slot goes first: a player given the slot can check it at once.
      await this.checkpoints?.write();
      await Promise.all([
        ...this.o.rungs.map((r) => this.o.publicStore.put(rungPlaylistKey(this.o.publicPrefix, r), text)),
        ...this.languages.map((l) => this.o.publicStore.put(subtitlePlaylistKey(this.o.publicPrefix, l), subtitles)),
      ]);
    } catch (err) {
      this.noteFault(err);
      return false;
    }
    this.held = null;
    if (clearsFault) this.faultMessage = null;
    void this.position.submit({ ...state, timeline });
    return true;
  }

  /**
   * Retries a held playlist: fills what is missing, then lists. Resolves with the state it
   * listed, or null when nothing was held or it still cannot be listed.
   */
  async repair(): Promise<DelayLineState | null> {
    const held = this.held;
    if (!held) return null;
    await this.fillMissing(held);
    return (await this.list(held, true)) ? held : null;
  }

  /** Gives the store a bounded last chance for the release position, then stops retrying. */
  async close(): Promise<void> {
    await this.position.flush(2_000);
    this.position.close();
  }
}
