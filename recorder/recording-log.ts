import type { ManifestEntry } from './manifest.ts';

/** An audit entry as the recording log reads it. */
export interface LoggedEvent {
  readonly action: string;
  readonly at: string;
  readonly effectiveAt?: string | null;
  readonly params?: Record<string, unknown>;
}

/** Why the master has a hole. */
export type GapCause = 'encoder lost' | 'storage fault' | 'FFmpeg restart' | 'server restart' | 'unknown';

export interface RecordingGap {
  readonly from: number;
  readonly to: number;
  readonly ms: number;
  readonly cause: GapCause;
}

/** The recording log of a hearing: what the master holds, what it lacks, and why. */
export interface RecordingLog {
  readonly recordedMs: number;
  readonly missingMs: number;
  readonly gaps: readonly RecordingGap[];
}

/** Holes shorter than this are the seams between segments, not gaps. */
const SEAM_MS = 500;

/** Each cause, and which audit entries show it; the first that explains a hole is its cause. */
const CAUSES: readonly [GapCause, (e: LoggedEvent) => boolean][] = [
  ['server restart', (e) => e.action === 'recovered-after-restart'],
  ['encoder lost', (e) => /^encoder-(lost|outage)$/.test(e.action)],
  // The recorder's FFmpeg died because the disk refused its writes (full, failing, read-only).
  ['storage fault', (e) => /^ffmpeg-(restarting|stopped)$/.test(e.action) && e.params?.role === 'master' && e.params.storageFault === true],
  ['FFmpeg restart', (e) => /^ffmpeg-(restarting|stopped)$/.test(e.action) && e.params?.role !== 'transcode'],
];

/**
 * Where the master recording has holes, from the master segments' capture intervals, each hole
 * with the cause the audit trail gives for it: the first event that explains it (a server restart
 * before an encoder loss before an FFmpeg exit, since a restart also drops the encoder), found
 * from just before the hole (the last frame precedes its own loss) to its end. Pure.
 */
export function recordingLog(entries: readonly ManifestEntry[], events: readonly LoggedEvent[]): RecordingLog {
  const master = entries
    .filter((e) => e.kind === 'master' && e.captureStart !== undefined && e.captureEnd !== undefined)
    .sort((a, b) => (a.captureStart as number) - (b.captureStart as number));
  const timed = events.map((e) => ({ ...e, t: Date.parse(e.effectiveAt ?? e.at) })).filter((e) => Number.isFinite(e.t));
  let recordedMs = 0;
  let reach = Number.NEGATIVE_INFINITY;
  const gaps: RecordingGap[] = [];
  for (const e of master) {
    const start = e.captureStart as number;
    const end = e.captureEnd as number;
    if (reach !== Number.NEGATIVE_INFINITY && start - reach > SEAM_MS) {
      const near = timed.filter((ev) => ev.t >= reach - 500 && ev.t <= start);
      let cause: GapCause = 'unknown';
      for (const [c, shows] of CAUSES) {
        if (near.some(shows)) {
          cause = c;
          break;
        }
      }
      gaps.push({ from: reach, to: start, ms: start - reach, cause });
    }
    recordedMs += Math.max(0, end - Math.max(start, reach));
    reach = Math.max(reach, end);
  }
  return { recordedMs, missingMs: gaps.reduce((n, g) => n + g.ms, 0), gaps };
}
