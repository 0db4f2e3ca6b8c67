import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../domain/logger.ts';
import type { ObjectStore } from '../../store/object-store.ts';
import type { StateStore } from '../../store/state-store.ts';
import type { LiveHearing } from '../broadcast/live-hearing.ts';

/** One dependency as last probed. */
export interface ComponentHealth {
  readonly ok: boolean;
  /** Why it is down, while it is. */
  readonly error?: string;
  /** When it went down. */
  readonly since?: string;
}

/** One live hearing's pipeline as the server sees it. */
export interface PipelineHealth {
  readonly hearingId: string;
  readonly ok: boolean;
  readonly encoder: string;
  readonly transcoder: 'running' | 'restarting' | 'idle';
  /** Whether the program as it stands is in the state store. */
  readonly programSaved: boolean;
  /** Set while the public store refuses this hearing's releases. */
  readonly publicStoreFault: string | null;
}

/** How far the archive trails the recording (recorder/uploader.ts reports it). */
export interface ArchiveHealth {
  readonly ok: boolean;
  /** Objects recorded but not yet confirmed by the archive store, and their bytes. */
  readonly pending: number;
  readonly pendingBytes: number;
  /** Age of the oldest of them, ms: how far behind the archive is. */
  readonly behindMs: number;
  readonly error?: string;
  readonly since?: string;
}

/** What the archive's uploader says of itself. */
export interface ArchiveBacklogView {
  readonly pending: number;
  readonly pendingBytes: number;
  readonly behindMs: number;
  readonly fault: string | null;
  readonly faultSince: number | null;
}

/** The archive is reported behind once its oldest waiting object is older than this. */
const ARCHIVE_BEHIND_MS = 30_000;

/** The archive's health from its backlog: down while the store refuses, or when it trails too far. */
export function archiveHealth(b: ArchiveBacklogView): ArchiveHealth {
  const counts = { pending: b.pending, pendingBytes: b.pendingBytes, behindMs: b.behindMs };
  if (b.fault !== null) return { ok: false, ...counts, error: `the archive store refuses uploads: ${b.fault}`, ...(b.faultSince ? { since: new Date(b.faultSince).toISOString() } : {}) };
  if (b.behindMs > ARCHIVE_BEHIND_MS) return { ok: false, ...counts, error: `the archive is ${Math.round(b.behindMs / 1000)} s behind` };
  return { ok: true, ...counts };
}

/** What /healthz answers: ok only when every part is. */
export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly stateStore: ComponentHealth;
  readonly publicStore: ComponentHealth;
  readonly ingest: ComponentHealth;
  readonly archive: ArchiveHealth;
  /** The data directory's disk: pending and master media, the spools, the embedded stores. */
  readonly dataDisk: ComponentHealth;
  readonly pipelines: readonly PipelineHealth[];
}

/** What the monitor watches. */
export interface HealthOptions {
  readonly state: StateStore;
  readonly publicStore: ObjectStore;
  readonly ingestListening: () => boolean;
  readonly sessions: () => readonly LiveHearing[];
  readonly archive: () => ArchiveBacklogView;
  /** The data directory, whose disk is probed with a real write. */
  readonly dataDir?: string;
  /** Told when the data disk takes writes again, with when it began to fail. */
  readonly onDiskRecovered?: (faultSince: number) => void;
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly probeTimeoutMs?: number;
}

/** Rejects after `ms`, so a hung store reads as down rather than as a hung health check. */
function bounded(p: Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
}

/** How much the disk probe writes: about what FFmpeg appends at a time, so a nearly full disk fails it too. */
const DISK_PROBE_BYTES = 64 * 1024;

/** Writes, syncs and removes a probe file: what FFmpeg and the spools need of the disk. */
async function probeDisk(dir: string): Promise<void> {
  const file = path.join(dir, '.disk-probe');
  const fh = await open(file, 'w');
  try {
    await fh.write(Buffer.alloc(DISK_PROBE_BYTES));
    await fh.datasync();
  } finally {
    await fh.close();
    await rm(file, { force: true });
  }
}

/**
 * Probes the state store and the public store in the background and keeps the answers, so a
 * health check, a console refresh or a command never waits on a store to learn that it is down.
 */
export class HealthMonitor {
  private stateHealth: ComponentHealth = { ok: true };
  private publicHealth: ComponentHealth = { ok: true };
  private diskHealth: ComponentHealth = { ok: true };
  private timer: NodeJS.Timeout | null = null;
  private probing = false;

  constructor(private readonly o: HealthOptions) {}

  /** Probes once now, then every interval. */
  async start(): Promise<void> {
    await this.probe();
    this.timer = setInterval(() => void this.probe(), this.o.intervalMs ?? 2_000);
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    const ms = this.o.probeTimeoutMs ?? 1_500;
    try {
      const [state, pub, disk] = await Promise.allSettled([
        bounded(this.o.state.ping(), ms),
        // A read only: the public store holds released media and playlists and nothing else.
        // Whether it takes writes is what every live delay line reports on each release.
        bounded(this.o.publicStore.head('hearings'), ms),
        this.o.dataDir ? bounded(probeDisk(this.o.dataDir), ms) : Promise.resolve(),
      ]);
      this.stateHealth = this.next('state store', this.stateHealth, state);
      this.publicHealth = this.next('public store', this.publicHealth, pub);
      const was = this.diskHealth;
      this.diskHealth = this.next('data disk', was, disk);
      // FFmpegs that failed on the disk wait out growing restart delays: start them now.
      if (!was.ok && this.diskHealth.ok) this.o.onDiskRecovered?.(Date.parse(was.since ?? '') || Date.now());
    } finally {
      this.probing = false;
    }
  }

  private next(what: string, was: ComponentHealth, r: PromiseSettledResult<unknown>): ComponentHealth {
    if (r.status === 'fulfilled') {
      if (!was.ok) this.o.logger.warn({ component: what }, `the ${what} answers again`);
      return { ok: true };
    }
    const error = r.reason instanceof Error ? r.reason.message : String(r.reason);
    if (was.ok) this.o.logger.error({ component: what, error }, `the ${what} is down`);
    return { ok: false, error, since: was.ok ? new Date().toISOString() : (was.since ?? new Date().toISOString()) };
  }

  /** Whether the state store answered its last probe. */
  get stateStoreOk(): boolean {
    return this.stateHealth.ok;
  }

  /** Whether the public store answered its last probe and no live hearing reports a refused write. */
  get publicStoreOk(): boolean {
    return this.publicHealth.ok && this.o.sessions().every((s) => s.status().publicStoreFault === null);
  }

  /** The data disk as last probed: whether it takes writes, and why not. */
  get dataDisk(): ComponentHealth {
    return this.diskHealth;
  }

  /** How far the archive trails the recording, as the uploader says now. */
  get archive(): ArchiveHealth {
    return archiveHealth(this.o.archive());
  }

  /** The whole picture, as /healthz serves it. */
  report(): HealthReport {
    const pipelines = this.o.sessions().map((s): PipelineHealth => {
      const st = s.status();
      const transcoder = s.transcoderState;
      return {
        hearingId: st.hearingId,
        ok: st.publicStoreFault === null && transcoder !== 'restarting',
        encoder: st.encoder,
        transcoder,
        programSaved: st.programSaved,
        publicStoreFault: st.publicStoreFault,
      };
    });
    const ingest: ComponentHealth = this.o.ingestListening() ? { ok: true } : { ok: false, error: 'the RTMP listener is not listening' };
    const archive = archiveHealth(this.o.archive());
    const ok = this.stateHealth.ok && this.publicHealth.ok && this.diskHealth.ok && ingest.ok && archive.ok && pipelines.every((p) => p.ok);
    return { status: ok ? 'ok' : 'degraded', stateStore: this.stateHealth, publicStore: this.publicHealth, ingest, archive, dataDisk: this.diskHealth, pipelines };
  }

  /** Stops probing. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
