import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyManifest, type Manifest } from '../../recorder/manifest.ts';
import { TestEncoder } from '../support/encoder.ts';
import { S3Peer } from '../support/s3.ts';
import { serverOnFreePorts, type ServerProcess } from '../support/server-process.ts';
import { elapse, waitFor } from '../support/wait.ts';
import { clearHearing } from '../support/governance.ts';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  for (const n of names) {
    const full = path.join(dir, n);
    out = statSync(full).isDirectory() ? [...out, ...filesUnder(full)] : [...out, full];
  }
  return out;
}

/**
 * The server is killed with SIGKILL while archive uploads are owed (the store had been refusing
 * them), then started again: the uploads resume from the spool, the slots published just before
 * the crash are still archived, and every master segment the server sealed reaches the archive once.
 */
describe('archive: SIGKILL with uploads owed, then a restart', () => {
  const peer = new S3Peer();
  let server: ServerProcess;
  let base = '';
  let dataDir = '';
  let token = '';
  let hearingId = '';
  let encoder: TestEncoder;
  let spooledAtKill = 0;
  let manifest: Manifest;

  const api = async <T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}${p}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };

  beforeAll(async () => {
    await peer.start();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'courtcast-archive-kill-'));
    const made = await serverOnFreePorts(dataDir, {
      COURTCAST_ADMIN_USER: 'admin',
      COURTCAST_ADMIN_PASSWORD: 'archive-admin-password',
      COURTCAST_LADDER: JSON.stringify([{ name: '180p', height: 180, videoKbps: 200, audioKbps: 48 }, { name: 'audio', audioKbps: 48 }]),
      COURTCAST_ARCHIVE_STORE: 's3',
      COURTCAST_S3_BUCKET: peer.bucket,
      COURTCAST_S3_ENDPOINT: peer.endpoint,
      COURTCAST_S3_FORCE_PATH_STYLE: 'true',
      COURTCAST_S3_ACCESS_KEY_ID: 'S3RVER',
      COURTCAST_S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
    server = made.server;
    base = made.base;
    await server.start(base);
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'archive-admin-password' }) });
    token = ((await login.json()) as { token: string }).token;
    const court = await api<{ id: string }>('POST', '/api/courts', { name: 'Archive Court' });
    const room = await api<{ id: string; streamKey: string }>('POST', `/api/courts/${court.body.id}/courtrooms`, { name: 'Room' });
    hearingId = (await api<{ id: string }>('POST', '/api/hearings', { courtroomId: room.body.id, caseNumber: 'A-7', title: 'Kill', caseType: 'civil', scheduledStart: new Date().toISOString(), delaySeconds: 4, isPublic: true })).body.id;
    await clearHearing(base, token, court.body.id, hearingId);
    const epoch = Date.now();
    encoder = new TestEncoder(`rtmp://127.0.0.1:${made.rtmpPort}/live/${room.body.streamKey}`, 'flv', epoch).start();
    expect((await api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    await elapse(8_000);

    // The store refuses for a while, so uploads are owed when the server dies.
    await peer.stop();
    await waitFor(async () => ((await (await fetch(`${base}/healthz`)).json()) as { archive: { pending: number } }).archive.pending > 5, 'uploads to be owed', 20_000);
    await server.kill();
    spooledAtKill = filesUnder(path.join(dataDir, 'recorder', 'spool')).length;

    await peer.start();
    // /healthz answers 200 only once the archive has caught up: the spool drained after the restart.
    await server.start(base);
    await encoder.kill();
    encoder = new TestEncoder(encoder.target, 'flv', epoch).start();
    await elapse(8_000);
    expect((await api('POST', `/api/hearings/${hearingId}/broadcast/end`, {})).status).toBe(200);
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
  }, 240_000);

  afterAll(async () => {
    await encoder?.kill();
    await server?.kill();
    await peer.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('resumes the uploads the crash left in the spool', () => {
    expect(spooledAtKill).toBeGreaterThan(5);
    expect(filesUnder(path.join(dataDir, 'recorder', 'spool'))).toEqual([]);
  });

  it('archives every master segment the server sealed, once, unchanged, across the crash', async () => {
    const sealed = readFileSync(path.join(dataDir, 'master', hearingId, 'manifest.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { file: string; sha256: string });
    const files = [...new Set(sealed.map((m) => m.file))];
    expect(files.length).toBeGreaterThan(5);
    const archived = new Map(manifest.entries.filter((e) => e.kind === 'master').map((e) => [e.key, e]));
    expect(archived.size).toBe(manifest.entries.filter((e) => e.kind === 'master').length);
    for (const f of files) expect(archived.get(`master/${f}`)?.sha256, f).toBe(sealed.find((m) => m.file === f)?.sha256);
    // Two encoder connections: two runs of the master recorder.
    expect(new Set([...archived.values()].map((e) => e.run)).size).toBeGreaterThanOrEqual(2);
  });

  it('keeps the as-aired slots on both sides of the crash, and the manifest verifies with the published key', async () => {
    const seqs = manifest.entries.filter((e) => e.kind === 'aired' && e.rung === '180p').map((e) => e.seq!);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(seqs.length).toBeGreaterThan(8);
    const publicKey = createPublicKey(readFileSync(path.join(dataDir, 'secrets', 'archive-signing-key'), 'utf8'));
    const verdict = await verifyManifest(manifest, publicKey, async (key) => {
      const b = await peer.store().get(`hearings/${hearingId}/${key}`);
      return b ? { sha256: sha256(b), size: b.length } : null;
    });
    expect(verdict.findings).toEqual([]);
  });
});
