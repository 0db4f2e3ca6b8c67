import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import HLS from 'hls-parser';
import type { MediaPlaylist } from 'hls-parser/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signManifest, verifyManifest, type Manifest } from '../../recorder/manifest.ts';
import { sealInLog, type InclusionAnswer } from '../../server/domain/tree-head.ts';
import { archiveRecords, type ArchiveRecord } from '../../recorder/archive-record.ts';
import { TestEncoder } from '../support/encoder.ts';
import { decodeCounters, fileCounters, PublicFeed } from '../support/public-feed.ts';
import { S3Peer } from '../support/s3.ts';
import { seedHearing, startTestServer, waitForEncoder, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * FFmpeg's complaints while decoding every stream of a file from end to end (empty when it decodes
 * cleanly). Frames keep the file's own time base, so no frame-rate conversion is judged instead.
 */
async function decodeErrors(file: string): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0', '-fps_mode', 'passthrough', '-enc_time_base', '-1', '-f', 'null', '-'], { maxBuffer: 1 << 24 });
  return stderr.trim();
}

async function durationOf(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}

/** The container tags of an MP4. */
async function tagsOf(file: string): Promise<Record<string, string>> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format_tags', '-of', 'json', file]);
  return (JSON.parse(stdout) as { format: { tags?: Record<string, string> } }).format.tags ?? {};
}

/**
 * A hearing with a live mask and a cut, archived to a real S3 peer: the as-aired recording is
 * byte for byte and frame for frame what viewers were served, the master holds every frame the
 * encoder sent (the dumped ones too), and the signed manifest proves both.
 */
describe('archive: a hearing with a cut and a mask, to S3', () => {
  const peer = new S3Peer();
  const work = mkdtempSync(path.join(os.tmpdir(), 'cc-archive-'));
  let s: TestServer;
  let encoder: TestEncoder;
  let hearingId = '';
  let feed: PublicFeed;
  const served: { seq: number; body: Buffer }[] = [];
  let rec: ArchiveRecord;
  let manifest: Manifest;
  let maskId = '';
  let cutAt = 0;
  const get = async (key: string): Promise<Buffer> => {
    const b = await peer.store().get(`hearings/${hearingId}/${key}`);
    if (!b) throw new Error(`${key} is not in the archive`);
    return b;
  };
  const post = async (p: string, body: unknown = {}) => {
    const res = await s.api<Record<string, unknown>>('POST', `/api/hearings/${hearingId}${p}`, body);
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    return res.body;
  };

  beforeAll(async () => {
    await peer.start();
    s = await startTestServer({
      media: { ladder: [{ name: '180p', height: 180, videoKbps: 250, audioKbps: 64 }, { name: 'audio', audioKbps: 64 }], segmentSeconds: 2, fps: 30 },
      archive: { store: 's3', s3: { ...peer.settings(), partSizeMb: 5 } },
    });
    const seeded = await seedHearing(s, { delaySeconds: 4 });
    hearingId = seeded.hearingId;
    await post('/broadcast/open');
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    await waitForEncoder(s, hearingId);
    await post('/broadcast/start');
    feed = new PublicFeed(`${s.base}/hls/hearings/${hearingId}/180p/index.m3u8`).start(250);
    await elapse(6_000);
    maskId = ((await post('/masks', { kind: 'black', region: { x: 0.6, y: 0.5, w: 0.3, h: 0.3 }, reason: 'witness' })) as { mask: { id: string } }).mask.id;
    await elapse(4_000);
    await post(`/masks/${maskId}/lift`);
    await elapse(3_000);
    cutAt = Date.now();
    await post('/broadcast/cut', { reason: 'a name was said' });
    await elapse(3_000);
    await post('/broadcast/resume');
    await elapse(6_000);
    await post('/broadcast/end');
    await feed.untilEnded(60_000);
    // What a viewer downloaded, slot by slot, before it slides out of the public store.
    for (const e of feed.sorted()) {
      const res = await fetch(e.uri);
      expect(res.status).toBe(200);
      served.push({ seq: e.seq, body: Buffer.from(await res.arrayBuffer()) });
    }
    await encoder.kill();
    rec = await waitFor(async () => {
      const r = await archiveRecords(s.cc.state).get(hearingId);
      return r?.status === 'complete' ? r : null;
    }, 'the archive to be finalized', 90_000);
    await s.cc.recorder.uploader.idle(60_000);
    manifest = JSON.parse((await get('manifest.json')).toString()) as Manifest;
  }, 240_000);

  afterAll(async () => {
    feed?.stop();
    await encoder?.kill();
    await s?.close();
    await peer.dispose();
    await rm(work, { recursive: true, force: true });
  });

  it('keeps every slot the public was served, byte for byte, and nothing else', async () => {
    expect(served.length).toBeGreaterThan(10);
    const listed = HLS.parse((await get('aired/180p/index.m3u8')).toString()) as MediaPlaylist;
    expect(listed.playlistType).toBe('VOD');
    expect(listed.endlist).toBe(true);
    expect(listed.segments.map((x) => Number(x.uri.replace('.ts', '')))).toEqual(served.map((x) => x.seq));
    for (const { seq, body } of served) expect(sha256(await get(`aired/180p/${seq}.ts`)), `slot ${seq}`).toBe(sha256(body));
  });

  it('joins the as-aired MP4 from exactly the frames served, and the master MP4 from every frame ingested', async () => {
    const airedMp4 = path.join(work, 'aired.mp4');
    writeFileSync(airedMp4, await get(rec.files.airedMp4!));
    const servedFrames: number[] = [];
    for (const x of served) servedFrames.push(...(await decodeCounters(x.body)));
    const airedFrames = await fileCounters(airedMp4);
    expect(airedFrames).toEqual(servedFrames);
    expect(await decodeErrors(airedMp4)).toBe('');
    const airedSum = manifest.entries.filter((e) => e.kind === 'aired' && e.rung === '180p').reduce((n, e) => n + (e.durationSec ?? 0), 0);
    expect(Math.abs((await durationOf(airedMp4)) - airedSum)).toBeLessThanOrEqual(1 / 30 + 0.001);

    const masterMp4 = path.join(work, 'master.mp4');
    writeFileSync(masterMp4, await get(rec.files.masterMp4!));
    expect(await decodeErrors(masterMp4)).toBe('');
    const master = (await fileCounters(masterMp4)).filter((c) => c > 0);
    // One encoder connection: the master is every counter from its first to its last, none missing or repeated.
    for (let i = 1; i < master.length; i++) expect(master[i], `master frame ${i}`).toBe((master[i - 1] as number) + 1);
    const aired = new Set(airedFrames.filter((c) => c > 0));
    expect([...aired].every((c) => c >= master[0]! && c <= master.at(-1)!)).toBe(true);
    // The cut dumped seconds of picture the public never saw; the master kept them.
    const dumped = master.filter((c) => !aired.has(c) && encoder.timeOf(c) > cutAt - 4_000 && encoder.timeOf(c) < cutAt);
    expect(dumped.length).toBeGreaterThan(30);
    const masterSum = manifest.entries.filter((e) => e.kind === 'master').reduce((n, e) => n + (e.durationSec ?? 0), 0);
    expect(Math.abs((await durationOf(masterMp4)) - masterSum)).toBeLessThanOrEqual(1 / 30 + 0.05);
    // The file says when its picture was captured: the first and last master segments' capture times.
    const masters = manifest.entries.filter((e) => e.kind === 'master');
    const tags = await tagsOf(masterMp4);
    expect(tags.courtcast_capture_start).toBe(new Date(masters[0]?.captureStart as number).toISOString());
    expect(tags.courtcast_capture_end).toBe(new Date(masters.at(-1)?.captureEnd as number).toISOString());
    // MP4's own creation time may count whole seconds only.
    expect(Math.floor(Date.parse(tags.creation_time ?? '') / 1000)).toBe(Math.floor((masters[0]?.captureStart as number) / 1000));
  });

  it('signs a final manifest that verifies against the objects, and says which master interval and masks shaped each slot', async () => {
    expect(manifest.seal.final).toBe(true);
    const verdict = await verifyManifest(manifest, s.cc.signingKey.publicKey, async (key) => {
      const b = await peer.store().get(`hearings/${hearingId}/${key}`);
      return b ? { sha256: sha256(b), size: b.length } : null;
    });
    expect(verdict.findings).toEqual([]);
    expect(verdict.ok).toBe(true);
    // The final seal is in the public transparency log, proven in a head signed with the archive's key.
    const logged = await fetch(`${s.base}/transparency/proof/seal/${hearingId}`);
    expect(logged.status).toBe(200);
    expect(logged.headers.get('access-control-allow-origin')).toBe('*');
    const { seals } = (await logged.json()) as { seals: InclusionAnswer[] };
    expect(sealInLog(manifest.seal, seals, s.cc.signingKey.publicKey)).toMatchObject({ found: 'this-seal' });
    // So is the audit trail's head as the sealed record holds it, and the trail still reaches it.
    const sealedRecord = JSON.parse((await peer.store().get(`hearings/${hearingId}/record.json`))!.toString()) as { auditVerdict: { entries: number; head: { seq: number; hash: string } } };
    const { entries: statements } = (await (await fetch(`${s.base}/transparency/entries?start=0&end=100`)).json()) as { entries: { kind: string; hearingId: string }[] };
    expect(statements.filter((e) => e.hearingId === hearingId && e.kind !== 'replay')).toEqual([
      { kind: 'seal', hearingId, count: manifest.seal.count, head: manifest.seal.head, keyId: manifest.seal.keyId },
      { kind: 'audit', hearingId, entries: sealedRecord.auditVerdict.entries, seq: sealedRecord.auditVerdict.head.seq, head: sealedRecord.auditVerdict.head.hash },
    ]);
    const auditAt = statements.findIndex((e) => e.kind === 'audit' && e.hearingId === hearingId);
    expect((await s.api('GET', `/api/hearings/${hearingId}/audit/verify`)).body).toMatchObject({ ok: true, log: { found: 'kept', index: auditAt, seq: sealedRecord.auditVerdict.head.seq } });
    const kinds = new Set(manifest.entries.map((e) => e.kind));
    expect([...kinds].sort()).toEqual(['aired', 'master', 'mp4', 'playlist', 'record']);
    const masked = manifest.entries.filter((e) => e.kind === 'aired' && e.masks?.includes(maskId));
    expect(masked.length).toBeGreaterThan(0);
    // Each aired slot names the timestamp its capture start dates, from which its sound is placed.
    const airedEntries = manifest.entries.filter((e) => e.kind === 'aired' && e.outcome === 'aired');
    expect(airedEntries.filter((e) => typeof e.mediaStart !== 'number').map((e) => e.key)).toEqual([]);
    const master = manifest.entries.filter((e) => e.kind === 'master');
    expect(master.every((e) => e.dated === 'clock')).toBe(true);
    const masterKeys = new Set(master.map((m) => m.key));
    for (const e of manifest.entries.filter((x) => x.kind === 'aired' && x.outcome === 'aired')) {
      // Every aired picture names the master segments it came from, and lies within them.
      expect(e.masterKeys?.length, `slot ${e.seq}`).toBeGreaterThan(0);
      expect(e.masterKeys!.every((k) => masterKeys.has(k))).toBe(true);
      const from = master.filter((m) => e.masterKeys!.includes(m.key));
      expect(Math.min(...from.map((m) => m.captureStart!)), `slot ${e.seq}`).toBeLessThanOrEqual(e.captureStart! + 100);
      expect(Math.max(...from.map((m) => m.captureEnd!)), `slot ${e.seq}`).toBeGreaterThanOrEqual(e.captureEnd! - 100);
    }
    const record = JSON.parse((await get('record.json')).toString()) as {
      audit: { action: string }[];
      program: { dumped: unknown[]; masks: { id: string }[] };
      soundOutsideProgram?: { listenedSlots: number; exposed: unknown[]; exposedMs: number };
    };
    expect(record.audit.map((a) => a.action)).toEqual(expect.arrayContaining(['open', 'start', 'mask', 'lift-mask', 'cut', 'resume', 'end', 'encoder-connected']));
    // The record says what of the sound aired outside the program, heard from the as-aired files:
    // the slots an edge was spliced into were listened to, and nothing strayed.
    expect(record.soundOutsideProgram?.listenedSlots, JSON.stringify(record.soundOutsideProgram)).toBeGreaterThan(0);
    expect(record.soundOutsideProgram?.exposed).toEqual([]);
    expect(record.program.dumped.length).toBeGreaterThan(0);
    expect(record.program.masks.map((m) => m.id)).toContain(maskId);
  });

  it('lets archivists (not clerks) search, open, verify and replay it, with byte ranges, and gives the MP4 by a presigned link', async () => {
    const mk = async (username: string, roles: string[]) => {
      expect((await s.api('POST', '/api/users', { username, password: `${username}-password`, roles, ...(roles.includes('clerk') ? { courtroomIds: [] } : {}) })).status).toBe(201);
      return s.login(username, `${username}-password`);
    };
    const clerk = await mk('clerk-a', ['clerk']);
    const archivist = await mk('archivist-a', ['archivist']);
    expect((await s.api('GET', '/api/archive/hearings?caseNumber=t-1', undefined, clerk)).status).toBe(403);
    expect((await s.api('GET', `/api/archive/hearings/${hearingId}`, undefined, clerk)).type).toContain('problem+json');
    const found = await s.api<{ id: string; archive: { status: string } }[]>('GET', '/api/archive/hearings?caseNumber=t-1&caseType=civil', undefined, archivist);
    expect(found.body.map((h) => [h.id, h.archive.status])).toEqual([[hearingId, 'complete']]);
    expect((await s.api<unknown[]>('GET', '/api/archive/hearings?caseNumber=nothing-like-it', undefined, archivist)).body).toEqual([]);
    expect((await s.api('GET', '/api/archive/hearings?from=yesterday', undefined, archivist)).status).toBe(400);
    const page = await s.api<{ record: { program: { dumped: unknown[] } }; seal: { final: boolean }; audit: unknown[] }>('GET', `/api/archive/hearings/${hearingId}`, undefined, archivist);
    expect(page.body.seal.final).toBe(true);
    expect(page.body.record.program.dumped.length).toBeGreaterThan(0);
    const verdict = await s.api<{ ok: boolean; log: unknown }>('POST', `/api/archive/hearings/${hearingId}/verify`, undefined, archivist);
    expect(verdict.body.ok).toBe(true);
    expect(verdict.body.log).toMatchObject({ found: 'this-seal' });
    // Put back one entry short and sealed again, final, with the court's own key: every object it
    // lists is there and the signature holds, but the court logged another seal.
    const manifestKey = `hearings/${hearingId}/manifest.json`;
    const sealed = (await s.cc.archiveStore.get(manifestKey))!;
    const m = JSON.parse(sealed.toString()) as Manifest;
    await s.cc.archiveStore.put(manifestKey, Buffer.from(JSON.stringify(signManifest(hearingId, m.entries.slice(0, -1), s.cc.signingKey.privateKey, true, new Date()))));
    try {
      const rewritten = (await s.api<{ ok: boolean; signature: string; log: unknown; findings: { problem: string }[] }>('POST', `/api/archive/hearings/${hearingId}/verify`, undefined, archivist)).body;
      expect(rewritten).toMatchObject({ ok: false, signature: 'valid', log: { found: 'another-seal' } });
      expect(rewritten.findings.map((f) => f.problem)).toEqual([expect.stringContaining("the court's transparency log holds another final seal of this hearing")]);
    } finally {
      await s.cc.archiveStore.put(manifestKey, sealed);
    }

    const seg = await fetch(`${s.base}/api/archive/hearings/${hearingId}/aired/180p/${served[0]!.seq}.ts`, { headers: { authorization: `Bearer ${archivist}`, range: 'bytes=188-375' } });
    expect(seg.status).toBe(206);
    expect(seg.headers.get('content-range')).toBe(`bytes 188-375/${served[0]!.body.length}`);
    expect(Buffer.from(await seg.arrayBuffer()).equals(served[0]!.body.subarray(188, 376))).toBe(true);
    const beyond = await fetch(`${s.base}/api/archive/hearings/${hearingId}/aired/180p/${served[0]!.seq}.ts`, { headers: { authorization: `Bearer ${archivist}`, range: 'bytes=99999999-' } });
    expect(beyond.status).toBe(416);
    const sneaky = await fetch(`${s.base}/api/archive/hearings/${hearingId}/aired/..%2F..%2Fmaster.mp4`, { headers: { authorization: `Bearer ${archivist}` } });
    expect(sneaky.status).toBe(400);

    const dl = await fetch(`${s.base}/api/archive/hearings/${hearingId}/download/aired.mp4`, { headers: { authorization: `Bearer ${archivist}` }, redirect: 'manual' });
    expect(dl.status).toBe(303);
    const viaLink = Buffer.from(await (await fetch(dl.headers.get('location')!)).arrayBuffer());
    expect(sha256(viaLink)).toBe(sha256(await get('aired.mp4')));
  });

  it('keeps the master sealed until a supervisor enters an order, then unseals only the ordered interval, all on the audit trail', async () => {
    const archivist = await s.login('archivist-a', 'archivist-a-password');
    const supervisorOk = (await s.api('POST', '/api/users', { username: 'sup-a', password: 'sup-a-password', roles: ['supervisor'] })).status;
    expect(supervisorOk).toBe(201);
    const supervisor = await s.login('sup-a', 'sup-a-password');
    const sealed = await s.api('GET', `/api/archive/hearings/${hearingId}/master/index.m3u8`, undefined, archivist);
    expect(sealed.status).toBe(403);
    expect(sealed.type).toContain('problem+json');
    expect((await s.api('GET', `/api/archive/hearings/${hearingId}/download/master.mp4`, undefined, archivist)).status).toBe(403);

    // Each aired slot names the timestamp its capture start dates, from which its sound is placed.
    const airedEntries = manifest.entries.filter((e) => e.kind === 'aired' && e.outcome === 'aired');
    expect(airedEntries.filter((e) => typeof e.mediaStart !== 'number').map((e) => e.key)).toEqual([]);
    const master = manifest.entries.filter((e) => e.kind === 'master');
    const mid = master[Math.floor(master.length / 2)]!;
    const order = { reference: 'ORD-2026-114', judge: 'Judge Example', reason: 'appeal review', from: new Date(mid.captureStart!).toISOString(), to: new Date(mid.captureStart! + 3_000).toISOString(), expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
    expect((await s.api('POST', `/api/archive/hearings/${hearingId}/orders`, order, archivist)).status).toBe(403);
    expect((await s.api('POST', `/api/archive/hearings/${hearingId}/orders`, { ...order, expiresAt: 'never' }, supervisor)).status).toBe(400);
    expect((await s.api('POST', `/api/archive/hearings/${hearingId}/orders`, order, supervisor)).status).toBe(201);

    const pl = await s.api<string>('GET', `/api/archive/hearings/${hearingId}/master/index.m3u8`, undefined, archivist);
    expect(pl.status).toBe(200);
    const names = (HLS.parse(pl.body) as MediaPlaylist).segments.map((x) => x.uri);
    expect(names.length).toBeGreaterThanOrEqual(1);
    expect(names.length).toBeLessThan(master.length);
    const inside = await fetch(`${s.base}/api/archive/hearings/${hearingId}/master/${names[0]}`, { headers: { authorization: `Bearer ${archivist}` } });
    expect(inside.status).toBe(200);
    const outsideName = master[0]!.key.slice('master/'.length).replace('/', '-');
    expect(names).not.toContain(outsideName);
    const outside = await fetch(`${s.base}/api/archive/hearings/${hearingId}/master/${outsideName}`, { headers: { authorization: `Bearer ${archivist}` } });
    expect(outside.status).toBe(403);
    // A partial order does not unseal the whole master file.
    expect((await s.api('GET', `/api/archive/hearings/${hearingId}/download/master.mp4`, undefined, archivist)).status).toBe(403);

    const trail = (await s.api<{ action: string; actor: { username?: string } }[]>('GET', `/api/hearings/${hearingId}/audit`)).body;
    const actions = trail.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['master-access-refused', 'unsealing-order-entered', 'master-played', 'master-segment-read']));
    expect(trail.filter((e) => e.action === 'master-access-refused').length).toBeGreaterThanOrEqual(3);
    expect(trail.find((e) => e.action === 'unsealing-order-entered')?.actor.username).toBe('sup-a');
    expect((await s.api<{ ok: boolean }>('GET', `/api/hearings/${hearingId}/audit/verify`)).body.ok).toBe(true);
  });
});
