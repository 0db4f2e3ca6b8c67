import { declaredLost, isLost, type ManifestEntry } from './manifest.ts';

/** An audit entry as the recording log reads it. */
export interface LoggedEvent {
  readonly action: string;
  readonly at: string;
  readonly effectiveAt?: string | null;
  readonly params?: Record<string, unknown>;
}

/** Why the master has a hole. */
export type GapCause = 'part lost' | 'encoder lost' | 'camera lost' | 'storage fault' | 'FFmpeg restart' | 'server restart' | 'unknown';

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
  // The courtroom's own FFmpegs, not the transcoder's (which records nothing) nor a further camera's.
  ['FFmpeg restart', (e) => /^ffmpeg-(restarting|stopped)$/.test(e.action) && e.params?.role !== 'transcode' && e.params?.source === undefined],
];

/**
 * A further camera's own causes: the server restarting, the camera itself going (`source-lost`
 * naming it), or its own recorder or relay FFmpeg exiting (on a refusing disk, a storage fault).
 */
const sourceCauses = (source: string): readonly [GapCause, (e: LoggedEvent) => boolean][] => {
  const ownFfmpeg = (e: LoggedEvent) => /^ffmpeg-(restarting|stopped)$/.test(e.action) && e.params?.source === source;
  return [
    ['server restart', (e) => e.action === 'recovered-after-restart'],
    ['camera lost', (e) => e.action === 'source-lost' && e.params?.source === source],
    ['storage fault', (e) => ownFfmpeg(e) && e.params?.role === 'source-master' && e.params.storageFault === true],
    ['FFmpeg restart', ownFfmpeg],
  ];
};

/**
 * Where the master recording has holes (or, given `source`, one further camera's: its `source`
 * entries and its own causes), from the master segments' capture intervals, each hole with its cause: `part lost` where a segment was recorded but declared lost (also before the
 * first or after the last segment kept), else the first audit event that explains it (a server
 * restart before an encoder loss before an FFmpeg exit, since a restart also drops the encoder),
 * found from just before the hole (the last frame precedes its own loss) to its end. Pure.
 */
export function recordingLog(entries: readonly ManifestEntry[], events: readonly LoggedEvent[], source?: string): RecordingLog {
  const lost = declaredLost(entries);
  const ours = (e: ManifestEntry): boolean => (source === undefined ? e.kind === 'master' : e.kind === 'source' && e.source === source);
  const causes = source === undefined ? CAUSES : sourceCauses(source);
  const timedMaster = entries.filter((e) => ours(e) && e.captureStart !== undefined && e.captureEnd !== undefined);
  const lostSpans = timedMaster.filter((e) => isLost(lost, e)).map((e) => ({ start: e.captureStart as number, end: e.captureEnd as number }));
  const master = timedMaster.filter((e) => !isLost(lost, e)).sort((a, b) => (a.captureStart as number) - (b.captureStart as number));
  const timed = events.map((e) => ({ ...e, t: Date.parse(e.effectiveAt ?? e.at) })).filter((e) => Number.isFinite(e.t));
  const lostIn = (from: number, to: number): boolean => lostSpans.some((l) => l.start < to && l.end > from);
  const causeOf = (from: number, to: number): GapCause => {
    if (lostIn(from, to)) return 'part lost';
    const near = timed.filter((ev) => ev.t >= from - 500 && ev.t <= to);
    return causes.find(([, shows]) => near.some(shows))?.[0] ?? 'unknown';
  };
  const gaps: RecordingGap[] = [];
  const hole = (from: number, to: number): void => void (to - from > SEAM_MS && gaps.push({ from, to, ms: to - from, cause: causeOf(from, to) }));
  let recordedMs = 0;
  // A lost part before the first kept segment is a hole too; so is one after the last.
  let reach = Math.min(Number.POSITIVE_INFINITY, ...lostSpans.map((l) => l.start));
  if (reach === Number.POSITIVE_INFINITY) reach = Number.NEGATIVE_INFINITY;
  for (const e of master) {
    const start = e.captureStart as number;
    const end = e.captureEnd as number;
    if (reach !== Number.NEGATIVE_INFINITY) hole(reach, start);
    recordedMs += Math.max(0, end - Math.max(start, reach));
    reach = Math.max(reach, end);
  }
  const lostEnd = Math.max(Number.NEGATIVE_INFINITY, ...lostSpans.map((l) => l.end));
  if (reach !== Number.NEGATIVE_INFINITY && lostEnd > reach) hole(reach, lostEnd);
  return { recordedMs, missingMs: gaps.reduce((n, g) => n + g.ms, 0), gaps };
}

/** The recording log of each further camera the archive holds, by name. Pure. */
export function sourceRecordingLogs(entries: readonly ManifestEntry[], events: readonly LoggedEvent[]): Record<string, RecordingLog> {
  const names = [...new Set(entries.flatMap((e) => (e.kind === 'source' && e.source ? [e.source] : [])))].sort();
  return Object.fromEntries(names.map((name) => [name, recordingLog(entries, events, name)]));
}
