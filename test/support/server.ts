import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../config/load.ts';
import { startCourtcast, type Courtcast, type CourtcastOptions } from '../../server/courtcast.ts';
import { waitFor } from './wait.ts';
import { approverToken, clearHearing } from './governance.ts';

/** Where every test server keeps its slates: they depend only on the ladder, so one render serves the suite. */
/** The tests' password hash cost (config `auth.scryptLogN`). */
export const TEST_SCRYPT_LOG_N = 14;

export const TEST_SLATE_CACHE = path.join(os.tmpdir(), 'courtcast-test-slates');

/**
 * The tests' ladder: one small video rung and the audio-only rung. Nothing a test proves with it
 * depends on the picture's size, and a 180p hearing costs a third of a 360p one, which is what lets
 * several real-time files run side by side on two cores.
 */
export const TEST_LADDER = [
  { name: '180p', height: 180, videoKbps: 250, audioKbps: 64 },
  { name: 'audio', audioKbps: 64 },
];

/**
 * The ladder and picture the mask files' pixel statistics were calibrated on (blur and pixelation
 * collapsing detail inside a region, the picture untouched outside it, to a few grey levels): those
 * files keep a 640x360 source and 360p and 180p rungs rather than weaken their thresholds.
 */
export const MASK_LADDER = [
  { name: '360p', height: 360, videoKbps: 600, audioKbps: 64 },
  { name: '180p', height: 180, videoKbps: 250, audioKbps: 64 },
  { name: 'audio', audioKbps: 64 },
];
export const MASK_PICTURE = { width: 640, height: 360 };

/**
 * Two video rungs and the audio-only rung, for the files that prove a treatment reaches every rung
 * (edges, the live path; the mask files have MASK_LADDER's two): a treatment applied to one output
 * only would pass with a single video rung.
 */
export const TWO_RUNG_LADDER = [
  { name: '180p', height: 180, videoKbps: 250, audioKbps: 64 },
  { name: '144p', height: 144, videoKbps: 200, audioKbps: 64 },
  { name: 'audio', audioKbps: 64 },
];

export const ADMIN = { username: 'admin', password: 'test-admin-password' };

/** A running test server plus helpers to call it. */
export interface TestServer {
  readonly cc: Courtcast;
  readonly base: string;
  readonly dataDir: string;
  /** The admin's bearer token. */
  readonly token: string;
  /** Signs in and returns a bearer token. */
  login(username: string, password: string): Promise<string>;
  /** Calls the API as the admin, or with the given token. */
  api<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T; type: string }>;
  close(): Promise<void>;
}

/** Starts Courtcast on free ports with a throwaway data directory. */
export async function startTestServer(overrides: Record<string, unknown> = {}, options: Omit<CourtcastOptions, 'logger' | 'slateCacheDir'> = {}, t: { readonly logs?: string[] } = {}): Promise<TestServer> {
  // A test that keeps its data directory (across restarts, on a mount of its own) passes it and
  // removes it itself; otherwise a throwaway one, removed on close.
  const given = typeof overrides.dataDir === 'string' ? overrides.dataDir : null;
  const dataDir = given ?? mkdtempSync(path.join(os.tmpdir(), 'courtcast-test-'));
  const config = loadConfig({
    env: {},
    overrides: {
      http: { host: '127.0.0.1', port: 0 },
      ingest: { rtmpPort: 0 },
      dataDir,
      delay: { minSeconds: 2, defaultSeconds: 4 },
      log: { level: process.env.COURTCAST_TEST_LOG ?? 'silent' },
      // Tests that want a durable store say so; the rest start from nothing in memory.
      stores: { state: 'memory' },
      ...overrides,
      // Cheap password hashes (2^14): a hearing's set-up makes and signs in four accounts, and at
      // the production cost those hashes took minutes of the suite's two cores. The sign-in load
      // test asks for the production cost.
      auth: { scryptLogN: TEST_SCRYPT_LOG_N, ...(overrides.auth as object | undefined) },
      // The time overlay is off unless a test turns it on: pixel tests of masks and slates then
      // judge only what they are about, and two cores are spared a drawtext pass.
      media: { ladder: TEST_LADDER, segmentSeconds: 2, fps: 30, timeOverlay: { enabled: false }, ...(overrides.media as object | undefined) },
    },
  });
  // A test that reads the server's log (for what it must never say) gets every line from info up.
  const logs = t.logs;
  const logger = logs ? pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }) : pino({ level: config.log.level });
  const cc = await startCourtcast(config, { ...options, logger, slateCacheDir: TEST_SLATE_CACHE });
  const base = `http://127.0.0.1:${cc.httpPort}`;
  const login = async (username: string, password: string): Promise<string> => {
    const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status}`);
    return ((await res.json()) as { token: string }).token;
  };
  // A server restarted on a kept data directory (a durable store) already has its admin.
  if (!(await cc.accounts.list()).some((u) => u.username === ADMIN.username)) await cc.accounts.create({ ...ADMIN, roles: ['admin'] }, 'configuration');
  const token = await login(ADMIN.username, ADMIN.password);
  return {
    cc,
    base,
    dataDir,
    token,
    login,
    async api(method, p, body, as = token) {
      const res = await fetch(`${base}${p}`, {
        method,
        headers: { authorization: `Bearer ${as}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const type = res.headers.get('content-type') ?? '';
      const text = await res.text();
      return { status: res.status, type, body: (text && type.includes('json') ? JSON.parse(text) : text) as never };
    },
    async close() {
      await cc.close();
      if (!given) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Creates a court, a courtroom and a public hearing, cleared for broadcast (applied, approved and
 * reviewed) unless `cleared` is false; returns their ids and the stream key.
 */
export async function seedHearing(
  s: TestServer,
  opts: { delaySeconds?: number; ingest?: 'rtmp' | 'srt' | 'rtsp'; srtPort?: number; camera?: { url: string; transport?: 'tcp' | 'udp' }; isPublic?: boolean; scheduledStart?: Date; cleared?: boolean; timezone?: string; language?: 'en' | 'zh-CN' | 'bilingual'; captions?: { languages: ('en' | 'zh-CN')[]; hidden?: 'marker' | 'drop'; voiceHidesText?: boolean } } = {},
): Promise<{ courtId: string; courtroomId: string; hearingId: string; streamKey: string }> {
  const court = await s.api<{ id: string }>('POST', '/api/courts', { name: 'Test Court', timezone: opts.timezone ?? 'Europe/London', ...(opts.language ? { language: opts.language } : {}), ...(opts.captions ? { captions: opts.captions } : {}) });
  const room = await s.api<{ id: string; streamKey: string }>('POST', `/api/courts/${court.body.id}/courtrooms`, {
    name: 'Room 1',
    ingest: opts.ingest ?? 'rtmp',
    ...(opts.srtPort ? { srtPort: opts.srtPort } : {}),
    ...(opts.camera ? { camera: opts.camera } : {}),
  });
  if (room.status !== 201) throw new Error(`seeding failed: ${JSON.stringify(room.body)}`);
  const hearing = await s.api<{ id: string }>('POST', '/api/hearings', {
    courtroomId: room.body.id,
    caseNumber: 'T-1',
    title: 'Test v. Test',
    caseType: 'civil',
    scheduledStart: (opts.scheduledStart ?? new Date()).toISOString(),
    delaySeconds: opts.delaySeconds ?? 4,
    isPublic: opts.isPublic ?? true,
  });
  if (hearing.status !== 201) throw new Error(`seeding failed: ${JSON.stringify(hearing.body)}`);
  if (opts.cleared ?? opts.isPublic ?? true) await clearForBroadcast(s, court.body.id, hearing.body.id);
  return { courtId: court.body.id, courtroomId: room.body.id, hearingId: hearing.body.id, streamKey: room.body.streamKey };
}

/** A token of the court's approver (made on first use). */
export async function approverOf(s: TestServer, courtId: string): Promise<string> {
  return approverToken(s.base, s.token, courtId);
}

/** Files, approves and reviews a hearing's broadcast, as a court would before it airs. */
export async function clearForBroadcast(s: TestServer, courtId: string, hearingId: string): Promise<void> {
  await clearHearing(s.base, s.token, courtId, hearingId);
}

/** Waits until the hearing's pipeline reports the encoder connected. */
export async function waitForEncoder(s: TestServer, hearingId: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(async () => (await s.api<{ live: { encoder: string } | null }>('GET', `/api/hearings/${hearingId}`)).body.live?.encoder === 'connected', 'the encoder to connect', timeoutMs);
}

/** A hearing's master segment files, run by run, each run in recording order. */
export async function masterSegmentFiles(s: TestServer, hearingId: string): Promise<string[]> {
  const dir = path.join(s.cc.dirs.master, hearingId);
  const out: string[] = [];
  for (const run of (await readdir(dir)).filter((x) => /^[rm]\d+$/.test(x)).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))) {
    for (const f of (await readdir(path.join(dir, run))).filter((x) => x.endsWith('.ts')).sort()) out.push(path.join(dir, run, f));
  }
  return out;
}
