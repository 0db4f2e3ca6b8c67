import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMasterManifest } from '../../server/pipeline/master-manifest.ts';
import { fileCounters } from '../support/public-feed.ts';
import { RtspCamera } from '../support/rtsp-camera.ts';
import { sourceStreamId } from '../../server/domain/courts.ts';
import { TestEncoder } from '../support/encoder.ts';
import { freeUdpPort, srtCallerUrl } from '../support/srt.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

interface SourceView {
  name: string;
  label: string;
  ingest: string;
  streamKey?: string;
  camera?: { url: string; transport: string; credentials: boolean };
}

/**
 * A courtroom's further cameras, as an admin configures them: named, each pushed over RTMP under a
 * key of its own or pulled over RTSP, their secrets kept like the courtroom's own; a pushed one
 * reaches the ingest as a stream of its own, with its own clock, never taken for the courtroom's feed.
 */
describe("a courtroom's further cameras", () => {
  let s: TestServer;
  let seeded: Awaited<ReturnType<typeof seedHearing>>;
  let clerk = '';
  let archivist = '';
  const encoders: TestEncoder[] = [];
  let camera: RtspCamera | undefined;
  const logs: string[] = [];
  const sources = [
    { name: 'witness', label: 'Witness box' },
    { name: 'gallery', label: 'Public gallery', ingest: 'rtsp', camera: { url: 'rtsp://viewer:s3cret-pass@192.0.2.7:554/stream1', transport: 'udp' } },
  ];

  beforeAll(async () => {
    s = await startTestServer({}, {}, { logs });
    seeded = await seedHearing(s, { delaySeconds: 2 });
    expect((await s.api('POST', '/api/users', { username: 'clerk-src', password: 'clerk-src-password', roles: ['clerk'], courtroomIds: [seeded.courtroomId] })).status).toBe(201);
    clerk = await s.login('clerk-src', 'clerk-src-password');
  }, 60_000);

  afterAll(async () => {
    for (const e of encoders) await e.kill();
    await s?.close();
    await camera?.close();
  });

  it('refuses sources that are malformed, with a problem+json 400, and changes nothing', async () => {
    const bad: unknown[] = [
      {},
      [{ name: 'Witness', label: 'x' }],
      [{ name: '1st', label: 'x' }],
      [{ name: 'w'.repeat(33), label: 'x' }],
      [{ name: 'witness', label: '' }],
      [{ name: 'witness', label: 'x'.repeat(61) }],
      [{ name: 'witness', label: 'x', ingest: 'srt' }],
      [{ name: 'witness', label: 'x', srtPort: 40_000 }],
      [{ name: 'witness', label: 'x', ingest: 'srt', srtPort: 80 }],
      [{ name: 'witness', label: 'x', ingest: 'srt', srtPort: 40_000 }, { name: 'bench', label: 'y', ingest: 'srt', srtPort: 40_000 }],
      [{ name: 'witness', label: 'x', ingest: 'rtsp' }],
      [{ name: 'witness', label: 'x', camera: { url: 'rtsp://192.0.2.7/s' } }],
      [{ name: 'witness', label: 'x', ingest: 'rtsp', camera: { url: 'http://192.0.2.7/s' } }],
      [{ name: 'witness', label: 'x', streamKey: 'chosen-by-me' }],
      [{ name: 'witness', label: 'x' }, { name: 'witness', label: 'y' }],
      Array.from({ length: 9 }, (_, i) => ({ name: `cam-${i}`, label: `Camera ${i}` })),
    ];
    for (const body of bad) {
      const res = await s.api('PUT', `/api/courtrooms/${seeded.courtroomId}/sources`, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.type).toMatch(/^application\/problem\+json/);
    }
    expect((await s.api('PUT', `/api/courtrooms/${seeded.courtroomId}/sources`, [], clerk)).status).toBe(403);
    // A listener's port is its own: another courtroom's SRT port is refused for a camera, and a
    // camera's for a new SRT courtroom.
    const other = await s.api<{ id: string }>('POST', `/api/courts/${seeded.courtId}/courtrooms`, { name: 'Room 2', ingest: 'srt', srtPort: 40_001 });
    expect(other.status).toBe(201);
    const clash = await s.api('PUT', `/api/courtrooms/${seeded.courtroomId}/sources`, [{ name: 'witness', label: 'x', ingest: 'srt', srtPort: 40_001 }]);
    expect(clash.status).toBe(409);
    expect(clash.type).toMatch(/^application\/problem\+json/);
    expect((await s.api('PUT', `/api/courtrooms/${other.body.id}/sources`, [{ name: 'witness', label: 'x', ingest: 'srt', srtPort: 40_002 }])).status).toBe(200);
    expect((await s.api('POST', `/api/courts/${seeded.courtId}/courtrooms`, { name: 'Room 3', ingest: 'srt', srtPort: 40_002 })).status).toBe(409);
    // Replacing a courtroom's own cameras frees their ports for themselves.
    expect((await s.api('PUT', `/api/courtrooms/${other.body.id}/sources`, [{ name: 'bench', label: 'y', ingest: 'srt', srtPort: 40_002 }])).status).toBe(200);
    expect((await s.api('PUT', `/api/courtrooms/${other.body.id}/sources`, [{ name: 'bench', label: 'y', ingest: 'srt', srtPort: 40_001 }])).status).toBe(409);
    expect((await s.api<{ sources?: unknown }>('GET', `/api/courtrooms/${seeded.courtroomId}`)).body.sources).toBeUndefined();
  });

  it('gives each pushed source a key of its own, for admins only, and never shows a camera’s credentials', async () => {
    const set = await s.api<{ sources: SourceView[] }>('PUT', `/api/courtrooms/${seeded.courtroomId}/sources`, sources);
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const [witness, gallery] = set.body.sources;
    expect(witness).toMatchObject({ name: 'witness', label: 'Witness box', ingest: 'rtmp' });
    expect(witness!.streamKey!.length).toBeGreaterThanOrEqual(16);
    expect(witness!.streamKey).not.toBe(seeded.streamKey);
    expect(gallery).toEqual({ name: 'gallery', label: 'Public gallery', ingest: 'rtsp', camera: { url: 'rtsp://192.0.2.7:554/stream1', transport: 'udp', credentials: true } });
    const asClerk = await s.api<{ sources: SourceView[]; streamKey?: string }>('GET', `/api/courtrooms/${seeded.courtroomId}`, undefined, clerk);
    expect(asClerk.body.sources.map((x) => x.streamKey)).toEqual([undefined, undefined]);
    expect(JSON.stringify(asClerk.body)).not.toContain('s3cret-pass');
    // Saved again unchanged, a pushed source keeps its key.
    const again = await s.api<{ sources: SourceView[] }>('PUT', `/api/courtrooms/${seeded.courtroomId}/sources`, sources);
    expect(again.body.sources[0]!.streamKey).toBe(witness!.streamKey);
  });

  it("takes a pushed source's stream beside the courtroom's feed, on a clock of its own, and drops it when its key is rotated or it is removed", async () => {
    const room = await s.api<{ sources: SourceView[] }>('GET', `/api/courtrooms/${seeded.courtroomId}`);
    const key = room.body.sources[0]!.streamKey!;
    const stream = sourceStreamId(seeded.courtroomId, 'witness');
    const push = (k: string) => {
      const e = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${k}`, 'flv', Date.now()).start();
      encoders.push(e);
      return e;
    };
    push(key);
    await waitFor(() => (s.cc.ingest.clockOf(stream)?.latest ?? 0) > 500, "the witness camera's own clock", 20_000, 50);
    // It is not the courtroom's feed: nothing took it for an encoder of the hearing.
    expect(s.cc.ingest.isPublishing(seeded.courtroomId)).toBe(false);
    expect(s.cc.broadcasts.live(seeded.hearingId) ?? null).toBeNull();
    // The courtroom's own encoder publishes beside it.
    push(seeded.streamKey);
    await waitFor(() => s.cc.ingest.isPublishing(seeded.courtroomId), "the courtroom's own feed", 20_000, 50);
    expect(s.cc.ingest.isPublishing(stream)).toBe(true);

    const rotated = await s.api<{ sources: SourceView[] }>('POST', `/api/courtrooms/${seeded.courtroomId}/sources/witness/rotate-key`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.sources[0]!.streamKey).not.toBe(key);
    await waitFor(() => !s.cc.ingest.isPublishing(stream), 'the old key to be dropped', 5_000, 50);
    expect(s.cc.ingest.isPublishing(seeded.courtroomId)).toBe(true);
    const old = push(key);
    expect(await old.exited).not.toBe(0);
    expect(s.cc.ingest.isPublishing(stream)).toBe(false);

    push(rotated.body.sources[0]!.streamKey!);
    await waitFor(() => s.cc.ingest.isPublishing(stream), 'the new key to publish', 20_000, 50);
    expect((await s.api('PUT', `/api/courtrooms/${seeded.courtroomId}/sources`, sources.slice(1))).status).toBe(200);
    await waitFor(() => !s.cc.ingest.isPublishing(stream), 'a removed source to be dropped', 5_000, 50);
    expect((await s.api('POST', `/api/courtrooms/${seeded.courtroomId}/sources/witness/rotate-key`, {})).status).toBe(404);
    expect((await s.api('POST', `/api/courtrooms/${seeded.courtroomId}/sources/gallery/rotate-key`, {})).status).toBe(409);
  });

  it("records every camera of a live hearing (pushed over RTMP and SRT, and pulled over RTSP) exactly as it reached us, sealed in the archive as that camera's, and it verifies", async () => {
    camera = await RtspCamera.start({ epoch: Date.now(), user: 'court', password: 'gallery-pass' });
    const gallery = { name: 'gallery', label: 'Public gallery', ingest: 'rtsp', camera: { url: camera.urlWith('court', 'gallery-pass'), transport: 'tcp' } };
    const srtPort = await freeUdpPort();
    const set = await s.api<{ sources: SourceView[] }>('PUT', `/api/courtrooms/${seeded.courtroomId}/sources`, [{ name: 'bench', label: 'Bench' }, gallery, { name: 'witness', label: 'Witness box', ingest: 'srt', srtPort }]);
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const bench = set.body.sources.find((x) => x.name === 'bench')!.streamKey!;
    const witnessKey = set.body.sources.find((x) => x.name === 'witness')!.streamKey!;
    expect(set.body.sources.find((x) => x.name === 'witness')).toMatchObject({ ingest: 'srt', srtPort });
    const stream = sourceStreamId(seeded.courtroomId, 'bench');
    // The bench camera publishes before the hearing opens, the courtroom's feed is already there.
    const benchCamera = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${bench}`, 'flv', Date.now()).start();
    encoders.push(benchCamera);
    await waitFor(() => s.cc.ingest.isPublishing(stream) && s.cc.ingest.isPublishing(seeded.courtroomId), 'the bench camera and the courtroom feed', 20_000, 50);
    expect((await s.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/open`, {})).status).toBe(200);
    // The witness camera calls its own SRT listener, which the open hearing runs: a caller with the
    // wrong passphrase is refused (and the log says why), one with the camera's key gets in.
    const witnessStream = sourceStreamId(seeded.courtroomId, 'witness');
    /** An SRT encoder calling with `key`, called again (the listener comes up with the hearing) until `done`. */
    const srtCamera = async (key: string, done: () => boolean) => {
      for (let attempt = 0; attempt < 50; attempt++) {
        const e = new TestEncoder(srtCallerUrl(srtPort, key), 'mpegts', Date.now()).start();
        encoders.push(e);
        let gone = false;
        void e.exited.then(() => (gone = true));
        if ((await waitFor(() => (done() ? 'done' : gone ? 'gone' : false), 'the SRT call to be taken, refused or dropped', 20_000, 50)) === 'done') return e;
        await elapse(200);
      }
      throw new Error('the SRT listener never answered');
    };
    const refused = () => logs.some((l) => l.includes('srt connection refused: wrong stream key') && l.includes('"source":"witness"'));
    const stranger = await srtCamera('wrong-passphrase-000', refused);
    expect(await stranger.exited).not.toBe(0);
    expect(s.cc.ingest.isPublishing(witnessStream)).toBe(false);
    await srtCamera(witnessKey, () => s.cc.ingest.isPublishing(witnessStream));
    for (const name of ['bench', 'gallery', 'witness']) {
      const sourceDir = path.join(s.cc.dirs.master, seeded.hearingId, 'sources', name);
      await waitFor(async () => (await readMasterManifest(sourceDir)).length >= 2, `two sealed segments of the ${name} camera's master`, 30_000, 200);
    }
    // The bench camera goes for a second and comes back: its recording log names the hole.
    await benchCamera.kill();
    await waitFor(() => !s.cc.ingest.isPublishing(stream), 'the bench camera to be gone', 10_000, 50);
    await elapse(1_000);
    encoders.push(new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${bench}`, 'flv', Date.now()).start());
    const benchDir = path.join(s.cc.dirs.master, seeded.hearingId, 'sources', 'bench');
    const runsBefore = new Set((await readMasterManifest(benchDir)).map((l) => l.run));
    await waitFor(async () => (await readMasterManifest(benchDir)).some((l) => !runsBefore.has(l.run)), 'a segment of the bench camera after it came back', 30_000, 200);
    // Its recorder's FFmpeg dies under it: the recorder comes back, and the trail names the camera.
    const lastRun = (await readdir(benchDir)).filter((d) => /^m\d{4,9}$/.test(d)).sort().at(-1)!;
    process.kill(Number(await readFile(path.join(benchDir, lastRun, 'ffmpeg.pid'), 'utf8')), 'SIGKILL');
    const runsAtKill = new Set((await readMasterManifest(benchDir)).map((l) => l.run));
    await waitFor(async () => (await readMasterManifest(benchDir)).some((l) => !runsAtKill.has(l.run)), "a segment of the bench camera's restarted recorder", 30_000, 200);
    // The gallery camera was pulled with its credentials, which no log line carries.
    expect(logs.join('\n')).not.toContain('gallery-pass');
    expect((await s.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/end`, {})).status).toBe(200);
    expect((await s.api('POST', '/api/users', { username: 'archivist-src', password: 'archivist-src-password', roles: ['archivist'] })).status).toBe(201);
    archivist = await s.login('archivist-src', 'archivist-src-password');
    await waitFor(async () => (await s.api<{ archive?: { status: string } }>('GET', `/api/archive/hearings/${seeded.hearingId}`, undefined, archivist)).body.archive?.status === 'complete', 'the archive to be complete', 60_000, 500);
    expect((await s.api<{ ok: boolean }>('POST', `/api/archive/hearings/${seeded.hearingId}/verify`, undefined, archivist)).body.ok).toBe(true);
    const folder = path.join(s.dataDir, 'archive', 'hearings', seeded.hearingId);
    const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')) as { entries: { kind: string; key: string; source?: string; dated?: string }[] };
    const benchEntries = manifest.entries.filter((e) => e.kind === 'source' && e.source === 'bench');
    expect(benchEntries.length).toBeGreaterThanOrEqual(2);
    expect(manifest.entries.filter((e) => e.kind === 'source' && e.source === 'gallery' && e.key.startsWith('sources/gallery/m') && e.dated === 'clock').length).toBeGreaterThanOrEqual(2);
    expect(benchEntries.every((e) => e.source === 'bench' && e.key.startsWith('sources/bench/m') && e.dated === 'clock')).toBe(true);
    // Its own media, kept as sent: the bench camera's counters, in order, copied (not re-encoded).
    const counters = (await Promise.all(benchEntries.slice(0, 2).map((e) => fileCounters(path.join(folder, ...e.key.split('/')))))).flat().filter((c) => c > 0);
    expect(counters.length).toBeGreaterThan(30);
    expect(counters.every((c, i) => i === 0 || c === counters[i - 1]! + 1)).toBe(true);
    const record = JSON.parse(await readFile(path.join(folder, 'record.json'), 'utf8')) as { recording: { gaps: unknown[] }; sourceRecordings?: Record<string, { recordedMs: number; gaps: { ms: number; cause: string }[] }> };
    expect(Object.keys(record.sourceRecordings ?? {})).toEqual(['bench', 'gallery', 'witness']);
    // The SRT camera's own media, as it sent it, dated by its clock.
    const witnessEntries = manifest.entries.filter((e) => e.kind === 'source' && e.source === 'witness');
    expect(witnessEntries.length).toBeGreaterThanOrEqual(2);
    expect(witnessEntries.every((e) => e.key.startsWith('sources/witness/m') && e.dated === 'clock')).toBe(true);
    const witnessCounters = (await fileCounters(path.join(folder, ...witnessEntries[0]!.key.split('/')))).filter((c) => c > 0);
    expect(witnessCounters.length).toBeGreaterThan(30);
    expect(witnessCounters.every((c, i) => i === 0 || c === witnessCounters[i - 1]! + 1)).toBe(true);
    // The camera's hole, and the recorder's restart if it left one long enough to count.
    const benchCauses = record.sourceRecordings!.bench!.gaps.map((g) => g.cause);
    expect(benchCauses[0]).toBe('camera lost');
    expect(benchCauses.slice(1).every((c) => c === 'FFmpeg restart'), benchCauses.join()).toBe(true);
    expect(record.sourceRecordings!.bench!.gaps[0]!.ms).toBeGreaterThan(900);
    const trail = (await s.api<{ action: string; params: { role?: string; source?: string } }[]>('GET', `/api/hearings/${seeded.hearingId}/audit`)).body;
    expect(trail.filter((e) => e.action === 'ffmpeg-restarting' && e.params.role === 'source-master').map((e) => e.params.source)).toEqual(['bench']);
    expect(record.sourceRecordings!.gallery!.recordedMs).toBeGreaterThan(4_000);
    // The archivist's record page reads the same from the API.
    const shown = await s.api<{ sourceRecordings: Record<string, { gaps: { cause: string }[] }> }>('GET', `/api/archive/hearings/${seeded.hearingId}`, undefined, archivist);
    expect(shown.body.sourceRecordings.bench!.gaps.map((g) => g.cause)).toEqual(benchCauses);
    // The courtroom's own master is untouched by it.
    expect(manifest.entries.filter((e) => e.kind === 'master').every((e) => e.key.startsWith('master/m'))).toBe(true);
    expect(manifest.entries.some((e) => e.kind === 'master')).toBe(true);
  });

  it("unseals one camera's master under an order naming it, every access on the record; the other cameras and the courtroom's master stay sealed", async () => {
    expect(archivist).not.toBe('');
    const id = seeded.hearingId;
    const base = `/api/archive/hearings/${id}`;
    const window = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString(), expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
    const order = { reference: '(2026) Jing 0105 Min Chu 77', judge: 'Presiding Judge Wang', reason: 'the bench camera shows the exhibit', ...window };
    const bad = await s.api<{ type: string }>('POST', `${base}/orders`, { ...order, source: '../Bench' });
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    const entered = await s.api<{ source?: string }>('POST', `${base}/orders`, { ...order, source: 'bench' });
    expect(entered.status).toBe(201);
    expect(entered.body.source).toBe('bench');
    // Its playlist names every sealed segment of that camera, and each is the archived file itself.
    const playlist = await s.api<string>('GET', `${base}/sources/bench/master/index.m3u8`, undefined, archivist);
    expect(playlist.status).toBe(200);
    const uris = String(playlist.body).split('\n').filter((l) => l.endsWith('.ts'));
    const folder = path.join(s.dataDir, 'archive', 'hearings', id);
    const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')) as { entries: { kind: string; key: string; source?: string }[] };
    const benchKeys = manifest.entries.filter((e) => e.kind === 'source' && e.source === 'bench').map((e) => e.key);
    expect(uris.length).toBe(benchKeys.length);
    const first = await fetch(`${s.base}${base}/sources/bench/master/${uris[0]}`, { headers: { authorization: `Bearer ${archivist}` } });
    expect(first.status).toBe(200);
    expect(Buffer.from(await first.arrayBuffer()).equals(await readFile(path.join(folder, ...benchKeys[0]!.split('/'))))).toBe(true);
    // What the order does not name stays sealed: another camera, the courtroom's master, and a
    // bench segment's name asked of the courtroom's master.
    for (const url of [`${base}/sources/gallery/master/index.m3u8`, `${base}/master/index.m3u8`, `${base}/master/${uris[0]}`]) {
      const res = await s.api<{ detail: string }>('GET', url, undefined, archivist);
      expect(res.status, url).toBe(403);
    }
    for (const url of [`${base}/sources/Bench/master/index.m3u8`, `${base}/sources/bench/master/..%2Fm0001-000001.ts`]) expect((await s.api('GET', url, undefined, archivist)).status, url).toBe(400);
    expect((await s.api('GET', `${base}/sources/bench/master/index.m3u8`, undefined, clerk)).status).toBe(403);
    const trail = (await s.api<{ action: string; params: { source?: string; what?: string } }[]>('GET', `/api/hearings/${id}/audit`)).body;
    expect(trail.some((e) => e.action === 'unsealing-order-entered' && e.params.source === 'bench')).toBe(true);
    expect(trail.some((e) => e.action === 'master-played' && e.params.source === 'bench')).toBe(true);
    expect(trail.some((e) => e.action === 'master-segment-read' && e.params.source === 'bench')).toBe(true);
    expect(trail.filter((e) => e.action === 'master-access-refused').map((e) => e.params.what)).toEqual(expect.arrayContaining(['camera gallery master playlist', 'master playlist']));
  });
});
