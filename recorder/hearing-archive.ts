import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { chain, signManifest, type EntryBody, type Manifest, type ManifestEntry } from './manifest.ts';
import type { SigningKey } from './signing-key.ts';
import { sha256File, type Spool, type Spooled } from './spool.ts';

/** The archive folder of a hearing in the archive store. */
export const archivePrefix = (hearingId: string): string => `hearings/${hearingId}`;

/** What a hearing's archive needs from the recorder around it. */
export interface HearingArchiveOptions {
  readonly hearingId: string;
  /** The hearing's chained entries, one JSON line each, synced before an object is queued. */
  readonly journalFile: string;
  readonly spool: Spool;
  readonly enqueue: (item: Spooled) => void;
  readonly key: SigningKey;
  readonly now: () => number;
}

/**
 * One hearing's archive while it is written: every object goes into the spool, is hashed, and is
 * entered on the hearing's chain (a local journal, synced) before it is queued for upload. The
 * journal is what the manifest is built from, so a restart continues the same chain, and an object
 * already entered is never entered twice.
 */
export class HearingArchive {
  private entries: ManifestEntry[] = [];
  private readonly keys = new Set<string>();
  private ops: Promise<unknown> = Promise.resolve();
  private dirty = false;

  private constructor(private readonly o: HearingArchiveOptions) {}

  static async open(o: HearingArchiveOptions): Promise<HearingArchive> {
    const a = new HearingArchive(o);
    await mkdir(path.dirname(o.journalFile), { recursive: true });
    const text = await readFile(o.journalFile, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as ManifestEntry;
        // A torn last line (a crash mid-write) is dropped; its object is entered again.
        if (e.n === a.entries.length && e.prev === (a.entries.at(-1)?.hash ?? e.prev)) {
          a.entries.push(e);
          a.keys.add(e.key);
        }
      } catch {
        break;
      }
    }
    return a;
  }

  get hearingId(): string {
    return this.o.hearingId;
  }

  /** Every entry so far, in chain order. */
  list(): readonly ManifestEntry[] {
    return this.entries;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Whether entries were added since the manifest was last spooled. */
  get changed(): boolean {
    return this.dirty;
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.ops.then(work, work);
    this.ops = next.catch(() => undefined);
    return next;
  }

  /**
   * Archives a local file under `body.key` (relative to the hearing's folder). Master media is
   * hard-linked into the spool, never copied or altered. Entering a key twice is a no-op.
   */
  addFile(body: Omit<EntryBody, 'size' | 'sha256'>, source: string): Promise<ManifestEntry | null> {
    return this.serially(async () => {
      if (this.keys.has(body.key)) return null;
      const item = await this.o.spool.addFile(`${archivePrefix(this.o.hearingId)}/${body.key}`, source);
      return this.enter({ ...body, size: item.size, sha256: await sha256File(item.file) } as EntryBody, item);
    });
  }

  /** Archives bytes under `body.key`. */
  addBytes(body: Omit<EntryBody, 'size' | 'sha256'>, bytes: Buffer): Promise<ManifestEntry | null> {
    return this.serially(async () => {
      if (this.keys.has(body.key)) return null;
      const item = await this.o.spool.add(`${archivePrefix(this.o.hearingId)}/${body.key}`, bytes);
      return this.enter({ ...body, size: item.size, sha256: await sha256File(item.file) } as EntryBody, item);
    });
  }

  private async enter(body: EntryBody, item: Spooled): Promise<ManifestEntry> {
    const entry = chain(this.entries.at(-1) ?? null, body);
    const fh = await open(this.o.journalFile, 'a');
    try {
      await fh.write(`${JSON.stringify(entry)}\n`);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    this.entries.push(entry);
    this.keys.add(entry.key);
    this.dirty = true;
    this.o.enqueue(item);
    return entry;
  }

  /** Signs the chain as it stands and queues the manifest (it replaces the previous one). */
  writeManifest(final: boolean): Promise<Manifest> {
    return this.serially(async () => {
      const m = signManifest(this.o.hearingId, this.entries, this.o.key.privateKey, final, new Date(this.o.now()));
      this.dirty = false;
      this.o.enqueue(await this.o.spool.add(`${archivePrefix(this.o.hearingId)}/manifest.json`, `${JSON.stringify(m, null, 1)}\n`));
      return m;
    });
  }
}
