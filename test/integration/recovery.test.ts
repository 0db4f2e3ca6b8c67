import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyManifest, type Manifest } from '../../recorder/manifest.ts';
import { TestEncoder } from '../support/encoder.ts';
import { calibrate, calibrateSegments, capturedAt as captureOf, type Calibration } from '../support/master-clock.ts';
import { decodeCounters, decodeFeed, PublicFeed, type DecodedEntry } from '../support/public-feed.ts';
import { TestRedis } from '../support/redis.ts';
import { S3Peer } from '../support/s3.ts';
import { serverOnFreePorts, type ServerProcess } from '../support/server-process.ts';
import { elapse, waitFor } from '../support/wait.ts';
import { clearHearing } from '../support/governance.ts';

const D = 4_000;
/**
 * How far a frame's capture instant read off the master may stray from the server's own dating:
 * its segment's start is dated by the server (less up to 25 ms of sound before the first frame,
 * plus half a frame), and frames after it are placed one frame time apart, which holds while the
 * encoder and the server keep pace (a stall inside the segment would bunch them later).
 */
const CAPTURE_SLACK_MS = 150;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? filesUnder(path.join(dir, n)) : [path.join(dir, n)]));
}

/**
 * The durable stores recovery must work on: Redis, and the embedded store with no service at all.
 * The embedded run archives to S3, and its store refuses uploads before the first kill, so the
 * server dies with uploads owed: they must resume from the spool after the restart.
 */
const STORES = [['redis'], ['embedded']] as const;

describe.each(STORES)('restart recovery on the %s store: a server killed while paused, and again right after a cut, comes back and fails closed', (store) => {
  const redis = new TestRedis();
  const peer = new S3Peer();
  const owesUploads = store === 'embedded';
  let spooledAtKill = 0;
  let manifest: Manifest | null = null;
  let server: ServerProcess;
  let base = '';
  let rtmpPort = 0;
  let dataDir = '';
  let token = '';
  let hearingId = '';
  let streamKey = '';
  let feed: PublicFeed;
  const encoders: TestEncoder[] = [];
  const epoch = Date.now();
  const marks: Record<string, number> = {};
  let phaseAfterRestart = '';
  /** Capture time up to which the public timeline was decided when the cut was answered: all after it was dumped. */
  let releasedAtCut = 0;
  /** What the server knew after the kill that followed the acknowledged cut and account change. */
  const afterCrash = { token: 0, phase: '', oldPassword: 0, newPassword: 0, verify: { ok: false }, actions: [] as string[] };
  let seqBeforeKill = 0;
  let decoded: DecodedEntry[] = [];
  let calibrations: Calibration[] = [];
  /** A counter's capture instant on the ingest clock of the connection that carried it. */
  /** Each master segment's dating: a counter's capture instant is read from its own segment's start. */
  let segmentClock: Calibration[] = [];
  const capturedAt = (c: number): number => captureOf(segmentClock, c);

  const api = async <T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}${p}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
  /** A clerk command, with the time just before the request and the live status it answered. */
  const command = async (cmd: string, reason?: string): Promise<{ before: number; live: { releasedUntil: string } }> => {
    const before = Date.now();
    const res = await api<{ releasedUntil: string }>(`POST`, `/api/hearings/${hearingId}/broadcast/${cmd}`, reason ? { reason } : {});
    expect(res.status, `${cmd}: ${JSON.stringify(res.body)}`).toBe(200);
    return { before, live: res.body };
  };
  const login = async (username: string, password: string) =>
    fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const encoder = () => {
    const e = new TestEncoder(`rtmp://127.0.0.1:${rtmpPort}/live/${streamKey}`, 'flv', epoch).start();
    encoders.push(e);
    return e;
  };
  const timeOf = (c: number) => encoders[0]!.timeOf(c);
  const airedAfter = (t: number, what: string) =>
    waitFor(async () => {
      await feed.poll();
      for (const e of feed.sorted().slice(-3)) {
        const res = await fetch(e.uri).catch(() => null);
        if (!res?.ok) continue;
        if ((await decodeCounters(Buffer.from(await res.arrayBuffer()))).some((c) => c > 0 && timeOf(c) > t)) return true;
      }
      return false;
    }, what, 45_000, 500);

  beforeAll(async () => {
    if (store === 'redis') await redis.start();
    if (owesUploads) await peer.start();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'courtcast-recovery-'));
    const made = await serverOnFreePorts(dataDir, {
      COURTCAST_STATE_STORE: store,
      // The embedded store runs as the default does: no token key configured, so the server makes
      // its own and must keep it, or every sign-in dies with the process.
      ...(store === 'redis' ? { COURTCAST_REDIS_URL: redis.url, COURTCAST_JWT_SECRET: 'recovery-test-secret-0123456789-abcdef' } : {}),
      ...(owesUploads
        ? { COURTCAST_ARCHIVE_STORE: 's3', COURTCAST_S3_BUCKET: peer.bucket, COURTCAST_S3_ENDPOINT: peer.endpoint, COURTCAST_S3_FORCE_PATH_STYLE: 'true', COURTCAST_S3_ACCESS_KEY_ID: 'S3RVER', COURTCAST_S3_SECRET_ACCESS_KEY: 'S3RVER' }
        : {}),
      COURTCAST_ADMIN_USER: 'admin',
      COURTCAST_ADMIN_PASSWORD: 'recovery-admin-password',
    });
    server = made.server;
    base = made.base;
    rtmpPort = made.rtmpPort;
    await server.start(base);
    token = ((await (await login('admin', 'recovery-admin-password')).json()) as { token: string }).token;
    const court = await api<{ id: string }>('POST', '/api/courts', { name: 'Crash Court' });
    const room = await api<{ id: string; streamKey: string }>('POST', `/api/courts/${court.body.id}/courtrooms`, { name: 'Room' });
    streamKey = room.body.streamKey;
    const hearing = await api<{ id: string }>('POST', '/api/hearings', { courtroomId: room.body.id, caseNumber: 'R-1', title: 'Recovery', caseType: 'criminal', scheduledStart: new Date().toISOString(), delaySeconds: D / 1000, isPublic: true });
    hearingId = hearing.body.id;
    await clearHearing(base, token, court.body.id, hearingId);
    const clerk = await api<{ id: string }>('POST', '/api/users', { username: 'clerk', displayName: 'Clerk', password: 'the old password', roles: ['clerk'], courtroomIds: [room.body.id] });
    feed = new PublicFeed(`${base}/hls/hearings/${hearingId}/180p/index.m3u8`).start(200);

    encoder();
    await command('start');
    await airedAfter(epoch, 'the first picture');

    // Killed while paused: it must come back paused.
    marks.pause = (await command('pause', 'off the record')).before;
    await elapse(1_500);
    await feed.poll();
    seqBeforeKill = Math.max(...feed.sorted().map((e) => e.seq));
    if (owesUploads) {
      await peer.stop();
      await waitFor(async () => ((await (await fetch(`${base}/healthz`)).json()) as { archive: { pending: number } }).archive.pending > 5, 'uploads to be owed', 20_000);
    }
    await server.kill();
    marks.killed = Date.now();
    if (owesUploads) {
      spooledAtKill = filesUnder(path.join(dataDir, 'recorder', 'spool')).length;
      await peer.start();
    }
    await elapse(1_000);
    await server.start(base);
    phaseAfterRestart = (await api<{ live: { phase: string } | null }>('GET', `/api/hearings/${hearingId}`)).body.live?.phase ?? 'none';
    encoder(); // the encoder's connection died with the server; it reconnects
    await elapse(3_000);
    marks.resume = (await command('resume')).before;
    await airedAfter(marks.resume + 500, 'the picture after resume');

    // Killed the moment a cut and an account change are acknowledged: both must hold.
    expect((await api('PATCH', `/api/users/${clerk.body.id}`, { password: 'the new password' })).status).toBe(200);
    releasedAtCut = Date.parse((await command('cut', 'protected witness')).live.releasedUntil);
    await server.kill();
    await server.start(base);
    afterCrash.token = (await api('GET', '/api/me')).status;
    afterCrash.phase = (await api<{ live: { phase: string } | null }>('GET', `/api/hearings/${hearingId}`)).body.live?.phase ?? 'none';
    afterCrash.oldPassword = (await login('clerk', 'the old password')).status;
    afterCrash.newPassword = (await login('clerk', 'the new password')).status;
    afterCrash.verify = (await api<{ ok: boolean }>('GET', `/api/hearings/${hearingId}/audit/verify`)).body;
    const trail = (await api<{ action: string; effectiveAt: string | null }[]>('GET', `/api/hearings/${hearingId}/audit`)).body;
    afterCrash.actions = trail.map((e) => e.action);
    marks.paused = Date.parse(trail.find((e) => e.action === 'pause')?.effectiveAt ?? '');
    marks.resumed = Date.parse(trail.find((e) => e.action === 'resume')?.effectiveAt ?? '');
    // The encoder reconnects; the hearing stays cut until it ends. What it captures meanwhile is
    // decided as the end drains it, so a leak would air then.
    encoder();
    await elapse(3_000);
    await command('end');
    await feed.untilEnded(D + 20_000);
    decoded = await decodeFeed(feed);
    calibrations = await calibrate(path.join(dataDir, 'master', hearingId));
    segmentClock = await calibrateSegments(path.join(dataDir, 'master', hearingId));
    if (owesUploads) {
      manifest = await waitFor(
        async () => {
          const m = await peer.store().get(`hearings/${hearingId}/manifest.json`);
          const parsed = m ? (JSON.parse(m.toString()) as Manifest) : null;
          return parsed?.seal.final ? parsed : null;
        },
        'the final manifest',
        90_000,
        500,
      );
    }
  }, 300_000);

  afterAll(async () => {
    feed?.stop();
    await Promise.all(encoders.map((e) => e.kill()));
    await server?.kill();
    if (store === 'redis') await redis.stop();
    await peer.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('comes back with the program where it was', () => {
    expect(phaseAfterRestart).toBe('paused');
  });

  it('keeps a cut and an account change acknowledged just before a kill', () => {
    expect(afterCrash.phase).toBe('cut');
    expect(afterCrash.oldPassword).toBe(401);
    expect(afterCrash.newPassword).toBe(200);
  });

  it('keeps the sign-in made before the crash, and an audit chain that verifies with the cut on it', () => {
    expect(afterCrash.token).toBe(200);
    expect(afterCrash.verify.ok).toBe(true);
    expect(afterCrash.actions).toContain('cut');
  });

  it('never airs a frame captured while off air, before or after the restarts', () => {
    const aired = decoded.flatMap((e) => e.counters.filter((c) => c > 0));
    expect(aired.length).toBeGreaterThan(60);
    // The off-air window is from the instant the server took the pause to the one the restarted
    // server took the resume (the requests left earlier; under load they were handled later, and
    // frames that arrived meanwhile rightly aired), read off the trail.
    expect(marks.paused).toBeGreaterThanOrEqual(marks.pause!);
    expect(marks.paused! - marks.pause!).toBeLessThan(2_000);
    expect(marks.resumed).toBeGreaterThanOrEqual(marks.resume!);
    // Frames are placed on the servers' ingest clocks from the master (one calibration per encoder
    // connection: three), not from when each encoder was spawned.
    expect(calibrations.length).toBeGreaterThanOrEqual(3);
    const offAir = aired.filter((c) => capturedAt(c) > marks.paused! + CAPTURE_SLACK_MS && capturedAt(c) < marks.resumed! - CAPTURE_SLACK_MS);
    expect(offAir).toEqual([]);
    // Frames captured after the cut's release point were dumped with the window.
    expect(releasedAtCut).toBeGreaterThan(marks.resumed!);
    const dumped = aired.filter((c) => capturedAt(c) > releasedAtCut + CAPTURE_SLACK_MS);
    expect(dumped).toEqual([]);
    // And the broadcast really resumed after the restart.
    expect(aired.some((c) => capturedAt(c) > marks.resumed! + CAPTURE_SLACK_MS)).toBe(true);
  });

  it('continues the same public playlist: sequence numbers go on, every version parses', async () => {
    expect(feed.errors).toEqual([]);
    const after = feed.sorted().filter((e) => e.appearedAt > marks.killed!);
    expect(after.length).toBeGreaterThan(0);
    expect(Math.min(...after.map((e) => e.seq))).toBeGreaterThan(seqBeforeKill);
    // Every segment still listed decodes.
    for (const e of feed.sorted().slice(-3)) expect((await decodeCounters(Buffer.from(await (await fetch(e.uri)).arrayBuffer()))).length, e.uri).toBeGreaterThan(0);
  });

  it('keeps the master sealed across the crash: every segment on disk is in the manifest', async () => {
    const dir = path.join(dataDir, 'master', hearingId);
    const manifest = (await readFile(path.join(dir, 'manifest.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { file: string });
    const files: string[] = [];
    for (const run of (await readdir(dir)).filter((d) => /^[rm]\d{4,9}$/.test(d))) {
      for (const f of (await readdir(path.join(dir, run))).filter((x) => /^\d{6}\.ts$/.test(x))) files.push(`${run}/${f}`);
    }
    expect(files.length).toBeGreaterThan(5);
    const sealed = new Set(manifest.map((m) => m.file));
    expect(files.filter((f) => !sealed.has(f))).toEqual([]);
  });

  // Only the embedded run owes uploads (declared, not skipped, so the count of tests is what ran).
  if (owesUploads) {
    describe('the archive, with uploads owed at the first kill', () => {
      it('resumes the uploads the crash left in the spool', () => {
        expect(spooledAtKill).toBeGreaterThan(5);
        expect(filesUnder(path.join(dataDir, 'recorder', 'spool'))).toEqual([]);
      });

      it('archives every master segment the server sealed, once, unchanged, across both crashes', () => {
        const sealed = readFileSync(path.join(dataDir, 'master', hearingId, 'manifest.jsonl'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { file: string; sha256: string });
        const files = [...new Set(sealed.map((m) => m.file))];
        expect(files.length).toBeGreaterThan(5);
        const masters = manifest!.entries.filter((e) => e.kind === 'master');
        const archived = new Map(masters.map((e) => [e.key, e]));
        expect(archived.size).toBe(masters.length);
        for (const f of files) expect(archived.get(`master/${f}`)?.sha256, f).toBe(sealed.find((m) => m.file === f)?.sha256);
        // Three encoder connections (the start and one after each restart): as many master runs.
        expect(new Set(masters.map((e) => e.run)).size).toBeGreaterThanOrEqual(3);
      });

      it('keeps the as-aired slots on every side of the crashes, and the manifest verifies with the published key', async () => {
        const seqs = manifest!.entries.filter((e) => e.kind === 'aired' && e.rung === '180p').map((e) => e.seq!);
        expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
        expect(seqs.length).toBeGreaterThan(8);
        const publicKey = createPublicKey(readFileSync(path.join(dataDir, 'secrets', 'archive-signing-key'), 'utf8'));
        const verdict = await verifyManifest(manifest!, publicKey, async (key) => {
          const b = await peer.store().get(`hearings/${hearingId}/${key}`);
          return b ? { sha256: sha256(b), size: b.length } : null;
        });
        expect(verdict.findings).toEqual([]);
      });
    });
  }
});
