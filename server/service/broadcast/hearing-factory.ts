import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { OverlayStyle } from '../../media/time-overlay.ts';
import { MAIN_CAMERA, programStreamId, sourceStreamId, type CameraSource, type Court, type Courtroom, type Hearing } from '../../domain/courts.ts';
import type { CheckpointSigner } from '../../domain/live-checkpoint.ts';
import type { Logger } from '../../domain/logger.ts';
import { emptyProgram, type BroadcastProgram } from '../../domain/program.ts';
import { DelayLine, GAP_GRACE_MS, type DelayLineState } from '../../delay/delay-line.ts';
import { isShed } from '../../domain/shedding.ts';
import { FfmpegMaskRenderer } from '../../delay/mask-renderer.ts';
import type { VariantInfo } from '../../delay/playlist.ts';
import type { SlateLibrary, SlateSource } from '../../delay/slates.ts';
import type { Ingest } from '../../ingest/ingest.ts';
import type { InternalKeys } from '../../ingest/internal-keys.ts';
import { CAMERA_READ_TIMEOUT_MS, Compositor } from '../../pipeline/compositor.ts';
import type { Arrangement } from '../../domain/arrangements.ts';
import { GOP_HANDOVER_MAX_AGE_MS } from '../../ingest/gop-in-progress.ts';
import { rtmpPullInput, srtGatewaySpec, srtListenInput, type RungOptions } from '../../media/args.ts';
import { backoffPolicy } from '../../media/restart-policy.ts';
import { cameraListFile, rtspGatewaySpec } from '../../media/rtsp-gateway.ts';
import type { FfmpegSpec } from '../../media/spec.ts';
import { HearingPipeline } from '../../pipeline/hearing-pipeline.ts';
import { writeFileDurably } from '../../store/durable-file.ts';
import type { ObjectStore } from '../../store/object-store.ts';
import type { StateStore } from '../../store/state-store.ts';
import type { Fence } from '../../store/leases.ts';
import { CaptionTrack } from './caption-track.ts';
import { LiveHearing } from './live-hearing.ts';
import { programRecords, releaseRecords } from './hearing-records.ts';
import type { Registry } from '../court/registry.ts';
import { hearingPrefix, masterPlaylistKey } from '../../delay/public-keys.ts';

/** What a recovered hearing resumes from. */
export interface Restore {
  readonly program: BroadcastProgram;
  readonly delay?: DelayLineState;
  readonly firstRun: number;
}

/** What it takes to build a live hearing, assembled by the composition root. */
export interface HearingFactoryOptions {
  readonly registry: Registry;
  readonly state: StateStore;
  readonly publicStore: ObjectStore;
  readonly slates: SlateLibrary;
  readonly ingest: Ingest;
  /** Keys for the program a hearing composes and publishes to this node's own ingest. */
  readonly internalKeys?: InternalKeys;
  readonly ladder: readonly RungOptions[];
  readonly segmentSeconds: number;
  readonly fps: number;
  readonly ffmpegPath: string;
  /** Private directories; never under the public store's root. */
  readonly pendingRoot: string;
  readonly masterRoot: string;
  /** Local, fsynced copies of each live hearing's program, for recovery when the store missed a change. */
  readonly journalRoot: string;
  readonly publicWindow: number;
  /** Interface the per-courtroom SRT listeners bind. */
  readonly srtBindHost: string;
  /** How long an encoder may be gone before it is reported as an outage. */
  readonly encoderGraceMs: number;
  /** Longest the transcoder works off its backlog after an end. */
  readonly endDrainMs?: number;
  /** Live mask slots per kind in each transcoder (zmq); 0 re-renders every masked segment. */
  readonly liveMaskSlots?: number;
  /** How the court's time is drawn on the public picture; null: never (each court may also opt out). */
  readonly timeOverlay?: OverlayStyle | null;
  /** Signs each live hearing's checkpoint of what it published (the archive's key); none without it. */
  readonly checkpoints?: CheckpointSigner;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** This node's hold on a hearing: the fence its state writes carry, and whether it may release. */
export interface Tenure {
  /** The token this node's hold began with. */
  readonly token: number;
  /** The fence as it stands (a hold retaken after a store outage carries a newer token). */
  readonly fence: () => Fence;
  readonly mayRelease: () => boolean;
}

/** Runs each holder of a hearing's lease may number before the next holder's block begins. */
export const RUNS_PER_HOLDER = 10_000;

/**
 * The first run number a holder uses: each holder of a hearing's lease starts a block of
 * RUNS_PER_HOLDER after its predecessors', whatever its fencing token, so runs recorded on
 * different nodes never share a name in the shared archive (an encoder that reconnects all day
 * uses a run per connection, so a block of a hundred was not enough, and tokens past 99 used to
 * fall back to the local count). Names grow past four digits from the second holder on.
 */
export function firstRunOf(localNext: number, token: number): number {
  return token > 1 ? Math.max(localNext, (token - 1) * RUNS_PER_HOLDER + 1) : localNext;
}

/** The public-store prefix of a hearing. */
export { hearingPrefix as publicPrefix } from '../../delay/public-keys.ts';
/** The public store key (and /hls/ path) of a hearing's master playlist. */
export const publicMasterKey = (hearingId: string): string => masterPlaylistKey(hearingPrefix(hearingId));

/** Where a hearing's program journal lives. */
export const programJournal = (journalRoot: string, hearingId: string): string => path.join(journalRoot, 'programs', `${hearingId}.json`);

/** Estimated bandwidth and codec strings of each rung, for the master playlist. */
export function variantsOf(ladder: readonly RungOptions[]): VariantInfo[] {
  return ladder.map((r) => {
    const kbps = (r.videoKbps ?? 0) + r.audioKbps;
    const bandwidth = Math.round(kbps * 1000 * 1.1);
    if (r.height === undefined) return { rung: r.name, bandwidth, codecs: 'mp4a.40.2' };
    const width = Math.round((r.height * 16) / 9 / 2) * 2;
    return { rung: r.name, bandwidth, width, height: r.height, codecs: 'avc1.4d401f,mp4a.40.2' };
  });
}

/**
 * Builds a live hearing from its parts: the pipeline (the courtroom's FFmpegs), the delay line
 * (release at capture end + D, the gate, renders) and the live hearing that owns the program and
 * ties them together. Nothing runs until the session is started.
 */
/** What of a courtroom's camera URLs (its own and its sources') must never be logged: the URLs themselves and their credentials, raw and decoded. */
function cameraSecrets(room: Courtroom): string[] {
  return [room.camera, ...(room.sources ?? []).map((x) => x.camera)].flatMap((camera) => {
    if (!camera) return [];
    const u = new URL(camera.url);
    return [camera.url, u.password, decodeURIComponent(u.password), `${u.username}:${u.password}`].filter((x) => x.length >= 4);
  });
}

/** An SRT listener on `port` whose passphrase is the camera's key, copying what it receives into the ingest. */
function srtRelay(x: { host: string; port: number; key: string; publishUrl: string; progressFile: string }): FfmpegSpec {
  const listen = srtListenInput({ host: x.host, port: x.port, passphrase: x.key });
  return srtGatewaySpec({ listen, publishUrl: x.publishUrl, progressFile: x.progressFile });
}

/**
 * The relay that pulls an IP camera into the ingest under `key`. The camera's URL goes in a file
 * only the server reads, beside the run's progress file, never on the command line.
 */
function rtspRelay(camera: CameraSource, publishUrl: string): (progressFile: string) => FfmpegSpec {
  return (progressFile) => {
    const listFile = path.join(path.dirname(progressFile), 'camera.ffconcat');
    writeFileSync(listFile, cameraListFile(camera), { mode: 0o600 });
    return rtspGatewaySpec({ listFile, publishUrl, progressFile });
  };
}

/**
 * The compositor of a courtroom whose program is composed from its cameras (null otherwise): it
 * publishes the program into this node's ingest under a key minted for the hearing, at the top
 * rung's size (at least 360 lines, so a small tile stays legible).
 */
function programCompositor(o: HearingFactoryOptions, hearing: Hearing, room: Courtroom, slates: SlateSource, arrangement: Arrangement | null, offAir: () => boolean): Compositor | null {
  if (!room.program || !arrangement || !o.internalKeys) return null;
  const keys = o.internalKeys;
  const stream = programStreamId(room.id);
  const key = keys.mint(stream);
  const streamOf = (name: string) => (name === MAIN_CAMERA ? room.id : sourceStreamId(room.id, name));
  // Every camera of the courtroom is read, shown or not, so a clerk can switch to it at once (the
  // sound's camera among them, the mixer feed under a single camera).
  const names = [MAIN_CAMERA, ...(room.sources ?? []).map((x) => x.name)];
  const height = Math.max(360, ...o.ladder.map((r) => r.height ?? 0));
  const compositor = new Compositor({
    hearingId: hearing.id,
    cameras: names.map((name) => ({ name, stream: streamOf(name) })),
    layout: arrangement.layout,
    shown: arrangement.cameras,
    programStream: stream,
    sound: room.program.sound,
    unavailable: slates.cameraUnavailable,
    width: Math.round((height * 16) / 9 / 2) * 2,
    height,
    fps: o.fps,
    ingest: o.ingest,
    publishKey: () => key,
    handoverMs: GOP_HANDOVER_MAX_AGE_MS,
    workDir: path.join(o.pendingRoot, hearing.id, 'compositor'),
    ffmpegPath: o.ffmpegPath,
    policy: backoffPolicy({ baseMs: 250, maxMs: 5000, healthyMs: 10_000 }),
    logger: o.logger,
    secrets: () => o.ingest.secrets,
    closed: () => keys.revoke(stream),
    offAir,
  });
  return compositor;
}

export function buildLiveHearing(o: HearingFactoryOptions, hearing: Hearing, room: Courtroom, court: Court, slates: SlateSource, tenure: Tenure, restore?: Restore): LiveHearing {
  const now = o.now ?? Date.now;
  const log = o.logger;
  // A composed program starts as the courtroom lays it out, or as a clerk last switched it.
  const restored = restore?.program ?? emptyProgram(now());
  const program: BroadcastProgram = room.program && !restored.arrangements?.length ? { ...restored, arrangements: [{ at: restored.lastActionAt, layout: room.program.layout, cameras: [...room.program.cameras] }] } : restored;
  const compositor = programCompositor(o, hearing, room, slates, program.arrangements?.at(-1) ?? null, () => session.program.phase !== 'on-air');
  const pipeline = new HearingPipeline({
    hearingId: hearing.id,
    ffmpegPath: o.ffmpegPath,
    logger: log,
    ladder: o.ladder,
    segmentSeconds: o.segmentSeconds,
    fps: o.fps,
    // Every run pulls the courtroom from the RTMP ingest, whose clock dates its frames; an SRT
    // courtroom's encoder reaches it through a stream-copy relay. The key is read at each run,
    // so a rotated key applies to the next connection.
    // A composed program is read from the compositor's stream and dated by its clock; the master
    // is always the courtroom's own feed as it came.
    input: (reader) => rtmpPullInput(o.ingest.pullUrl(compositor && reader === 'transcode' ? programStreamId(room.id) : room.id, { fromKeyframe: reader === 'transcode' }), 5000),
    inputHeadStartMs: GOP_HANDOVER_MAX_AGE_MS,
    clock: (reader) => (compositor && reader === 'transcode' ? compositor.clock : o.ingest.clockOf(room.id)),
    ...(compositor ? { program: compositor } : {}),
    ...(room.ingest === 'srt'
      ? {
          gateway: (progressFile: string) => {
            const key = o.registry.currentKey(room.id) ?? room.streamKey;
            return srtRelay({ host: o.srtBindHost, port: room.srtPort ?? 0, key, publishUrl: o.ingest.publishUrl(key), progressFile });
          },
        }
      : room.ingest === 'rtsp' && room.camera
        ? { gateway: (progressFile: string) => rtspRelay(room.camera!, o.ingest.publishUrl(o.registry.currentKey(room.id) ?? room.streamKey))(progressFile) }
        : {}),
    // Each further camera is recorded from its own stream in the ingest, on its own clock; an
    // RTSP one is pulled into it by a relay of its own, under the internal key it was given, and
    // an SRT one reaches it through a listener of its own whose passphrase is its key.
    sources: (room.sources ?? []).map((x) => {
      const stream = sourceStreamId(room.id, x.name);
      const key = () => o.registry.currentKey(stream) ?? x.streamKey!;
      const relay =
        x.ingest === 'rtsp' && x.camera && x.streamKey
          ? { gateway: (progressFile: string) => rtspRelay(x.camera!, o.ingest.publishUrl(key()))(progressFile) }
          : x.ingest === 'srt' && x.srtPort !== undefined && x.streamKey
            ? { gateway: (progressFile: string) => srtRelay({ host: o.srtBindHost, port: x.srtPort!, key: key(), publishUrl: o.ingest.publishUrl(key()), progressFile }) }
            : {};
      return { name: x.name, input: () => rtmpPullInput(o.ingest.pullUrl(stream), 5000), clock: () => o.ingest.clockOf(stream), ...relay };
    }),
    // Stream keys, a camera's credentials and pull tokens never reach the logs.
    secrets: () => [o.registry.currentKey(room.id) ?? room.streamKey, room.streamKey, ...cameraSecrets(room), ...(room.sources ?? []).flatMap((x) => (x.streamKey ? [x.streamKey] : [])), ...o.ingest.secrets],
    pendingDir: path.join(o.pendingRoot, hearing.id),
    masterDir: path.join(o.masterRoot, hearing.id),
    policy: backoffPolicy({ baseMs: 250, maxMs: 5000, healthyMs: 10_000 }),
    firstRun: firstRunOf(restore?.firstRun ?? 1, tenure.token),
    liveMaskSlots: o.liveMaskSlots ?? 0,
    ...(o.timeOverlay && court.timeOverlay !== false ? { timeOverlay: { timeZone: court.timezone, style: o.timeOverlay } } : {}),
    now,
  });
  // A court that publishes subtitles gets a caption track per hearing: cues go on the air from
  // memory at once, and what the log already holds (a restart, a takeover) is taken back in.
  const captions = court.captions
    ? new CaptionTrack({ hearingId: hearing.id, languages: court.captions.languages, state: o.state, delayMs: hearing.delaySeconds * 1000, releasedUntil: () => delay.releasedUntil, now, logger: log })
    : null;
  if (captions) void captions.restore().catch((err: unknown) => log.error({ hearingId: hearing.id, err }, 'could not read the captions logged so far'));
  const delay: DelayLine = new DelayLine({
    hearingId: hearing.id,
    delayMs: hearing.delaySeconds * 1000,
    segmentSeconds: o.segmentSeconds,
    fps: o.fps,
    rungs: o.ladder.map((r) => r.name),
    variants: variantsOf(o.ladder),
    window: o.publicWindow,
    publicStore: o.publicStore,
    publicPrefix: hearingPrefix(hearing.id),
    slates,
    // The live hearing owns the program; the delay line reads it there at every decision.
    program: () => session.program,
    ...(captions && court.captions ? { captions: { languages: court.captions.languages, cues: () => captions.all(), policy: court.captions } } : {}),
    // A hearing that is not public never airs: its public playlist only ever carries slates.
    broadcast: hearing.isPublic,
    persist: (s) => releaseRecords(o.state).putFenced(hearing.id, s, tenure.fence()),
    mayRelease: tenure.mayRelease,
    logger: log,
    now,
    transcoderBacklogMs: () => session.transcoderBacklogMs,
    // A composed program passes through one FFmpeg more, the compositor, with hiccups of its own
    // (a grace as the transcoder's), and a camera that hangs holds it back until the compositor
    // stops waiting for it: neither is a gap in the program, and the other cameras go on.
    ...(compositor ? { gapGraceMs: 2 * GAP_GRACE_MS + CAMERA_READ_TIMEOUT_MS } : {}),
    rendersShed: () => isShed(session.shedLevel, 'retroactive-renders'),
    renderer: new FfmpegMaskRenderer({
      ffmpegPath: o.ffmpegPath,
      ladder: o.ladder,
      fps: o.fps,
      segmentSeconds: o.segmentSeconds,
      workDir: path.join(o.pendingRoot, hearing.id, 'masked'),
      logger: log,
    }),
    ...(restore?.delay ? { initial: restore.delay } : {}),
    ...(o.checkpoints ? { checkpoints: o.checkpoints } : {}),
  });
  const session: LiveHearing = new LiveHearing(hearing, pipeline, delay, program, {
    ...(compositor ? { compositor, cameraLabels: Object.fromEntries((room.sources ?? []).map((x) => [x.name, x.label])) } : {}),
    ...(captions ? { captions } : {}),
    persistProgram: (p) => programRecords(o.state).putFenced(hearing.id, p, tenure.fence()),
    journalProgram: (p) => writeFileDurably(programJournal(o.journalRoot, hearing.id), JSON.stringify(p)),
    logger: log,
    now,
    segmentSeconds: o.segmentSeconds,
    graceMs: o.encoderGraceMs,
    ...(o.endDrainMs !== undefined ? { endDrainMs: o.endDrainMs } : {}),
  });
  return session;
}

