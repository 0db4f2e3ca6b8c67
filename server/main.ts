// Must stay the first import: it sizes libuv's thread pool before any I/O starts.
import './threadpool.ts';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { startCourtcast, type Courtcast } from './courtcast.ts';
import type { CourtCaptions, Courtroom, Hearing } from './domain/courts.ts';
import { principalOf, type Principal, type Role } from './domain/users.ts';
import { SyntheticEncoder } from './media/synthetic-encoder.ts';
import { CaptionFeed, readSubtitleFile } from './demo/caption-feed.ts';
import { SyntheticWhipEncoder } from './webrtc/synthetic-whip-encoder.ts';

const DEMO_CASE = 'DEMO-2026-001';
const DEMO_CAPTIONS = { languages: ['en'], hidden: 'marker', voiceHidesText: false } as const satisfies CourtCaptions;

/**
 * The demo's court, courtroom and public hearing: the ones a previous run made, when the state
 * store kept them (a hearing that ended is replaced by a new one in the same courtroom), or new.
 */
async function demoHearing(cc: Courtcast, minDelay: number): Promise<{ hearing: Hearing; room: Courtroom }> {
  const previous = (await cc.registry.listHearings()).filter((h) => h.caseNumber === DEMO_CASE);
  const room = previous.length > 0
    ? await cc.registry.courtroom(previous[0]!.courtroomId)
    : await cc.registry.createCourtroom((await cc.registry.createCourt({ name: 'Demo District Court', timezone: 'UTC', captions: DEMO_CAPTIONS })).id, { name: 'Courtroom 1', ingest: 'rtmp' });
  // A court a run before captions made (a kept data directory) publishes them from now on.
  if (!(await cc.registry.court(room.courtId)).captions) await cc.registry.setCourtCaptions(room.courtId, DEMO_CAPTIONS);
  const open = previous.find((h) => h.status !== 'ended');
  const hearing = open ?? (await cc.registry.createHearing({
    courtroomId: room.id,
    caseNumber: DEMO_CASE,
    title: 'Demo v. Example (synthetic courtroom)',
    caseType: 'civil',
    scheduledStart: new Date().toISOString(),
    delaySeconds: Math.max(10, minDelay),
    isPublic: true,
  }));
  return { hearing, room };
}

/** Creates a demo account, or gives an existing one a fresh password (printed below). */
async function demoAccount(cc: Courtcast, user: { username: string; displayName: string; password: string; roles: Role[]; courtroomIds?: string[]; courtIds?: string[] }): Promise<Principal> {
  const existing = (await cc.accounts.list()).find((u) => u.username === user.username);
  const scopes = { ...(user.courtroomIds ? { courtroomIds: user.courtroomIds } : {}), ...(user.courtIds ? { courtIds: user.courtIds } : {}) };
  const made = existing ? await cc.accounts.update(existing.id, { password: user.password, roles: user.roles, ...scopes, disabled: false }, 'configuration') : await cc.accounts.create(user, 'configuration');
  return principalOf(await cc.accounts.get(made.user.id));
}

/**
 * Takes the demo hearing through what a court does before it airs: the clerk applies, the
 * court's approver approves and signs off the confidentiality review. Each step is on its trail.
 */
async function clearDemo(cc: Courtcast, hearing: Hearing, clerk: Principal, judge: Principal): Promise<void> {
  const { blockers } = await cc.governance.clearance(hearing, 'live');
  // A kept data directory may hold an approval in force whose review lapsed: only what is missing is done.
  if (blockers.some((b) => b !== 'not-reviewed')) {
    const filed = await cc.governance.apply(hearing.id, { scopes: ['live', 'replay'], grounds: 'a public civil hearing of general interest' }, clerk);
    const app = filed.applications.at(-1);
    if (app) await cc.governance.decide(hearing.id, app.id, 'approved', 'open justice; no ground for privacy', judge);
  }
  if (blockers.includes('not-reviewed')) await cc.governance.review(hearing.id, { checklist: { personalData: true, minors: true, masks: true }, note: 'synthetic demo case' }, judge);
}

/**
 * Seeds (or, on a kept data directory, finds again) a demo court, courtroom and public hearing,
 * starts a synthetic encoder pushing to it over RTMP, puts it on the air and prints where to watch.
 */
async function runDemo(cc: Courtcast, config: Config): Promise<{ close(): Promise<void> }> {
  const minDelay = config.delay.minSeconds;
  // The camera films at the ladder's top rung (16:9): more would only be scaled away.
  const height = Math.max(...config.media.ladder.map((r) => r.height ?? 0)) || 720;
  const width = Math.round((height * 16) / 9 / 2) * 2;
  const adminPassword = randomBytes(9).toString('base64url');
  const clerkPassword = randomBytes(9).toString('base64url');
  const judgePassword = randomBytes(9).toString('base64url');
  const stenoPassword = randomBytes(9).toString('base64url');
  const { hearing, room } = await demoHearing(cc, minDelay);
  await demoAccount(cc, { username: 'admin', displayName: 'Demo administrator', password: `admin-${adminPassword}`, roles: ['admin'] });
  const clerk = await demoAccount(cc, { username: 'clerk', displayName: 'Demo clerk', password: `clerk-${clerkPassword}`, roles: ['clerk'], courtroomIds: [room.id] });
  const judge = await demoAccount(cc, { username: 'judge', displayName: 'Demo court president', password: `judge-${judgePassword}`, roles: ['approver'], courtIds: [room.courtId] });
  await demoAccount(cc, { username: 'steno', displayName: 'Demo captioner', password: `steno-${stenoPassword}`, roles: ['captioner'], courtroomIds: [room.id] });
  await clearDemo(cc, hearing, clerk, judge);
  await cc.broadcasts.open(hearing.id);
  // The synthetic camera pushes over RTMP, or over WHIP as a courtroom PC would (COURTCAST_DEMO_SOURCE=whip).
  const viaWhip = process.env.COURTCAST_DEMO_SOURCE === 'whip';
  const camera = { width, height, fps: 30, toneHz: 440, caption: 'Courtroom 1 synthetic camera', counterEpochMs: Date.now() };
  const encoder = viaWhip
    ? new SyntheticWhipEncoder({ ...camera, whipUrl: `http://127.0.0.1:${cc.httpPort}/whip/${room.id}`, key: room.streamKey, hostAddresses: ['127.0.0.1'] }, config.ffmpegPath, cc.logger)
    : new SyntheticEncoder({ ...camera, target: `rtmp://127.0.0.1:${cc.rtmpPort}/live/${room.streamKey}`, format: 'flv' }, config.ffmpegPath, cc.logger);
  encoder.start();
  // A hearing recovered after a restart keeps its phase; the demo puts it back on the air.
  const phase = (await cc.broadcasts.view(hearing.id))?.status.phase ?? 'ready';
  if (phase === 'ready') await cc.broadcasts.command(hearing.id, 'start');
  else if (phase === 'paused' || phase === 'cut') await cc.broadcasts.command(hearing.id, 'resume');
  const base = `http://localhost:${cc.httpPort}`;
  const captions = await demoCaptions(cc, hearing, `steno-${stenoPassword}`);
  const lines = [
    '',
    'Courtcast demo is running.',
    `  Clerk console:            ${base}/console/   (sign in as the demo clerk below)`,
    `  Public portal:            ${base}/   (the hearing's page: ${base}/hearings/${hearing.id})`,
    `  Embed on any site:        <script type="module" src="${base}/player/courtcast-player.js"></script><courtcast-player hearing="${hearing.id}"></courtcast-player>`,
    `  Archive (as the admin):   ${base}/console/archive.html`,
    `  Public playlist:          ${base}/hls/hearings/${hearing.id}/master.m3u8`,
    `  Public schedule:          ${base}/public/schedule`,
    `  API description:          ${base}/openapi.json`,
    `  Demo clerk:               clerk / clerk-${clerkPassword}   (serves Courtroom 1)`,
    `  Demo approver:            judge / judge-${judgePassword}   (approves Demo District Court's broadcasts)`,
    `  Demo admin:               admin / admin-${adminPassword}`,
    `  Demo captioner:           steno / steno-${stenoPassword}   (${captions ? 'captions the demo hearing in English, over and over' : "the demo court publishes no English captions"})`,
    `  Sign in (API):            curl -X POST -H 'content-type: application/json' -d '{"username":"clerk","password":"clerk-${clerkPassword}"}' ${base}/api/auth/login`,
    `  Encoder ingest:           rtmp://127.0.0.1:${cc.rtmpPort}/live/<stream key>   or WHIP: ${base}/whip/${room.id} (the key as bearer token)`,
    `  Courtroom capture page:   ${base}/capture/${room.id}   (a browser sends its camera over WebRTC)`,
    `  Demo camera sends over:   ${viaWhip ? 'WHIP (WebRTC)' : 'RTMP'}`,
    `The picture airs ${hearing.delaySeconds} s after capture; the starting slate shows until then. Ctrl-C stops.`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return { close: async () => void (captions?.stop(), await encoder.close()) };
}

/**
 * Captions the demo hearing from a bundled subtitle file, over and over, through the API as the
 * demo captioner, as a court's speech-to-text engine would. None for a court whose captions an
 * admin changed to leave English out (a kept data directory).
 */
async function demoCaptions(cc: Courtcast, hearing: Hearing, password: string): Promise<CaptionFeed | null> {
  const court = await cc.registry.court(hearing.courtId);
  if (!court.captions?.languages.includes('en')) return null;
  const base = `http://127.0.0.1:${cc.httpPort}`;
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'steno', password }) });
  const { token } = (await login.json()) as { token: string };
  const { cues } = readSubtitleFile(await readFile(new URL('./demo/demo-hearing.vtt', import.meta.url), 'utf8'));
  const feed = new CaptionFeed({ base, hearingId: hearing.id, token, lang: 'en', cues, loop: true, logger: cc.logger });
  void feed.run();
  return feed;
}

async function main(): Promise<void> {
  const demo = process.argv.includes('--demo');
  let config;
  try {
    config = loadConfig({
      overrides: {
        // The demo prints its own banner; keep the JSON log to warnings unless asked otherwise.
        ...(demo && !process.env.COURTCAST_LOG_LEVEL ? { log: { level: 'warn' } } : {}),
        // The demo's WHIP camera is on this machine: the server offers loopback candidates too.
        ...(demo && process.env.COURTCAST_DEMO_SOURCE === 'whip' && !process.env.COURTCAST_WEBRTC_HOST_ADDRESSES ? { webrtc: { hostAddresses: ['127.0.0.1'] } } : {}),
      },
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = pino({ level: config.log.level });
  // A promise some library forgot to catch must not take every live delay line down with it;
  // privacy does not depend on it (everything unreleased stays pending), so log it and go on.
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled promise rejection'));
  const cc = await startCourtcast(config, { logger });
  const encoder = demo ? await runDemo(cc, config) : null;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void Promise.all([encoder?.close(), cc.close()]).finally(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`courtcast failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
