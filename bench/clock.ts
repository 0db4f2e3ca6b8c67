/**
 * The capture clock under load: delay accuracy and the live transcoder's speed, for a plain
 * hearing (the baseline) and for the same hearing under a 60 s storm of live masks, lifts and
 * retroactive masks, in one run on one server.
 *
 * Delay accuracy is read by an independent observer of the public output: it polls the public
 * playlist, notes when each segment first appears, and afterwards reads each segment's last frame
 * timestamp (the encoder's frame clock, which the transcoder keeps) and decodes its frame counter.
 * The frame clock is placed on the wall clock by its earliest arrival at the ingest server (the
 * bench samples what has arrived every 10 ms), so the error is
 * appeared - (arrival of the segment's last frame + one frame + D), independent of how the server
 * dated the segment. The server's own margin (appeared - (its capture end + D)) must never be
 * negative.
 * Usage: npm run bench -- clock [seconds] [hog cores] [phases, e.g. plain,storm]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import type { ReleaseRecord } from '../server/delay/delay-line.ts';
import { readCounter } from '../server/media/synthetic.ts';
import { SyntheticEncoder } from '../server/media/synthetic-encoder.ts';
import { videoPts } from '../server/media/ts-continuity.ts';
import { decodeFrames, PublicFeed } from '../test/support/public-feed.ts';
import { cpuSeconds, startCpuHog } from '../test/support/cpu-hog.ts';
import { approverToken, clearHearing } from '../test/support/governance.ts';
import { startTestServer } from '../test/support/server.ts';
import { benchArgs, numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';
import { quantile } from './stats.ts';

const SECONDS = SMOKE ? 3 : numberArg(0, 60);
const HOG_CORES = SMOKE ? 0.2 : numberArg(1, 0.4);
const FPS = 30;
const FRAME_MS = 1000 / FPS;
const D = SMOKE ? 2_000 : 10_000;
const LADDER = SMOKE
  ? SMOKE_LADDER
  : [
      { name: '720p', height: 720, videoKbps: 2800, audioKbps: 128 },
      { name: '480p', height: 480, videoKbps: 1400, audioKbps: 96 },
      { name: '360p', height: 360, videoKbps: 800, audioKbps: 96 },
      { name: 'audio', audioKbps: 64 },
    ];
const SOURCE = SMOKE ? { width: 320, height: 180 } : { width: 1280, height: 720 };
/** The rung the observer watches and decodes. */
const RUNG = LADDER[0]!.name;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const q = quantile;

interface PhaseResult {
  name: string;
  error: number[];
  serverMargin: number[];
  backlog: number[];
  speed: number;
  cores: number;
  records: ReleaseRecord[];
  masks: number;
  /** The load states the server reported during the phase, in order, without repeats. */
  loads: string[];
}

const server = await startTestServer({ media: { ladder: LADDER, segmentSeconds: 2, fps: FPS, liveMaskSlots: 2 }, delay: { minSeconds: 2, defaultSeconds: 10 } });
const cc = server.cc;
const logger = pino({ level: 'silent' });
const court = await cc.registry.createCourt({ name: 'Bench Court', timezone: 'UTC' });
// The court's approver, made (and confirmed) once, before phases that may run side by side clear their hearings.
await approverToken(server.base, server.token, court.id);

async function phase(name: string, storm: boolean, hogCores = 0): Promise<PhaseResult> {
  const room = await cc.registry.createCourtroom(court.id, { name: `Room ${name}`, ingest: 'rtmp' });
  const hearing = await cc.registry.createHearing({ courtroomId: room.id, caseNumber: `B-${name}`, title: 'Clock', caseType: 'civil', scheduledStart: new Date().toISOString(), delaySeconds: D / 1000, isPublic: true });
  // A court airs a hearing only once it is approved and reviewed, by two people.
  await clearHearing(server.base, server.token, court.id, hearing.id);
  const encoder = new SyntheticEncoder({ target: `rtmp://127.0.0.1:${cc.rtmpPort}/live/${room.streamKey}`, format: 'flv', ...SOURCE, fps: FPS, toneHz: 440, caption: 'Bench', counterEpochMs: Date.now() }, 'ffmpeg', logger);
  encoder.start();
  const hog = hogCores > 0 ? startCpuHog(hogCores) : null;
  await cc.broadcasts.command(hearing.id, 'open');
  await cc.broadcasts.command(hearing.id, 'start');
  const session = cc.broadcasts.live(hearing.id)!;
  const records: ReleaseRecord[] = [];
  session.on('released', (r) => records.push(r));
  const feed = new PublicFeed(`http://127.0.0.1:${cc.httpPort}/hls/hearings/${hearing.id}/${RUNG}/index.m3u8`).start(50);
  // Earliest arrival of the frame clock: min over samples of (now - newest timestamp arrived).
  let anchor = Number.POSITIVE_INFINITY;
  const sampler = setInterval(() => {
    const latest = cc.ingest.clockOf(room.id)?.latest;
    if (latest !== null && latest !== undefined) anchor = Math.min(anchor, Date.now() - latest);
  }, 10);
  await sleep(D + (SMOKE ? 2_000 : 6_000));

  const backlog: number[] = [];
  const loads: string[] = [];
  const backlogSampler = setInterval(() => {
    backlog.push(session.transcoderBacklogMs);
    const load = session.status().load;
    if (loads.at(-1) !== load) loads.push(load);
  }, 100);
  const capturedUntil = () => (cc.ingest.clockOf(room.id)?.latestAt ?? Number.NaN) - session.transcoderBacklogMs;
  const pid = session.ffmpegPid;
  const cpu0 = await cpuSeconds(pid);
  const t0 = Date.now();
  const c0 = capturedUntil();
  let masks = 0;
  if (storm) {
    const kinds = ['black', 'blur', 'pixelate'] as const;
    let live: string | null = null;
    for (let i = 0; Date.now() - t0 < SECONDS * 1000; i++) {
      if (live) await cc.broadcasts.liftMask(hearing.id, live, { actor: { kind: 'system' } });
      const region = { x: 0.1 + 0.05 * (i % 8), y: 0.2, w: 0.3, h: 0.3 };
      live = (await cc.broadcasts.requestMask(hearing.id, { kind: kinds[i % 3]!, region }, { kind: 'system' })).mask.id;
      masks++;
      if (i % 3 === 2) {
        // "Mask the last 3 s": a retroactive interval, which only a render can apply.
        const now = Date.now();
        await cc.broadcasts.requestMask(hearing.id, { kind: 'blur', region: { x: 0.6, y: 0.6, w: 0.3, h: 0.3 }, start: new Date(now - 3_000).toISOString(), end: new Date(now).toISOString() }, { kind: 'system' });
        masks++;
      }
      await sleep(1_300 + ((i * 377) % 900));
    }
    if (live) await cc.broadcasts.liftMask(hearing.id, live, { actor: { kind: 'system' } });
  } else {
    await sleep(SECONDS * 1000);
  }
  const wall = (Date.now() - t0) / 1000;
  const speed = (capturedUntil() - c0) / 1000 / wall;
  const cores = ((await cpuSeconds(pid)) - cpu0) / wall;
  clearInterval(backlogSampler);
  hog?.stop();
  await sleep(D + (SMOKE ? 1_000 : 4_000));
  await cc.broadcasts.command(hearing.id, 'end');
  await feed.untilEnded(D + 60_000);
  feed.stop();
  clearInterval(sampler);
  await encoder.close();

  const error: number[] = [];
  const serverMargin: number[] = [];
  for (const r of records.filter((x) => x.outcome === 'aired')) {
    const seen = feed.entries.get(r.seq);
    if (!seen) continue;
    serverMargin.push(seen.appearedAt - (r.captureEnd + D));
    const file = path.join(cc.dirs.public, 'hearings', hearing.id, RUNG, `${r.seq}.ts`);
    const body = await readFile(file);
    const frames = await decodeFrames(body);
    const last = frames.at(-1);
    const pts = videoPts(body);
    if (!last || readCounter(last.subarray(0, 640 * 40)) === 0 || pts.length === 0) continue;
    error.push(seen.appearedAt - (anchor + Math.max(...pts) * 1000 + FRAME_MS + D));
  }
  return { name, error, serverMargin, backlog, speed, cores, records, masks, loads };
}

const phases = {
  plain: () => phase('plain', false),
  storm: () => phase('storm', true),
  hog: () => phase(`hog ${HOG_CORES} cores`, false, HOG_CORES),
  both: () => phase(`storm beside the hog`, true, HOG_CORES),
} as const;
type PhaseKey = keyof typeof phases;
// A third argument picks phases (`plain,storm`), for working on one; the plain phase is the baseline.
const picked = (benchArgs[2]?.split(',') ?? ['plain', 'storm', 'hog', 'both']).filter((k): k is PhaseKey => k in phases);
// The smoke run only proves the bench still works, so it runs the plain phase beside the one that
// exercises everything else (the storm beside the hog), side by side.
const byKey = new Map<PhaseKey, PhaseResult>();
if (SMOKE) {
  const [p, b] = await Promise.all([phases.plain(), phases.both()]);
  byKey.set('plain', p).set('both', b);
} else for (const k of picked) byKey.set(k, await phases[k]());
const results = [...byKey.values()];
const [plain, storm, hogged, both] = (['plain', 'storm', 'hog', 'both'] as const).map((k) => byKey.get(k) ?? null);
await server.close();

const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
process.stdout.write(`\nCapture clock under load: ${SOURCE.width}x${SOURCE.height}p30 encoder over RTMP, ladder ${LADDER.map((r) => r.name).join(', ')}, D = ${D / 1000} s, ${SECONDS} s measured per phase${SMOKE ? ' (smoke)' : ''}\n\n`);
process.stdout.write('| phase | segments | delay error p50 | p99 | max | min server margin | transcoder speed | backlog p50 | p99 | cores | live-proven | renders | cards | share carded | stand-by | load states |\n');
process.stdout.write('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n');
for (const p of results) {
  const renders = p.records.filter((r) => r.outcome === 'aired' && r.masked && !r.live).length;
  const cards = p.records.filter((r) => r.reason === 'mask-unproven').length;
  const standby = p.records.filter((r) => r.outcome === 'standby').length;
  const live = p.records.filter((r) => r.live).length;
  // Of the segments a mask touched (aired masked, live or rendered, or carded), the share carded.
  const touched = live + renders + cards;
  process.stdout.write(
    `| ${p.name}${p.masks ? ` (${p.masks} masks)` : ''} | ${p.error.length} | ${f(q(p.error, 0.5))} ms | ${f(q(p.error, 0.99))} ms | ${f(Math.max(...p.error))} ms | ${f(Math.min(...p.serverMargin))} ms | ${f(p.speed, 2)}× | ${f(q(p.backlog, 0.5))} ms | ${f(q(p.backlog, 0.99))} ms | ${f(p.cores, 2)} | ${live} | ${renders} | ${cards} | ${touched ? `${f((100 * cards) / touched)}%` : 'n/a'} | ${standby} | ${p.loads.join(' → ')} |\n`,
  );
}
if (plain && storm && hogged && both) {
  process.stdout.write(`\nRatios storm / plain: transcoder speed ${f(storm.speed / plain.speed, 2)}, cores ${f(storm.cores / plain.cores, 2)}, delay error p99 ${f(q(storm.error, 0.99) / q(plain.error, 0.99), 2)}.\n`);
  process.stdout.write(`Ratios hog / plain: transcoder speed ${f(hogged.speed / plain.speed, 2)}, delay error p99 ${f(q(hogged.error, 0.99) / q(plain.error, 0.99), 2)}; storm beside the hog / plain: ${f(both.speed / plain.speed, 2)}, ${f(q(both.error, 0.99) / q(plain.error, 0.99), 2)}.\n`);
}
// The smoke run proves the bench still works end to end: both phases released segments and the
// plain phase aired program to measure. The storm may air only cards in 3 s beside other smokes
// (its masks cover most of it), so it is not required to measure a delay.
if (SMOKE && (results.some((p) => p.records.length === 0) || !plain || plain.error.length === 0)) {
  process.stderr.write('clock smoke: a phase released nothing, or the plain phase aired no program\n');
  process.exit(1);
}

