/**
 * Mask lag: from a clerk's live mask command to the first masked frame the public sees, in
 * frames, against bare FFmpeg switching the same black box through its zmq filter in the same
 * run (the floor of the route). Both are read on the encoder's clock (the burned-in frame
 * counter); Courtcast is also read on the published capture timeline (PROGRAM-DATE-TIME), the
 * timeline masks are defined on.
 * The hearing is approved and reviewed first, as a court would before it airs.
 * Usage: npm run bench -- lag [masks] [--smoke]   (smoke: two masks of two seconds, one seen on each route is enough, D = 2 s)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import HLS from 'hls-parser';
import { pino } from 'pino';
import { slotOnCommands, slotOffCommand } from '../server/media/live-slots.ts';
import { freeLoopbackPorts } from '../server/media/ports.ts';
import { videoPts } from '../server/media/ts-continuity.ts';
import { dateSegment, type CaptureClock } from '../server/pipeline/capture-dating.ts';
import { specToArgs } from '../server/media/spec.ts';
import { counterFilters, readCounter, syntheticEncoderSpec } from '../server/media/synthetic.ts';
import { SyntheticEncoder } from '../server/media/synthetic-encoder.ts';
import { ZmqCommandClient } from '../server/media/zmq-client.ts';
import { decodeFrames, regionStats } from '../test/support/public-feed.ts';
import { clearHearing } from '../test/support/governance.ts';
import { startTestServer } from '../test/support/server.ts';
import { numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';

// The smoke makes two masks and needs one seen on each route: beside other smokes on two cores, a
// single short mask's segments were twice carded whole (live slot unproven, the safe outcome) and
// the bench measured nothing.
// ci83 to ci85 saw neither of two masks on the public side of a smoke run beside three others: three now.
const MASKS = SMOKE ? 3 : numberArg(0, 6);
const NEEDED = SMOKE ? 1 : MASKS;
const D_SECONDS = SMOKE ? 2 : 4;
const FPS = 30;
const FRAME_MS = 1000 / FPS;
/** The encoders' picture; every decoded frame is read at 640x360 (the tests' decoder scales to it). */
const W = SMOKE ? 320 : 640;
const H = SMOKE ? 180 : 360;
const LADDER = SMOKE ? SMOKE_LADDER : [{ name: '360p', height: 360, videoKbps: 600, audioKbps: 64 }, { name: 'audio', audioKbps: 64 }];
const RUNG = LADDER[0]!.name;
/** The decoded frame's rows that hold the counter. */
const STRIP = 640 * 40;
const REGION = { x: 0.3, y: 0.35, w: 0.35, h: 0.4 };
const ON_MS = SMOKE ? 2000 : 3000;
const OFF_MS = SMOKE ? 1000 : 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Grey 640x360 frames of a TS file (the tests' decoder), each with its capture instant as the
 * server dates it (pipeline/capture-dating.ts) given the ingest clock, else null.
 */
const frames = async (file: string, clock: CaptureClock | null = null): Promise<{ picture: Uint8Array; dated: number | null }[]> => {
  const body = await readFile(file);
  const dates = clock ? dateSegment(videoPts(body).sort((a, b) => a - b), clock, FRAME_MS) : null;
  return (await decodeFrames(body)).map((picture, k) => ({ picture, dated: dates?.frames[k] ?? null }));
};

/** Whether the mask region is black in a frame. */
const masked = (f: Uint8Array): boolean => regionStats(f, REGION, 4).mean < 20;

/**
 * The first masked frame of the mask commanded at `sent[i]`, from 2 s before it on (a frame
 * captured before the command may be masked too), but not back into the previous mask: the smoke's
 * masks are a second apart, and a frame of the previous one read as this one's measured -59 frames.
 */
function firstMasked<F extends { t: number; masked: boolean }>(seen: F[], sent: readonly number[], i: number): F | null {
  const from = Math.max(sent[i]! - 2000, i > 0 ? sent[i - 1]! + ON_MS + OFF_MS / 2 : -Infinity);
  return seen.find((f) => f.masked && f.t >= from) ?? null;
}

const stats = (xs: number[]): string => {
  if (xs.length === 0) return 'none seen | | ';
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `${q(0.5).toFixed(1)} | ${s[0]!.toFixed(1)} | ${s.at(-1)!.toFixed(1)}`;
};

/** Courtcast end to end: synthetic encoder over RTMP, live slot, delay line, public HLS. */
async function courtcast(): Promise<{ capture: number[]; published: number[]; dated: number[]; carded: number; leaked: string[] }> {
  // The tests' server: free ports, a throwaway data directory, silent logs.
  const server = await startTestServer({ media: { ladder: LADDER, segmentSeconds: 2, fps: FPS, liveMaskSlots: 2 } });
  const cc = server.cc;
  const logger = pino({ level: 'silent' });
  const court = await cc.registry.createCourt({ name: 'Bench Court', timezone: 'UTC' });
  const room = await cc.registry.createCourtroom(court.id, { name: 'Room', ingest: 'rtmp' });
  const hearing = await cc.registry.createHearing({ courtroomId: room.id, caseNumber: 'B-1', title: 'Lag', caseType: 'civil', scheduledStart: new Date().toISOString(), delaySeconds: D_SECONDS, isPublic: true });
  await clearHearing(server.base, server.token, court.id, hearing.id);
  const epoch = Date.now();
  const encoder = new SyntheticEncoder({ target: `rtmp://127.0.0.1:${cc.rtmpPort}/live/${room.streamKey}`, format: 'flv', width: W, height: H, fps: FPS, toneHz: 440, caption: 'Bench', counterEpochMs: epoch }, 'ffmpeg', logger);
  encoder.start();
  await cc.broadcasts.command(hearing.id, 'open');
  await cc.broadcasts.command(hearing.id, 'start');
  await sleep(D_SECONDS * 1000 + 4000);
  const sent: number[] = [];
  /** Each mask's span on the capture timeline: from its start to the lift's request, when it was surely on. */
  const spans: { start: number; end: number }[] = [];
  for (let i = 0; i < MASKS; i++) {
    sent.push(Date.now());
    const { mask } = await cc.broadcasts.requestMask(hearing.id, { kind: 'black', region: REGION }, { kind: 'system' });
    await sleep(ON_MS);
    spans.push({ start: mask.start, end: Date.now() });
    await cc.broadcasts.liftMask(hearing.id, mask.id, { actor: { kind: 'system' } });
    await sleep(OFF_MS);
  }
  await cc.broadcasts.command(hearing.id, 'end');
  const base = `http://127.0.0.1:${cc.httpPort}/hls/hearings/${hearing.id}/${RUNG}/`;
  let playlist: ReturnType<typeof HLS.parse> | null = null;
  for (let i = 0; i < 300 && !(playlist && 'endlist' in playlist && playlist.endlist); i++) {
    await sleep(200);
    const res = await fetch(`${base}index.m3u8`);
    if (res.ok) playlist = HLS.parse(await res.text());
  }
  // The public window slides, so read the segments from the public store, where all remain.
  const seen: { t: number; published: number | null; dated: number | null; masked: boolean }[] = [];
  const media = playlist as HLS.types.MediaPlaylist;
  const first = media.mediaSequenceBase ?? 0;
  // The server's own dating of each frame: when it reached us.
  const clock = cc.ingest.clockOf(room.id);
  for (let seq = 0; seq < first + media.segments.length; seq++) {
    const entry = seq >= first ? media.segments[seq - first] : undefined;
    const file = path.join(cc.dirs.public, 'hearings', hearing.id, RUNG, `${seq}.ts`);
    const decoded = await frames(file, clock).catch(() => []);
    decoded.forEach(({ picture: f, dated }, k) => {
      const c = readCounter(f.subarray(0, STRIP));
      if (c > 0) seen.push({ t: epoch + c * FRAME_MS, published: entry?.programDateTime ? entry.programDateTime.getTime() + k * FRAME_MS : null, dated, masked: masked(f) });
    });
  }
  await encoder.close();
  await server.close();
  const capture: number[] = [];
  const published: number[] = [];
  const dated: number[] = [];
  for (const [i, t] of sent.entries()) {
    const f = firstMasked(seen, sent, i);
    if (!f) continue;
    capture.push((f.t - t) / FRAME_MS);
    if (f.published !== null) published.push((f.published - t) / FRAME_MS);
    // By the server's dating: how many frames that reached us after the command aired before the
    // first masked one (0 is exact; frames come in bursts, so a time difference would measure the
    // encoder's gaps), or less how many that reached us before it were masked too.
    if (f.dated !== null) {
      const after = seen.filter((x) => x.dated !== null && x.dated >= spans[i]!.start && x.dated < f.dated! && !x.masked).length;
      const before = seen.filter((x) => x.dated !== null && x.dated < spans[i]!.start && x.dated >= f.dated! && x.masked).length;
      dated.push(after - before);
    }
  }
  // A mask none of whose frames aired was carded whole (its live slot unproven in time: the safe
  // outcome, and a loaded machine's). A frame the server dated inside a mask (a frame's margin
  // each side) that aired clear is a leak: the server's dating, not PROGRAM-DATE-TIME plus k/fps,
  // which assumes frames reached us evenly where a loaded encoder sends bursts.
  const aired = (x: (typeof seen)[number], span: { start: number; end: number }) => x.dated !== null && x.dated > span.start && x.dated < span.end;
  const inside = (x: (typeof seen)[number], span: { start: number; end: number }) => x.dated !== null && x.dated > span.start + FRAME_MS && x.dated < span.end - FRAME_MS;
  const carded = spans.filter((span) => !seen.some((x) => aired(x, span))).length;
  const leaked = spans.flatMap((span, i) => seen.filter((x) => inside(x, span) && !x.masked).map((x) => `mask ${i + 1}: a clear frame ${Math.round(x.dated! - span.start)} ms into it`));
  return { capture, published, dated, carded, leaked };
}

/** The floor: FFmpeg drawing the counter pattern with the same zmq black-box slot, no network. */
async function bare(): Promise<number[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'courtcast-bench-lag-bare-'));
  const [port] = (await freeLoopbackPorts(1)) as [number];
  const epoch = Date.now();
  const spec = syntheticEncoderSpec({ target: path.join(dir, 'out.ts'), format: 'mpegts', width: W, height: H, fps: FPS, frameOffset: 0, toneHz: 440, caption: 'Bench' });
  const args = specToArgs(spec);
  const vf = args.indexOf('-vf') + 1;
  args[vf] = [...counterFilters(W, H, Math.round((Date.now() - epoch) / FRAME_MS)), `zmq=bind_address=tcp\\\\://127.0.0.1\\\\:${port}`, 'drawbox@kb0=x=0:y=0:w=2:h=2:color=black:t=fill:enable=0'].join(',');
  const seconds = (MASKS * (ON_MS + OFF_MS)) / 1000 + 4;
  const child = spawn('ffmpeg', [...args.slice(0, -1), '-t', String(seconds), args.at(-1)!], { stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  const client = new ZmqCommandClient(port);
  for (let i = 0; i < 100 && (await client.send(slotOffCommand('black', 0)).catch(() => null))?.code !== 0; i++) await sleep(100);
  await sleep(2000);
  const sent: number[] = [];
  for (let i = 0; i < MASKS; i++) {
    sent.push(Date.now());
    await client.sendBatch(slotOnCommands('black', 0, { region: REGION }));
    await sleep(ON_MS);
    await client.send(slotOffCommand('black', 0));
    await sleep(OFF_MS);
  }
  client.close();
  await exited;
  const seen = (await frames(path.join(dir, 'out.ts'))).map(({ picture: f }) => ({ t: epoch + readCounter(f.subarray(0, STRIP)) * FRAME_MS, masked: masked(f) }));
  rmSync(dir, { recursive: true, force: true });
  return sent.flatMap((t, i) => {
    const f = firstMasked(seen, sent, i);
    return f ? [(f.t - t) / FRAME_MS] : [];
  });
}

// The smoke run only proves both routes work, so it runs them side by side.
const [floor, cc] = SMOKE ? await Promise.all([bare(), courtcast()]) : [await bare(), await courtcast()];
process.stdout.write(`\nLive black mask: command to first masked frame, in frames at ${FPS} fps, ${MASKS} masks each (negative = frames captured before the command were masked too)\n\n`);
process.stdout.write('| route | timeline | median | min | max |\n| --- | --- | --- | --- | --- |\n');
process.stdout.write(`| bare FFmpeg zmq drawbox (floor) | encoder clock | ${stats(floor)} |\n`);
process.stdout.write(`| Courtcast, public HLS | encoder clock | ${stats(cc.capture)} |\n`);
process.stdout.write(`| Courtcast, public HLS | published capture timeline | ${stats(cc.published)} |\n`);
process.stdout.write(`| Courtcast, public HLS | clear frames that reached us after the command (server's dating) | ${stats(cc.dated)} |\n`);
process.stdout.write(`\nMasks measured: bare ${floor.length}/${MASKS}, Courtcast ${cc.capture.length}/${MASKS}; carded whole (none of their frames aired: the live slot was not proven in time) ${cc.carded}. Target: <= 2 frames.\n`);
if (cc.leaked.length > 0) {
  process.stderr.write(`lag: frames inside a mask aired in the clear:\n${cc.leaked.join('\n')}\n`);
  process.exit(1);
}
// The smoke proves the routes run: a Courtcast mask carded whole rather than measured is what a
// starved machine does (ci83 to ci86, ci92 beside three other smokes), not a broken route. The
// full run must measure every mask.
const measuredOrCarded = SMOKE ? cc.capture.length + cc.carded : cc.capture.length;
if (floor.length < NEEDED || measuredOrCarded < NEEDED) {
  process.stderr.write('lag: a mask was never seen masked\n');
  process.exit(1);
}
