import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { readMasterManifest, type MasterManifestLine } from '../../server/pipeline/master-manifest.ts';
import { videoPts } from '../../server/media/ts-continuity.ts';
import { FRAME_MS } from './encoder.ts';
import { fileCounters } from './public-feed.ts';

/** Where one encoder connection's counters lie on the server's ingest clock: its first counter and that frame's capture instant. */
export interface Calibration {
  readonly firstCounter: number;
  readonly capturedAt: number;
}

/**
 * Each master run's first sealed segment, dated on the ingest clock by the server that took it:
 * one calibration per encoder connection. A test encoder's counters alone run early by however
 * long FFmpeg took to start emitting, which on a loaded machine is more than a second.
 */
export async function calibrate(masterDir: string): Promise<Calibration[]> {
  const firsts = new Map<number, MasterManifestLine>();
  for (const l of await readMasterManifest(masterDir)) if (l.dated === 'clock' && (firsts.get(l.run)?.index ?? Infinity) > l.index) firsts.set(l.run, l);
  const out: Calibration[] = [];
  for (const l of firsts.values()) {
    const first = (await fileCounters(path.join(masterDir, l.file))).find((c) => c > 0);
    if (first !== undefined && l.captureStart !== undefined) out.push({ firstCounter: first, capturedAt: l.captureStart });
  }
  return out.sort((a, b) => a.firstCounter - b.firstCounter);
}

/**
 * One calibration per master segment the server dated on its ingest clock: each segment's first
 * counter (from its run's first counted frame and the timestamps, one frame apart) and the
 * segment's capture start. Dating from a connection's first segment alone assumes the encoder kept
 * pace for the whole connection; a test encoder on a loaded machine lags and catches up, and 80 s
 * into a connection a frame that reached the ingest after a resume was once dated more than 150 ms
 * before it. From the segment's own start, the drift is what builds up within one segment.
 */
export async function calibrateSegments(masterDir: string): Promise<Calibration[]> {
  const runs = new Map<number, MasterManifestLine[]>();
  for (const l of await readMasterManifest(masterDir)) {
    if (l.dated !== 'clock' || l.captureStart === undefined) continue;
    runs.set(l.run, [...(runs.get(l.run) ?? []), l]);
  }
  const out: Calibration[] = [];
  for (const lines of runs.values()) {
    lines.sort((a, b) => a.index - b.index);
    const first = path.join(masterDir, lines[0]!.file);
    const counters = await fileCounters(first);
    const k = counters.findIndex((c) => c > 0);
    const pts = videoPts(await readFile(first)).sort((a, b) => a - b);
    if (k < 0 || pts[k] === undefined) continue;
    // A counter and its timestamp differ by one constant on a connection.
    const counterAt = (t: number) => counters[k]! + Math.round(((t - pts[k]!) * 1000) / FRAME_MS);
    for (const l of lines) {
      const start = Math.min(...videoPts(await readFile(path.join(masterDir, l.file))));
      if (Number.isFinite(start)) out.push({ firstCounter: counterAt(start), capturedAt: l.captureStart! });
    }
  }
  return out.sort((a, b) => a.firstCounter - b.firstCounter);
}

/**
 * A counter's capture instant on the ingest clock of the connection that carried it: its master
 * segment's start is dated by the server (less up to 25 ms of sound before the first frame, plus
 * half a frame), and frames after it are one frame time apart while encoder and server keep pace.
 */
export function capturedAt(calibrations: readonly Calibration[], counter: number): number {
  const k = calibrations.findLastIndex((x) => x.firstCounter <= counter);
  const cal = calibrations[Math.max(0, k)]!;
  return cal.capturedAt + (counter - cal.firstCounter) * FRAME_MS;
}

/**
 * A counter's capture instant between the starts of its master segment and the next, where the
 * frames did not reach the server one frame time apart (a browser's encoder skips and bunches
 * frames as it adapts). Past the last segment start, frames are one frame time apart.
 */
export function capturedBetween(calibrations: readonly Calibration[], counter: number): number {
  const k = Math.max(0, calibrations.findLastIndex((x) => x.firstCounter <= counter));
  const a = calibrations[k]!;
  const b = calibrations[k + 1];
  if (!b || counter < a.firstCounter) return a.capturedAt + (counter - a.firstCounter) * FRAME_MS;
  return a.capturedAt + ((counter - a.firstCounter) / (b.firstCounter - a.firstCounter)) * (b.capturedAt - a.capturedAt);
}

/**
 * Every frame of a hearing's first master run with its counter and when the ingest dated it
 * (null when the clock no longer knows its timestamp): what a dating test compares with when the
 * frame was made or sent.
 */
export async function firstRunDating(masterDir: string, clock: { captureOf(t: number): number | null }): Promise<{ counter: number; dated: number | null }[]> {
  const run = (await readdir(masterDir)).filter((d) => /^m\d{4,9}$/.test(d)).sort()[0];
  if (run === undefined) return [];
  const out: { counter: number; dated: number | null }[] = [];
  for (const f of (await readdir(path.join(masterDir, run))).filter((x) => x.endsWith('.ts')).sort()) {
    const file = path.join(masterDir, run, f);
    const counters = await fileCounters(file);
    const pts = videoPts(await readFile(file)).sort((a, b) => a - b);
    counters.forEach((counter, k) => out.push({ counter, dated: pts[k] === undefined ? null : clock.captureOf(Math.round(pts[k]! * 1000)) }));
  }
  return out;
}

/**
 * When the server dated each counter it took, from the master alone: a sealed segment's capture
 * start is its first frame's dating (less a sound spill of at most 25 ms), and its frames follow by
 * their own timestamps. This is the gate's own view of a frame, with no assumption about how the
 * encoder paced its counters (a browser's fake camera skips and repeats under load). A counter seen
 * in two places more than a frame apart (a looping capture file) is left out: its dating is unsure.
 */
export async function datedCounters(masterDir: string): Promise<Map<number, number>> {
  const seen = new Map<number, number[]>();
  for (const l of await readMasterManifest(masterDir)) {
    if (l.dated !== 'clock' || l.captureStart === undefined) continue;
    const file = path.join(masterDir, l.file);
    const counters = await fileCounters(file);
    const pts = videoPts(await readFile(file)).sort((a, b) => a - b);
    if (pts[0] === undefined) continue;
    counters.forEach((c, k) => {
      if (c > 0 && pts[k] !== undefined) seen.set(c, [...(seen.get(c) ?? []), l.captureStart! + (pts[k]! - pts[0]!) * 1000]);
    });
  }
  const out = new Map<number, number>();
  for (const [c, ts] of seen) if (Math.max(...ts) - Math.min(...ts) <= FRAME_MS) out.set(c, Math.min(...ts));
  return out;
}

/**
 * A master's segments as the server dated them, one per line (run, index, clock or observed,
 * capture start, first and last counter): what a test that places frames by the master prints when
 * it cannot place them.
 */
export async function describeDating(masterDir: string): Promise<string> {
  const lines = await readMasterManifest(masterDir);
  const rows = await Promise.all(
    lines.map(async (l) => {
      const counters = (await fileCounters(path.join(masterDir, l.file)).catch(() => [] as number[])).filter((c) => c > 0);
      return `run ${l.run} #${l.index} ${l.dated ?? 'undated'} ${l.captureStart ?? '-'} counters ${counters[0] ?? '-'}..${counters.at(-1) ?? '-'} (${counters.length})`;
    }),
  );
  return `the master's segments:\n${rows.join('\n')}`;
}
