import type { Logger } from '../server/domain/logger.ts';
import type { StateStore } from '../server/store/state-store.ts';
import { ArchiveChain } from './archive-chain.ts';
import { signManifest, type EntryBody, type Manifest, type ManifestEntry } from './manifest.ts';
import type { SigningKey } from './signing-key.ts';
import { sha256File, type Spool, type Spooled } from './spool.ts';
import { Turns } from '../server/domain/turns.ts';

/** The archive folder of a hearing in the archive store. */
export const archivePrefix = (hearingId: string): string => `hearings/${hearingId}`;

/** What a hearing's archive needs from the recorder around it. */
export interface HearingArchiveOptions {
  readonly hearingId: string;
  /** This node's chain entries not yet in the state store, one JSON line each, synced. */
  readonly journalFile: string;
  /** Where the hearing's chain is kept for every node (see archive-chain.ts). */
  readonly state: StateStore;
  readonly logger: Logger;
  readonly spool: Spool;
  readonly enqueue: (item: Spooled) => void;
  readonly key: SigningKey;
  readonly now: () => number;
  readonly storeWaitMs?: number;
}

/**
 * One hearing's archive while it is written: every object goes into the spool, is hashed, and is
 * entered on the hearing's chain (synced to a local journal, then to the state store, which every
 * node that records the hearing shares) before it is queued for upload. The chain is what the
 * manifest is built from, so a restart or another node continues the same chain, and an object
 * already entered is never entered twice.
 */
export class HearingArchive {
  private readonly ops = new Turns();
  private dirty = false;

  private constructor(
    private readonly o: HearingArchiveOptions,
    private readonly chain: ArchiveChain,
  ) {}

  static async open(o: HearingArchiveOptions): Promise<HearingArchive> {
    const chain = await ArchiveChain.open({ hearingId: o.hearingId, journalFile: o.journalFile, state: o.state, logger: o.logger, ...(o.storeWaitMs !== undefined ? { storeWaitMs: o.storeWaitMs } : {}) });
    return new HearingArchive(o, chain);
  }

  get hearingId(): string {
    return this.o.hearingId;
  }

  /** Every entry this node knows of, in chain order. */
  list(): readonly ManifestEntry[] {
    return this.chain.list();
  }

  /** The same entries without copying them. */
  entries(): Iterable<ManifestEntry> {
    return this.chain.entries();
  }

  has(key: string): boolean {
    return this.chain.has(key);
  }

  /** This node's entries the state store does not hold yet. */
  get waiting(): number {
    return this.chain.waiting;
  }

  /** Whether entries were added since the manifest was last spooled. */
  get changed(): boolean {
    return this.dirty;
  }

  /**
   * Stores this node's waiting entries and reads the other nodes': true when the chain it lists
   * is the whole stored chain, so a manifest signed now leaves nothing out.
   */
  sync(): Promise<boolean> {
    return this.chain.flush();
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    return this.ops.run('archive', work);
  }

  /**
   * Archives a local file under `body.key` (relative to the hearing's folder). Master media is
   * hard-linked into the spool, never copied or altered. Entering a key twice is a no-op.
   */
  addFile(body: Omit<EntryBody, 'size' | 'sha256'>, source: string): Promise<ManifestEntry | null> {
    return this.serially(async () => {
      if (this.has(body.key)) return null;
      const item = await this.o.spool.addFile(`${archivePrefix(this.o.hearingId)}/${body.key}`, source);
      return this.enter({ ...body, size: item.size, sha256: await sha256File(item.file) } as EntryBody, item);
    });
  }

  /** Archives bytes under `body.key`. */
  addBytes(body: Omit<EntryBody, 'size' | 'sha256'>, bytes: Buffer): Promise<ManifestEntry | null> {
    return this.serially(async () => {
      if (this.has(body.key)) return null;
      const item = await this.o.spool.add(`${archivePrefix(this.o.hearingId)}/${body.key}`, bytes);
      return this.enter({ ...body, size: item.size, sha256: await sha256File(item.file) } as EntryBody, item);
    });
  }

  private async enter(body: EntryBody, item: Spooled): Promise<ManifestEntry> {
    const entry = await this.chain.enter(body);
    this.dirty = true;
    this.o.enqueue(item);
    return entry;
  }

  /** Signs the chain as it stands and queues the manifest (it replaces the previous one). */
  writeManifest(final: boolean): Promise<Manifest> {
    return this.serially(async () => {
      const m = signManifest(this.o.hearingId, this.list(), this.o.key.privateKey, final, new Date(this.o.now()));
      this.dirty = false;
      this.o.enqueue(await this.o.spool.add(`${archivePrefix(this.o.hearingId)}/manifest.json`, `${JSON.stringify(m, null, 1)}\n`));
      return m;
    });
  }
}
