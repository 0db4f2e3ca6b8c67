import { createHash } from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyManifest, type Manifest, type ManifestEntry } from '../../recorder/manifest.ts';
import { archiveRecords, type ArchiveRecord } from '../../recorder/archive-record.ts';
import type { HealthReport } from '../../server/service/operations/health.ts';
import { TestEncoder } from '../support/encoder.ts';
import { S3Peer } from '../support/s3.ts';
import { seedHearing, startTestServer, waitForEncoder, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/**
 * Long enough for the uploader's retry to grow to its 10 s ceiling (250 ms doubling reaches it
 * after about 16 s) and to probe at it, which is the behaviour an outage of any length shows.
 */
const OUTAGE_MS = 25_000;

/** Master segments of one connection must run on without a hole: index 0, 1, 2, … of each run. */
function holes(master: readonly ManifestEntry[]): string[] {
  const byRun = new Map<number, number[]>();
  for (const e of master) byRun.set(e.run ?? 0, [...(byRun.get(e.run ?? 0) ?? []), e.index ?? -1]);
  const out: string[] = [];
  for (const [run, idx] of byRun) {
    idx.sort((a, b) => a - b);
    idx.forEach((v, i) => v !== i && out.push(`run ${run}: index ${v} at position ${i}`));
  }
  return out;
}

/**
 * The archive store is gone for 25 s in the middle of a hearing. Recording goes on into the
 * spool; /healthz and the clerk's console say the archive is behind and by how much; when the
 * store is back every segment arrives, none twice, and the manifest verifies.
 */
describe(`archive: a ${OUTAGE_MS / 1000} s storage outage mid-hearing`, () => {
  const peer = new S3Peer();
  let s: TestServer;
  let encoder: TestEncoder;
  let hearingId = '';
  let console: Socket;
  const duringOutage: { health: HealthReport[]; consoleArchive: { ok: boolean; behindMs: number; pending: number }[] } = { health: [], consoleArchive: [] };
  let manifest: Manifest;
  let rec: ArchiveRecord;

  beforeAll(async () => {
    await peer.start();
    s = await startTestServer({
      media: { ladder: [{ name: '180p', height: 180, videoKbps: 200, audioKbps: 48 }, { name: 'audio', audioKbps: 48 }], segmentSeconds: 2, fps: 30, liveMaskSlots: 0 },
      archive: { store: 's3', s3: peer.settings() },
    });
    const seeded = await seedHearing(s, { delaySeconds: 4 });
    hearingId = seeded.hearingId;
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/open`, {})).status).toBe(200);
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    await waitForEncoder(s, hearingId);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    console = connect(`${s.base}/control`, { auth: { token: s.token }, transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((r) => console.once('connect', () => r()));
    await (console.timeout(10_000).emitWithAck as (ev: string, p: unknown) => Promise<unknown>)('join', { hearingId });
    let down = false;
    console.on('state', (st: { health: { archive: { ok: boolean; behindMs: number; pending: number } } }) => {
      if (down) duringOutage.consoleArchive.push(st.health.archive);
    });
    await elapse(8_000);

    await peer.stop();
    down = true;
    const until = Date.now() + OUTAGE_MS;
    while (Date.now() < until) {
      await elapse(5_000);
      duringOutage.health.push((await fetch(`${s.base}/healthz`).then((r) => r.json())) as HealthReport);
    }
    down = false;
    await peer.start();
    await elapse(6_000);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {})).status).toBe(200);
    rec = await waitFor(async () => {
      const r = await archiveRecords(s.cc.state).get(hearingId);
      return r?.status === 'complete' ? r : null;
    }, 'the archive to be finalized', 120_000);
    await s.cc.recorder.uploader.idle(120_000);
    manifest = JSON.parse((await peer.store().get(`hearings/${hearingId}/manifest.json`))!.toString()) as Manifest;
  }, 300_000);

  afterAll(async () => {
    console?.disconnect();
    await encoder?.kill();
    await s?.close();
    await peer.dispose();
  });

  it('says, on /healthz and on the console, that the archive is behind and by how much', () => {
    const last = duringOutage.health.at(-1)!;
    expect(last.status).toBe('degraded');
    expect(last.archive).toMatchObject({ ok: false, error: expect.stringContaining('refuses') });
    expect(last.archive.pending).toBeGreaterThan(10);
    expect(last.archive.behindMs).toBeGreaterThan(OUTAGE_MS - 15_000);
    // Behind grows while the store is away.
    expect(last.archive.behindMs).toBeGreaterThan(duringOutage.health[0]!.archive.behindMs);
    expect(duringOutage.consoleArchive.some((a) => !a.ok && a.behindMs > OUTAGE_MS / 2 && a.pending > 0)).toBe(true);
  });

  it('delivers every segment once the store is back, none twice, and the manifest verifies', async () => {
    expect(rec.status).toBe('complete');
    const keys = manifest.entries.map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);
    const master = manifest.entries.filter((e) => e.kind === 'master');
    // Well over the outage's worth of master segments, none missing.
    expect(master.length).toBeGreaterThan((OUTAGE_MS + 10_000) / 2_000);
    expect(holes(master)).toEqual([]);
    const aired = manifest.entries.filter((e) => e.kind === 'aired' && e.rung === '180p').map((e) => e.seq!);
    expect(aired).toEqual(aired.map((_, i) => aired[0]! + i));
    const verdict = await verifyManifest(manifest, s.cc.signingKey.publicKey, async (key) => {
      const b = await peer.store().get(`hearings/${hearingId}/${key}`);
      return b ? { sha256: sha256(b), size: b.length } : null;
    });
    expect(verdict.findings).toEqual([]);
    const stored = (await peer.store().list(`hearings/${hearingId}/`)).map((o) => o.key.slice(`hearings/${hearingId}/`.length));
    expect(stored.sort()).toEqual([...keys, 'manifest.json'].sort());
    expect(s.cc.recorder.backlog()).toMatchObject({ pending: 0, fault: null });
    expect(((await fetch(`${s.base}/healthz`).then((r) => r.json())) as HealthReport).archive.ok).toBe(true);
  });
});
