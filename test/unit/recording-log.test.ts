import { describe, expect, it } from 'vitest';
import { chain, type EntryBody, type ManifestEntry } from '../../recorder/manifest.ts';
import { recordingLog, sourceRecordingLogs } from '../../recorder/recording-log.ts';

const master = (spans: [number, number][]): ManifestEntry[] => {
  const out: ManifestEntry[] = [];
  spans.forEach(([a, b], i) => {
    const body: EntryBody = { kind: 'master', key: `master/m0001/${String(i).padStart(6, '0')}.ts`, size: 1, sha256: 'x', captureStart: a, captureEnd: b, run: 1, index: i };
    out.push(chain(out.at(-1) ?? null, body));
  });
  return out;
};
const at = (ms: number) => new Date(ms).toISOString();

describe('recording log', () => {
  it("keeps each further camera's log apart from the master's, its holes caused by that camera going", () => {
    const withSources: ManifestEntry[] = [];
    const add = (body: EntryBody) => withSources.push(chain(withSources.at(-1) ?? null, body));
    for (const [i, [a, b]] of ([[0, 2_000], [2_000, 4_000], [4_000, 6_000]] as const).entries()) add({ kind: 'master', key: `master/m0001/${i}.ts`, size: 1, sha256: 'x', captureStart: a, captureEnd: b });
    for (const [i, [a, b]] of ([[0, 2_000], [5_000, 6_000]] as const).entries()) add({ kind: 'source', source: 'bench', key: `sources/bench/m0001/${i}.ts`, size: 1, sha256: 'x', captureStart: a, captureEnd: b });
    add({ kind: 'source', source: 'witness', key: 'sources/witness/m0001/0.ts', size: 1, sha256: 'x', captureStart: 1_000, captureEnd: 6_000 });
    const events = [
      { action: 'source-lost', at: at(2_100), params: { source: 'witness' } },
      { action: 'source-lost', at: at(2_200), params: { source: 'bench' } },
      { action: 'encoder-lost', at: at(2_300) },
    ];
    expect(recordingLog(withSources, events).gaps).toEqual([]);
    const logs = sourceRecordingLogs(withSources, events);
    expect(Object.keys(logs)).toEqual(['bench', 'witness']);
    expect(logs.bench!.gaps).toEqual([{ from: 2_000, to: 5_000, ms: 3_000, cause: 'camera lost' }]);
    expect(logs.bench!.recordedMs).toBe(3_000);
    expect(logs.witness).toEqual({ recordedMs: 5_000, missingMs: 0, gaps: [] });
    // Another camera's loss (or the courtroom encoder's) explains nothing here.
    expect(sourceRecordingLogs(withSources, events.filter((e) => e.params?.source !== 'bench')).bench!.gaps[0]!.cause).toBe('unknown');
  });

  it("names a camera's own recorder or relay exiting as its hole's cause, and never as the courtroom master's", () => {
    const entries: ManifestEntry[] = [];
    const add = (body: EntryBody) => entries.push(chain(entries.at(-1) ?? null, body));
    for (const [i, [a, b]] of ([[0, 2_000], [2_000, 4_000], [4_000, 6_000]] as const).entries()) add({ kind: 'master', key: `master/m0001/${i}.ts`, size: 1, sha256: 'x', captureStart: a, captureEnd: b });
    for (const [i, [a, b]] of ([[0, 2_000], [4_000, 6_000]] as const).entries()) add({ kind: 'source', source: 'bench', key: `sources/bench/m0001/${i}.ts`, size: 1, sha256: 'x', captureStart: a, captureEnd: b });
    const exit = (params: Record<string, unknown>) => ({ action: 'ffmpeg-restarting', at: at(2_100), params: { run: 1, code: null, signal: 'SIGKILL', ...params } });
    const relay = [exit({ role: 'source-relay', source: 'bench' })];
    expect(sourceRecordingLogs(entries, relay).bench!.gaps.map((g) => g.cause)).toEqual(['FFmpeg restart']);
    expect(sourceRecordingLogs(entries, [exit({ role: 'source-master', source: 'bench', storageFault: true })]).bench!.gaps.map((g) => g.cause)).toEqual(['storage fault']);
    // Another camera's FFmpeg explains nothing here, and a camera's explains no hole in the courtroom's master.
    expect(sourceRecordingLogs(entries, [exit({ role: 'source-master', source: 'witness' })]).bench!.gaps.map((g) => g.cause)).toEqual(['unknown']);
    const masterWithHole = master([[0, 2_000], [4_000, 6_000]]);
    expect(recordingLog(masterWithHole, relay).gaps.map((g) => g.cause)).toEqual(['unknown']);
    expect(recordingLog(masterWithHole, [exit({ role: 'master' })]).gaps.map((g) => g.cause)).toEqual(['FFmpeg restart']);
  });

  it('adds up what was recorded, ignores seams between segments, and names each gap’s cause', () => {
    const entries = master([
      [0, 2_000],
      [2_010, 4_000],
      [9_000, 11_000],
      [11_000, 13_000],
      [20_000, 22_000],
      [30_000, 32_000],
    ]);
    const log = recordingLog(entries, [
      { action: 'encoder-lost', at: at(4_500) },
      { action: 'ffmpeg-restarting', at: at(13_100), params: { role: 'transcode' } },
      { action: 'ffmpeg-restarting', at: at(13_200), params: { role: 'master' } },
    ]);
    expect(log.gaps.map((g) => [g.from, g.to, g.cause])).toEqual([
      [4_000, 9_000, 'encoder lost'],
      [13_000, 20_000, 'FFmpeg restart'],
      [22_000, 30_000, 'unknown'],
    ]);
    expect(log.missingMs).toBe(20_000);
    expect(log.recordedMs).toBe(2_000 + 1_990 + 4_000 + 2_000 + 2_000);
  });

  it('prefers a server restart to the encoder loss and FFmpeg exits it causes, and ignores transcoder-only restarts', () => {
    const entries = master([
      [0, 2_000],
      [10_000, 12_000],
      [20_000, 22_000],
    ]);
    const log = recordingLog(entries, [
      { action: 'ffmpeg-stopped', at: at(2_100), params: { role: 'master' } },
      { action: 'encoder-lost', at: at(2_200) },
      { action: 'recovered-after-restart', at: at(9_000) },
      { action: 'ffmpeg-restarting', at: at(12_500), params: { role: 'transcode' } },
    ]);
    expect(log.gaps.map((g) => g.cause)).toEqual(['server restart', 'unknown']);
  });

  it('names a storage fault when the recorder died because the disk refused it', () => {
    const entries = master([
      [0, 2_000],
      [8_000, 10_000],
    ]);
    const log = recordingLog(entries, [{ action: 'ffmpeg-restarting', at: at(2_300), params: { role: 'master', storageFault: true } }]);
    expect(log.gaps.map((g) => g.cause)).toEqual(['storage fault']);
  });
  it('names parts declared lost as the cause of their holes, at the start, the middle and the end', () => {
    const entries = master([
      [0, 2_000],
      [2_000, 4_000],
      [4_000, 6_000],
      [6_000, 8_000],
      [8_000, 10_000],
      [10_000, 12_000],
    ]);
    const lostKeys = [0, 3, 5].map((i) => (entries[i] as ManifestEntry).key);
    const declared = [...entries, chain(entries.at(-1) ?? null, { kind: 'lost', key: 'lost/1.json', size: 1, sha256: 'y', lostKeys })];
    // An encoder loss in the same stretch does not explain it: the segment was recorded.
    const log = recordingLog(declared, [{ action: 'encoder-lost', at: at(6_500) }]);
    expect(log.gaps.map((g) => [g.from, g.to, g.cause])).toEqual([
      [0, 2_000, 'part lost'],
      [6_000, 8_000, 'part lost'],
      [10_000, 12_000, 'part lost'],
    ]);
    expect(log.recordedMs).toBe(6_000);
    expect(log.missingMs).toBe(6_000);
    // Without the declaration nothing is missing.
    expect(recordingLog(entries, []).gaps).toEqual([]);
  });
});
