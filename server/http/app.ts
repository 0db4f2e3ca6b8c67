import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from '../domain/logger.ts';
import type { AuditTrail } from '../audit/trail.ts';
import type { Accounts } from '../service/identity/accounts.ts';
import type { BroadcastService } from '../service/broadcast/broadcasts.ts';
import type { Tokens } from '../service/identity/tokens.ts';
import type { ViewerCounter } from '../service/publicity/viewers.ts';
import type { HealthMonitor } from '../service/operations/health.ts';
import type { Registry } from '../service/court/registry.ts';
import type { Governance } from '../service/court/governance.ts';
import type { PublicHearings } from '../service/publicity/public-hearings.ts';
import type { Metrics } from '../service/operations/metrics.ts';
import { metricsRoute } from './metrics-route.ts';
import type { ObjectReader } from '../store/object-store.ts';
import type { HotObject } from '../store/hot-object-store.ts';
import { staffApi } from './api.ts';
import { publicApi } from './public-api.ts';
import { archiveApi, archiveKeyRoute, type ArchiveApiDeps } from './archive-api.ts';
import { oembedRoute } from './oembed.ts';
import { whipApi, type WhipApiDeps } from './whip-api.ts';
import { whepApi, type WhepApiDeps } from './whep-api.ts';
import type { ArchiveCatalogue } from '../../recorder/archive-catalogue.ts';
import type { Posters } from '../service/publicity/posters.ts';
import type { ReplayWords } from '../service/publicity/replay-words.ts';
import type { TransparencyLog } from '../audit/transparency-log.ts';
import { transparencyApi } from './transparency-api.ts';
import type { Brand } from './portal-brand.ts';
import type { PublicStates } from '../service/publicity/public-states.ts';
import type { Replays } from '../service/publicity/replays.ts';
import type { PublicStats } from '../service/publicity/public-stats.ts';
import { portal } from './portal.ts';
import { openApiDocument } from './openapi.ts';
import { originRouter } from './origin.ts';
import type { ServeGate } from './origin-core.ts';
import { problemHandler, sendProblem } from './problem.ts';
import { problemRateLimit } from './rate-limit.ts';

/** What the HTTP layer needs. */
export interface HttpOptions {
  readonly registry: Registry;
  readonly governance: Governance;
  /** The hearings the public may read about. */
  readonly publicHearings: PublicHearings;
  readonly metrics: Metrics;
  /** Express's `trust proxy`: whose X-Forwarded-For names the client. */
  readonly trustProxy?: string;
  /** The bearer token Prometheus scrapes /metrics with; without one /metrics is off. */
  readonly metricsToken?: string;
  readonly broadcasts: BroadcastService;
  /** Read-only: the HTTP side never writes the public store. */
  readonly publicStore: ObjectReader;
  /** What the public store holds in memory, answered without touching the store. */
  readonly hotObjects?: (key: string) => HotObject | null;
  /** Whether a hearing's media may be served (the public pages' rule, per request). */
  readonly publicationGate: ServeGate;
  readonly accounts: Accounts;
  readonly tokens: Tokens;
  readonly audit: AuditTrail;
  readonly viewers: ViewerCounter;
  readonly health: HealthMonitor;
  readonly catalogue: ArchiveCatalogue;
  /** Declares an archive's missing parts lost (the recorder does it). */
  readonly declareLost: ArchiveApiDeps['declareLost'];
  readonly publicStates: PublicStates;
  readonly replays: Replays;
  readonly stats: PublicStats;
  /** Each public hearing's poster picture. */
  readonly posters: Pick<Posters, 'poster'>;
  /** The transparency log of seals and replay decisions, served at /transparency. */
  readonly transparency: Pick<TransparencyLog, 'head' | 'range' | 'consistency' | 'find' | 'inclusion'>;
  /** A published replay's aired caption lines, for the portal's search. */
  readonly replayWords: Pick<ReplayWords, 'lines'>;
  /** How the portal presents the deployment (name, emblem, colours, footer). */
  readonly brand: Brand;
  /** Public state streams open at once at most. */
  readonly maxEventStreams?: number;
  /** Of those, open at once from one client address (a refused player polls). */
  readonly maxEventStreamsPerClient?: number;
  readonly logger: Logger;
  /** WHIP ingest, when WebRTC is on. */
  readonly whip?: WhipApiDeps | null;
  /** WHEP previews for staff, when WebRTC is on. */
  readonly whep?: WhepApiDeps | null;
  /** Base URL for links in responses; without one they are relative (never built from a Host header). */
  readonly publicBaseUrl?: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const playerDir = path.resolve(here, '../../player');
const consoleDir = path.resolve(here, '../../console');
const requireFrom = createRequire(import.meta.url);
const hlsJs = requireFrom.resolve('hls.js/dist/hls.min.js');
// socket.io-client does not export its browser bundle, so find it beside the package's manifest.
const socketIoClient = path.join(path.dirname(requireFrom.resolve('socket.io-client/package.json')), 'dist/socket.io.min.js');

/** Builds the Express app: origin, public API, staff API, docs, health. */
export function createHttpApp(o: HttpOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', o.trustProxy ?? 'loopback');
  // Public pages load hls.js from us and media from the origin (blob: for MSE); hls.js starts
  // its transmuxing worker from a blob: URL, and gives each subtitle track an empty data: source
  // (data:,WEBVTT) so that Chromium's own captions menu leaves it alone.
  app.use(
    helmet({
      crossOriginResourcePolicy: { policy: 'cross-origin' },
      contentSecurityPolicy: { directives: { 'media-src': ["'self'", 'blob:', 'data:'], 'script-src': ["'self'", "'unsafe-inline'"], 'worker-src': ["'self'", 'blob:'], 'connect-src': ["'self'"] } },
    }),
  );
  // Without a configured base, links are relative: a Host header is the client's to choose, and a
  // cache in front would hand a forged host's links to everyone.
  const baseUrl = (): string => o.publicBaseUrl?.replace(/\/$/, '') ?? '';
  /** Sends an installed file; `root` confines express's dot-file refusal to the file's own name. */
  const sendInstalled = (res: express.Response, file: string): void => res.sendFile(path.basename(file), { root: path.dirname(file) });

  // Load balancers and operators read the status code: 503 while any part is down.
  app.get('/healthz', (_req, res) => {
    const report = o.health.report();
    res.setHeader('Cache-Control', 'no-store');
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  app.get('/metrics', metricsRoute(o.metrics, o.metricsToken));
  // Built once, here: the staff table it reads builds its rate limiter, which must not happen per request.
  const openApi = openApiDocument();
  app.get('/openapi.json', (_req, res) => void res.json(openApi));
  app.use('/hls', originRouter(o.publicStore, o.publicationGate, (hearingId, client) => o.viewers.saw(hearingId, client), o.hotObjects));
  app.use('/public', problemRateLimit({ windowMs: 60_000, limit: 600 }), publicApi({ registry: o.registry, hearings: o.publicHearings, broadcasts: o.broadcasts, states: o.publicStates, replays: o.replays, catalogue: o.catalogue, stats: o.stats, posters: o.posters, maxEventStreams: o.maxEventStreams ?? 10_000, maxEventStreamsPerClient: o.maxEventStreamsPerClient ?? 8 }, baseUrl));
  app.get('/.well-known/courtcast-archive-key.pem', archiveKeyRoute(o.catalogue));
  app.use('/transparency', problemRateLimit({ windowMs: 60_000, limit: 600 }), transparencyApi(o.transparency));
  // Archivists are few; the limit bounds what a stolen token can make the archive store (and the
  // audit trail, which records every refused master access) do.
  app.use('/api/archive', problemRateLimit({ windowMs: 60_000, limit: 1200 }), archiveApi({ catalogue: o.catalogue, audit: o.audit, tokens: o.tokens, accounts: o.accounts, declareLost: o.declareLost }));
  app.use('/api', staffApi({ registry: o.registry, governance: o.governance, broadcasts: o.broadcasts, accounts: o.accounts, tokens: o.tokens, audit: o.audit, replays: o.replays, transparency: o.transparency }));
  if (o.whip) app.use('/whip', whipApi(o.whip));
  if (o.whep) app.use('/whep', whepApi(o.whep));
  app.get('/vendor/hls.min.js', (_req, res) => sendInstalled(res, hlsJs));
  app.get('/vendor/socket.io.min.js', (_req, res) => sendInstalled(res, socketIoClient));
  app.use('/console', express.static(consoleDir, { index: 'index.html', maxAge: 0 }));
  // A courtroom PC's page for sending over WHIP (signed in there with the key or a clerk's account).
  app.get('/capture/:courtroomId', (_req, res) => {
    res.setHeader('Permissions-Policy', 'camera=(self), microphone=(self), display-capture=(self)');
    sendInstalled(res, path.join(consoleDir, 'capture.html'));
  });
  // Links handed out before the portal existed (oEmbed, the demo) go to the hearing's public page.
  app.get('/watch/:id', (req, res) => {
    const query = req.url.indexOf('?');
    res.redirect(301, `/hearings/${encodeURIComponent(req.params.id)}${query < 0 ? '' : req.url.slice(query)}`);
  });
  // The iframe embed is the one page other sites may frame.
  app.get('/embed/:id', (_req, res) => {
    res.removeHeader('X-Frame-Options');
    res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; media-src 'self' blob: data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors *");
    sendInstalled(res, path.join(playerDir, 'embed.html'));
  });
  app.get('/oembed', oembedRoute(o.publicHearings, baseUrl));
  // The embeddable player is loaded by other sites as a module script, which needs CORS.
  app.use(
    '/player',
    (_req, res, next) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      next();
    },
    express.static(playerDir, { index: false, maxAge: '5m' }),
  );
  app.use(portal({ registry: o.registry, hearings: o.publicHearings, states: o.publicStates, stats: o.stats, localesDir: path.join(playerDir, 'locales'), baseUrl, brand: o.brand, spoken: (id) => o.replayWords.lines(id) }));
  app.use((_req, res) => sendProblem(res, 'NOT_FOUND', 'no such resource'));
  app.use(problemHandler(o.logger));
  return app;
}
