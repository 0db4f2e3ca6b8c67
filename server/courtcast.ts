import { sign } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { createServer } from 'node:http';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { ControlChannel } from './control/namespace.ts';
import { openSocketServer } from './control/socket-server.ts';
import { SlateLibrary } from './delay/slates.ts';
import { isCourtcastError } from './domain/errors.ts';
import { ViewerCounter } from './service/publicity/viewers.ts';
import { SCRYPT_LOG_N } from './service/identity/passwords.ts';
import { Accounts } from './service/identity/accounts.ts';
import { Tokens } from './service/identity/tokens.ts';
import { createHttpApp } from './http/app.ts';
import { RtmpIngest } from './ingest/rtmp-ingest.ts';
import { BroadcastService } from './service/broadcast/broadcasts.ts';
import { Registry } from './service/court/registry.ts';
import { generatedSecret } from './store/secrets.ts';
import { openStateStore } from './store/open-state-store.ts';
import { RedisStateStore } from './store/redis-state-store.ts';
import type { StateStore } from './store/state-store.ts';
import { AuditTrail } from './audit/trail.ts';
import { HealthMonitor } from './service/operations/health.ts';
import { airedCodec, airedRecords, PublicStates } from './service/publicity/public-states.ts';
import { programRecords, releaseRecords } from './service/broadcast/hearing-records.ts';
import { Governance } from './service/court/governance.ts';
import { Cluster } from './service/cluster/cluster.ts';
import { PublicHearings } from './service/publicity/public-hearings.ts';
import { PublicationGate } from './service/publicity/publication-gate.ts';
import { Metrics } from './service/operations/metrics.ts';
import { HotObjectStore } from './store/hot-object-store.ts';
import { FrontDoor } from './http/front-door.ts';
import { answerHot, doorAnswerer } from './http/hot-answer.ts';
import { Replays } from './service/publicity/replays.ts';
import { PublicStats } from './service/publicity/public-stats.ts';
import { publicPrefix, variantsOf } from './service/broadcast/hearing-factory.ts';
import { openArchiveStore, openPublicStore } from './store/open-object-store.ts';
import type { ObjectStore } from './store/object-store.ts';
import { Recorder } from '../recorder/recorder.ts';
import { ArchiveCatalogue } from '../recorder/archive-catalogue.ts';
import { buffer } from 'node:stream/consumers';
import { Posters } from './service/publicity/posters.ts';
import { ReplayWords } from './service/publicity/replay-words.ts';
import { TransparencyLog } from './audit/transparency-log.ts';
import { loadBrand } from './http/portal-brand.ts';
import { chineseFontFile } from './media/fonts.ts';
import { loadSigningKey, type SigningKey } from '../recorder/signing-key.ts';
import { segmentKey, subtitleKey } from './delay/public-keys.ts';
import { CAPTION_LANGUAGES } from './domain/captions.ts';
import { transcriptOf } from './service/broadcast/caption-track.ts';
import { keepReceived } from './pipeline/received-media.ts';
import { WhipIngest } from './ingest/whip-ingest.ts';
import { WhepPreview } from './ingest/whep-preview.ts';
import { CourtcastError } from './domain/errors.ts';
import { WeriftEndpoint } from './webrtc/werift-endpoint.ts';
import { InternalKeys } from './ingest/internal-keys.ts';
import { ReadPulse } from './media/read-pulse.ts';

/** A running Courtcast: its bound ports, its services, and a clean shutdown. */
export interface Courtcast {
  readonly httpPort: number;
  readonly rtmpPort: number;
  readonly registry: Registry;
  readonly governance: Governance;
  readonly accounts: Accounts;
  readonly audit: AuditTrail;
  readonly state: StateStore;
  readonly broadcasts: BroadcastService;
  readonly control: ControlChannel;
  readonly ingest: RtmpIngest;
  /** Keys of the streams this node publishes to its own ingest (composed programs). */
  readonly internalKeys: InternalKeys;
  /** WHIP publishers, relayed into the RTMP ingest; null when WebRTC is off. */
  readonly whip: WhipIngest | null;
  /** WHEP previews for staff; null when WebRTC is off. */
  readonly whep: WhepPreview | null;
  /** The slate segments the public may be shown instead of the picture, in each court's language. */
  readonly slates: SlateLibrary;
  readonly recorder: Recorder;
  readonly archiveStore: ObjectStore;
  readonly signingKey: SigningKey;
  readonly logger: Logger;
  /** Where each kind of media lives on disk. Only `public` is reachable over HTTP. */
  readonly dirs: { readonly public: string; readonly pending: string; readonly master: string };
  close(): Promise<void>;
}

/** Options the composition root takes besides config. */
export interface CourtcastOptions {
  readonly logger?: Logger;
  /** Where rendered slates are cached; defaults to `<dataDir>/slates`. Tests share one. */
  readonly slateCacheDir?: string;
  /** Idempotency answers held in memory at most; tests lower it to see the bound work. */
  readonly maxIdempotencyKeys?: number;
  /** Public state streams (SSE) open at once at most; beyond it, 503. Tests lower it. */
  readonly maxEventStreams?: number;
  /** Open state streams one client address may hold (8 by default). */
  readonly maxEventStreamsPerClient?: number;
}

/**
 * The composition root: turns config into options, builds every component, wires their events,
 * and starts listening. The three media directories are siblings, so the public store's root can
 * never contain pending or master media.
 */
export async function startCourtcast(config: Config, opts: CourtcastOptions = {}): Promise<Courtcast> {
  const logger = opts.logger ?? pino({ level: config.log.level });
  // Read before anything starts: a missing emblem stops the start with nothing left running.
  const brand = await loadBrand(config.portal);
  const dataDir = path.resolve(config.dataDir);
  const dirs = { public: path.join(dataDir, 'public'), pending: path.join(dataDir, 'pending'), master: path.join(dataDir, 'master') };
  await Promise.all(Object.values(dirs).map((d) => mkdir(d, { recursive: true })));

  const state: StateStore = await openStateStore({ ...config, dataDir });
  const audit = new AuditTrail(state, { spoolDir: path.join(dataDir, 'journal', 'audit'), logger });
  await audit.start();
  // What the delay line publishes is also held in memory, so the origin serves viewers from there.
  const publicStore = new HotObjectStore(openPublicStore(config, dirs.public), config.http.originMemoryMb * 1024 * 1024);
  const registry = new Registry(state, config.delay);
  await registry.load();

  const ladder = config.media.ladder;
  // fontconfig is asked once, for the slates and the posters alike: a font installed later takes a restart.
  const fontOnce = chineseFontFile();
  const memoFont = () => fontOnce;
  const slates = new SlateLibrary({
    cacheDir: opts.slateCacheDir ?? config.media.slateCacheDir ?? path.join(dataDir, 'slates'),
    ladder,
    segmentSeconds: config.media.segmentSeconds,
    fps: config.media.fps,
    ffmpegPath: config.ffmpegPath,
    logger,
    chineseFont: memoFont,
  });
  await slates.prepare();

  // The WHIP sessions are built after the ingest they publish into; the ingest asks them when their media arrived.
  const whipIngest: { current: WhipIngest | null } = { current: null };
  // Ingest follows HTTP's interface unless told otherwise, so a loopback-only server is loopback-only.
  const ingestHost = config.ingest.bindHost ?? config.http.host;
  // Every media read on this process, so that starts, resumes and lifts wait until what reached us was read.
  const pulse = new ReadPulse();
  const internalKeys = new InternalKeys();
  const ingest = new RtmpIngest({
    port: config.ingest.rtmpPort,
    pulse,
    host: ingestHost,
    resolveKey: (key) => {
      const own = internalKeys.resolve(key);
      if (own) return { courtroomId: own };
      const id = registry.courtroomIdByKey(key);
      return id ? { courtroomId: id } : null;
    },
    // WHIP media is dated by when werift received it, not by when the relay passed it on.
    arrivalOf: (courtroomId, kind, ts) => whipIngest.current?.arrivalOf(courtroomId, kind, ts) ?? null,
    logger,
  });
  const rtmpPort = await ingest.start();

  const endpoint = config.webrtc.enabled
    ? new WeriftEndpoint({ hostAddresses: config.webrtc.hostAddresses, announcedAddresses: config.webrtc.announcedAddresses, iceServers: config.webrtc.iceServers, logger, pulse, ...(config.webrtc.portRange ? { portRange: config.webrtc.portRange } : {}) })
    : null;
  const whip: WhipIngest | null = endpoint
    ? new WhipIngest({
        endpoint,
        ingest,
        keyOf: (id) => registry.currentKey(id),
        ffmpegPath: config.ffmpegPath,
        workDir: path.join(dataDir, 'webrtc'),
        logger,
        maxSessions: config.webrtc.maxSessions,
        maxKbps: config.webrtc.maxKbps,
        idleTimeoutMs: config.webrtc.idleTimeoutMs,
        // A keyframe per segment: the master's segments and the ladder's both cut on them.
        keyframeIntervalMs: config.media.segmentSeconds * 1000,
        // Kept as received beside the master of the courtroom's live hearing (its sound is Opus there).
        keepReceived: async (courtroomId, segment) => {
          const live = broadcasts.liveHearings().find((h) => h.hearing.courtroomId === courtroomId);
          if (!live) return false;
          await keepReceived(path.join(dirs.master, live.hearing.id), segment);
          return true;
        },
      })
    : null;
  whipIngest.current = whip;
  const whep = endpoint ? new WhepPreview({ endpoint, ingest, ffmpegPath: config.ffmpegPath, logger, maxViewers: config.webrtc.maxViewers }) : null;

  const governance = new Governance({ state, registry, audit, logger });
  const cluster = new Cluster({
    nodeId: config.cluster.nodeId ?? `${os.hostname()}:${config.http.port}`,
    leases: state.leases,
    leaseMs: config.cluster.leaseSeconds * 1000,
    transport: state instanceof RedisStateStore ? state.transport() : null,
    logger,
  });
  // Nodes sharing Redis share one signing key, so the deployment publishes one public key. It
  // signs the archive's seals, the transparency log's heads and each live hearing's checkpoints.
  const signingKey = await loadSigningKey(dataDir, config.archive.signingKey, state instanceof RedisStateStore ? state : null);
  const broadcasts = new BroadcastService({
    checkpoints: { keyId: signingKey.keyId, sign: (data) => sign(null, data, signingKey.privateKey).toString('base64') },
    cluster,
    internalKeys,
    mediaRead: () => pulse.settled(),
    governance,
    registry,
    state,
    audit,
    publicStore,
    slates,
    ingest,
    ladder,
    segmentSeconds: config.media.segmentSeconds,
    fps: config.media.fps,
    ffmpegPath: config.ffmpegPath,
    pendingRoot: dirs.pending,
    masterRoot: dirs.master,
    journalRoot: path.join(dataDir, 'journal'),
    publicWindow: config.delay.publicWindowSegments,
    srtBindHost: ingestHost,
    encoderGraceMs: config.ingest.graceMs,
    endDrainMs: config.media.endDrainSeconds * 1000,
    liveMaskSlots: config.media.liveMaskSlots,
    encoderSource: (courtroomId) => whipIngest.current?.sourceOf(courtroomId) ?? null,
    timeOverlay: config.media.timeOverlay.enabled ? { position: config.media.timeOverlay.position, size: config.media.timeOverlay.size } : null,
    logger,
  });

  const archiveStore = openArchiveStore(config, dataDir);
  const topRung = ladder.find((r) => r.height !== undefined)?.name ?? (ladder[0]?.name as string);
  // Every final seal and replay decision, in a log anyone can check (RFC 9162), signed with the archive's key.
  const transparency = new TransparencyLog({ state, privateKey: signingKey.privateKey });
  const recorder = new Recorder({
    transparency,
    store: archiveStore,
    state,
    dir: path.join(dataDir, 'recorder'),
    key: signingKey,
    publicStore,
    publicKeyOf: (hearingId, rung, seq) => segmentKey(publicPrefix(hearingId), rung, seq),
    publicTextKeyOf: (hearingId, lang, seq) => subtitleKey(publicPrefix(hearingId), lang, seq),
    captionLanguages: CAPTION_LANGUAGES,
    rungs: ladder.map((r) => r.name),
    topRung,
    variants: variantsOf(ladder),
    segmentSeconds: config.media.segmentSeconds,
    masterDir: (hearingId) => path.join(dirs.master, hearingId),
    recordOf: async (hearingId) => ({
      format: 'courtcast-hearing-record/1',
      hearing: await registry.hearing(hearingId),
      program: await programRecords(state).get(hearingId),
      audit: await audit.list(hearingId),
      auditVerdict: await audit.verify(hearingId),
      // What the court's caption feeds sent, every version in arrival order: the transcript with its corrections.
      transcript: await transcriptOf(state, hearingId),
    }),
    savedTimeline: async (hearingId) => (await releaseRecords(state).get(hearingId))?.timeline ?? null,
    hasEnded: (hearingId) => registry.hearing(hearingId).then((h) => h.status === 'ended', () => false),
    ffmpegPath: config.ffmpegPath,
    nodeId: cluster.nodeId,
    logger,
  });
  broadcasts.on('opened', (session) => void recorder.follow(session));
  broadcasts.on('encoderKicked', (courtroomId) => whip?.kick(courtroomId));
  const replays = new Replays({ state, registry, audit, governance, logger, transparency });
  const publicHearings = new PublicHearings(registry, governance);
  const publicationGate = new PublicationGate({ hearing: (id) => registry.hearing(id), isPublishable: (h) => governance.isPublishable(h) });
  const publicStates = new PublicStates((id) => publicHearings.get(id), async (id) => (await replays.get(id))?.decision ?? null, logger, airedRecords(state));
  // Viewers of a hearing run on another node hear its changes through whichever node they reach.
  publicStates.on('aired', (seen) => cluster.announce('aired', seen));
  cluster.on('heard', (topic, payload) => {
    const seen = topic === 'aired' ? airedCodec.safeParse(payload) : null;
    if (seen?.success) publicStates.heard(seen.data);
  });
  broadcasts.on('opened', (session) => publicStates.follow(session));
  replays.on('changed', (id) => void publicStates.refresh(id).catch(() => undefined));
  governance.on('changed', (id) => {
    publicationGate.forget(id);
    void publicStates.refresh(id).catch(() => undefined);
  });
  await recorder.start();

  const accounts = new Accounts(state, Date.now, config.auth.scryptLogN);
  if (config.auth.scryptLogN < SCRYPT_LOG_N) logger.warn({ scryptLogN: config.auth.scryptLogN, minimum: SCRYPT_LOG_N }, 'new password hashes are cheaper than OWASP\'s minimum for scrypt: for tests only');
  // Accounts are held in memory and re-read every few seconds, for changes made on other nodes.
  await accounts.load(5_000);
  const { bootstrapAdminUser, bootstrapAdminPassword } = config.auth;
  if (bootstrapAdminUser && bootstrapAdminPassword && !(await accounts.any())) {
    // Nodes started together all see no account; the username's claim lets one create it.
    try {
      await accounts.create({ username: bootstrapAdminUser, password: bootstrapAdminPassword, roles: ['admin'] }, 'configuration');
      logger.info({ username: bootstrapAdminUser }, 'created the bootstrap admin account');
    } catch (err) {
      if (!isCourtcastError(err) || err.code !== 'CONFLICT') throw err;
      logger.info({ username: bootstrapAdminUser }, 'another node created the bootstrap admin account');
    }
  }
  // Without a configured key, the deployment's own key is kept in the data directory, so sign-ins
  // survive a restart.
  const tokens = new Tokens(config.auth.jwtSecret ?? (await generatedSecret(dataDir, 'token-key')), config.auth.tokenTtlSeconds);
  const viewers = new ViewerCounter();
  const stats = new PublicStats({ state, viewers, live: () => broadcasts.liveHearingIds(), logger });
  stats.start();
  const metrics = new Metrics({ broadcasts, viewers, archive: () => recorder.backlog() });
  broadcasts.on('opened', (session) => metrics.follow(session));
  const health = new HealthMonitor({
    state,
    publicStore,
    ingestListening: () => ingest.listening,
    sessions: () => broadcasts.liveHearings(),
    archive: () => recorder.backlog(),
    dataDir,
    onDiskRecovered: (since) => {
      for (const h of broadcasts.liveHearings()) void h.storageRecovered(since).catch((err: unknown) => logger.error({ err, hearingId: h.hearing.id }, 'could not restart the pipeline after the disk recovered'));
    },
    logger,
  });
  await health.start();
  const catalogue = new ArchiveCatalogue({ store: archiveStore, state, hearings: registry, key: signingKey, presignSeconds: config.archive.presignSeconds, transparency });
  // Only a published replay's as-aired recording: the caller's public state says when that is.
  const archived = async (id: string, key: string) => {
    const found = await catalogue.open(id, key);
    return found ? buffer(found.body) : null;
  };
  const replayWords = new ReplayWords({ archived, logger });
  const posters = new Posters({
    hearing: (id) => publicHearings.get(id),
    court: (id) => registry.court(id),
    state: async (id) => (await publicStates.status(id))?.state ?? null,
    publicStore,
    archived,
    rung: ladder.find((r) => r.height !== undefined)?.name ?? ladder[0]!.name,
    chineseFont: memoFont,
    ffmpegPath: config.ffmpegPath,
    logger,
  });
  const courtroomStatus = (courtroomId: string) => {
    const live = broadcasts.liveHearings().find((h) => h.hearing.courtroomId === courtroomId);
    return { publishing: ingest.isPublishing(courtroomId), hearing: live ? { id: live.hearing.id, title: live.hearing.title, phase: live.status().phase } : null };
  };
  // The WHEP preview opens for the hearings the HLS preview would, while they are not over.
  const previewable = async (hearingId: string, principal: Parameters<BroadcastService['controllable']>[1]) => {
    const hearing = await broadcasts.controllable(hearingId, principal);
    if (hearing.status === 'ended') throw new CourtcastError('CONFLICT', 'the hearing has ended: nothing to preview');
    return hearing.courtroomId;
  };
  const app = createHttpApp({ registry, governance, publicHearings, publicationGate, metrics, hotObjects: (key) => publicStore.hot(key), metricsToken: config.metrics.token, trustProxy: config.http.trustProxy, broadcasts, publicStore, accounts, tokens, audit, viewers, health, catalogue, declareLost: (id, reason, by, onDeclared) => recorder.declareLost(id, reason, by, onDeclared), publicStates, replays, stats, posters, replayWords, transparency, brand, logger, maxEventStreams: opts.maxEventStreams ?? 10_000, ...(opts.maxEventStreamsPerClient !== undefined ? { maxEventStreamsPerClient: opts.maxEventStreamsPerClient } : {}), publicBaseUrl: config.http.publicBaseUrl, whip: whip ? { whip, keyOf: (id) => registry.currentKey(id), iceServers: config.webrtc.iceServers, tokens, accounts, status: (id) => courtroomStatus(id) } : null, whep: whep ? { whep, tokens, accounts, previewable } : null });
  // Viewers' polls on connections the front door handed to Node's server are still answered
  // before Express: see answerHot.
  const countViewer = (hearingId: string, client: string) => viewers.saw(hearingId, client);
  const hot = (key: string) => publicStore.hot(key);
  const server = createServer((req, res) => {
    if (!answerHot(req, res, publicationGate, hot, countViewer)) app(req, res);
  });
  // Viewers' keep-alive polls are answered before Node's HTTP server, let alone Express: see FrontDoor.
  const door = new FrontDoor(server, { prefix: '/hls/', answer: doorAnswerer(publicationGate, hot, countViewer) });
  const { io, closeAdapter } = await openSocketServer(server, state, logger);
  const control = new ControlChannel(io, { registry, broadcasts, accounts, tokens, audit, state, viewers, health, logger, clustered: cluster.shared, ...(opts.maxIdempotencyKeys ? { maxIdempotencyKeys: opts.maxIdempotencyKeys } : {}) });
  await broadcasts.joinCluster();
  const recovered = await broadcasts.recover();
  if (recovered.length > 0) logger.warn({ recovered }, 'live hearings recovered after a restart');
  broadcasts.watchForTakeovers();
  // Courtrooms made or keys rotated on another node: this node's ingest must know at once.
  const keyTimer = cluster.shared
    ? setInterval(() => {
        registry.refreshKeys().then(
          (rotated) => rotated.forEach((id) => broadcasts.kickEncoder(id)),
          (err: unknown) => logger.warn({ err }, 'could not refresh stream keys'),
        );
      }, 2_000)
    : null;
  // The port opens only after recovery: until then a clerk's cut would find no live hearing and
  // /healthz would claim a readiness the server does not have yet.
  try {
    await door.listen(config.http.port, config.http.host);
  } catch (err) {
    // A taken port must not leave recovered FFmpeg sessions running behind a dead server.
    control.close();
    accounts.close();
    health.close();
    stats.close();
    await broadcasts.close();
    await recorder.close();
    await whip?.close();
    await whep?.close();
    ingest.close();
    await state.close();
    throw err;
  }
  const httpPort = door.address().port;
  logger.info({ httpPort, rtmpPort, data: dataDir }, 'courtcast listening');

  let closing: Promise<void> | null = null;
  return {
    httpPort,
    rtmpPort,
    registry,
    governance,
    accounts,
    audit,
    state,
    broadcasts,
    control,
    ingest,
    internalKeys,
    whip,
    whep,
    slates,
    recorder,
    archiveStore,
    signingKey,
    logger,
    dirs,
    close: () =>
      (closing ??= (async () => {
        if (keyTimer) clearInterval(keyTimer);
        control.close();
        accounts.close();
        health.close();
        stats.close();
        await new Promise<void>((resolve) => void io.close(() => resolve()));
        audit.close();
        await whip?.close();
        await whep?.close();
        await endpoint?.close();
        await broadcasts.close();
        await recorder.close();
        archiveStore.close?.();
        ingest.close();
        await door.close();
        await closeAdapter();
        await state.close();
      })()),
  };
}
