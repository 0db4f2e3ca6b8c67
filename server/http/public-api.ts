import { AIRED_OBJECT } from '../domain/recording-keys.ts';
import { Router, type Request } from 'express';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { ArchiveCatalogue } from '../../recorder/archive-catalogue.ts';
import { publicHearing, type Hearing, type PublicHearing } from '../domain/courts.ts';
import type { PublicStatus } from '../domain/public-state.ts';
import type { BroadcastService } from '../service/broadcast/broadcasts.ts';
import { publicMasterKey } from '../service/broadcast/hearing-factory.ts';
import type { PublicHearings } from '../service/publicity/public-hearings.ts';
import type { PublicStates } from '../service/publicity/public-states.ts';
import type { PublicStats } from '../service/publicity/public-stats.ts';
import type { Registry } from '../service/court/registry.ts';
import type { Posters } from '../service/publicity/posters.ts';
import type { Replays } from '../service/publicity/replays.ts';
import { parse, route } from './handlers.ts';
import { sendProblem } from './problem.ts';
import { idParam } from './schemas.ts';

/** What anyone may know about a hearing. */
function publicView(h: Hearing, court: { name: string; timezone: string } | undefined, baseUrl: string): PublicHearing & { playlistUrl: string | null; courtTimezone: string } {
  const playlistUrl = h.status === 'live' ? `${baseUrl}/hls/${publicMasterKey(h.id)}` : null;
  // Times are shown in the court's own zone, wherever the viewer is.
  return { ...publicHearing(h, court?.name ?? ''), courtTimezone: court?.timezone ?? 'UTC', playlistUrl };
}

/** What the public API reads. */
export interface PublicApiDeps {
  readonly registry: Registry;
  readonly hearings: PublicHearings;
  readonly broadcasts: BroadcastService;
  readonly states: PublicStates;
  readonly replays: Replays;
  /** The archive, for published replays (the as-aired recording only). */
  readonly catalogue: Pick<ArchiveCatalogue, 'open' | 'head'>;
  readonly stats: Pick<PublicStats, 'replayStarted'>;
  readonly posters: Pick<Posters, 'poster'>;
  readonly maxEventStreams: number;
  /**
   * Streams one client (by address, as `trust proxy` names it) may hold: enough for a household or
   * a newsroom behind one address, not for one client to take the node's share. A refused player
   * polls instead.
   */
  readonly maxEventStreamsPerClient: number;
}

const replayKey = z.string().regex(AIRED_OBJECT, 'not a replay object');
/** A replay object's media type, by its extension (the key is one replayKey took). */
const replayType = (key: string): string => (key.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : key.endsWith('.vtt') ? 'text/vtt; charset=utf-8' : 'video/mp2t');

/** The public API: the schedule and one hearing's status. Only public hearings are listed. */
export function publicApi(d: PublicApiDeps, baseUrl: (req: Request) => string): Router {
  const { registry, broadcasts, states, replays, catalogue } = d;
  const api = Router();
  let openStreams = 0;
  const streamsOf = new Map<string, number>();
  // A published replay: the as-aired recording from the archive. Anything else (not published,
  // withheld, not public) is 404, so a withheld replay cannot be told from one that never was.
  api.get('/hearings/:id/replay/{*rest}', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const rest = id && parse(replayKey, (req.params as { rest?: string[] }).rest?.join('/'), res);
    if (!id || !rest) return;
    const h = await d.hearings.get(id);
    const decision = (await replays.get(id))?.decision;
    const found = h && decision === 'published' ? await catalogue.open(id, `aired/${rest}`) : null;
    if (!found) return sendProblem(res, 'NOT_FOUND', 'no replay here');
    if (rest === 'index.m3u8') d.stats.replayStarted(id);
    res.setHeader('Access-Control-Allow-Origin', '*');
    // Short lives, so withholding a published replay takes effect soon at any cache too.
    res.setHeader('Cache-Control', rest.endsWith('.m3u8') ? 'public, max-age=10' : 'public, max-age=60');
    res.type(replayType(rest)).setHeader('Content-Length', String(found.info.size));
    await pipeline(found.body, res);
  }));
  // A published replay's signed manifest: what a viewer's player checks every segment against. Only
  // a published replay's (its entries name the sealed master's segments by hash, never by content).
  api.get('/hearings/:id/seal', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    const h = await d.hearings.get(id);
    const decision = (await replays.get(id))?.decision;
    const found = h && decision === 'published' ? await catalogue.open(id, 'manifest.json') : null;
    if (!found) return sendProblem(res, 'NOT_FOUND', 'no sealed replay here');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.type('application/json').setHeader('Content-Length', String(found.info.size));
    await pipeline(found.body, res);
  }));
  // A hearing's poster: what airs, the replay's start, or a card. Not public, no poster (404).
  api.get('/hearings/:id/poster.jpg', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    const poster = await d.posters.poster(id);
    if (!poster) return sendProblem(res, 'NOT_FOUND', `no hearing ${id}`);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', `public, max-age=${poster.maxAgeSeconds}`);
    res.type('image/jpeg').send(poster.jpeg);
  }));
  // Live state for players: one long-lived stream per viewer instead of polling. Registered before
  // the caching header below: an event stream must never be cached.
  api.get('/hearings/:id/events', route(async (req, res) => {
    // On a refusal too: a player on another site must read the status to know it should poll.
    res.setHeader('Access-Control-Allow-Origin', '*');
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    const first = await states.status(id).catch(() => null);
    if (!first) return sendProblem(res, 'NOT_FOUND', `no hearing ${id}`);
    // Each stream holds a socket for as long as a viewer watches: a flood must not exhaust them.
    if (openStreams >= d.maxEventStreams) {
      res.setHeader('Retry-After', '30');
      return sendProblem(res, 'BUSY', 'too many open state streams; poll /public/hearings/{id} instead');
    }
    const client = req.ip ?? '';
    if ((streamsOf.get(client) ?? 0) >= d.maxEventStreamsPerClient) {
      res.setHeader('Retry-After', '30');
      return sendProblem(res, 'RATE_LIMITED', 'too many open state streams from this address; poll /public/hearings/{id} instead');
    }
    openStreams++;
    streamsOf.set(client, (streamsOf.get(client) ?? 0) + 1);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*', 'X-Accel-Buffering': 'no' });
    const send = (s: PublicStatus) => res.write(`event: state\ndata: ${JSON.stringify(s)}\n\n`);
    send(first);
    const stop = states.on('changed', (s) => s.hearingId === id && send(s));
    // A comment now and then keeps proxies from closing an idle stream.
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      openStreams--;
      const left = (streamsOf.get(client) ?? 1) - 1;
      if (left > 0) streamsOf.set(client, left);
      else streamsOf.delete(client);
      stop();
      clearInterval(beat);
    });
  }));
  api.use((_req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'public, max-age=2');
    next();
  });
  api.get('/schedule', route(async (req, res) => {
    const courts = new Map((await registry.listCourts()).map((c) => [c.id as string, c]));
    const hearings = await d.hearings.list();
    res.json(hearings.map((h) => publicView(h, courts.get(h.courtId), baseUrl(req))));
  }));
  api.get('/hearings/:id', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    const h = await d.hearings.get(id);
    if (!h) return sendProblem(res, 'NOT_FOUND', `no hearing ${id}`);
    const court = await registry.court(h.courtId);
    // Wherever the hearing runs: a node that does not run it asks the one that does.
    const live = (await broadcasts.view(id))?.status;
    const status = await states.status(id);
    const replayUrl = status?.state === 'replay' ? `${baseUrl(req)}/public/hearings/${id}/replay/index.m3u8` : null;
    // The server's clock, so a player can tell how long ago the state changed whatever its own says.
    res.json({ ...publicView(h, court, baseUrl(req)), state: status?.state ?? 'not-broadcast', stateSince: status?.since ?? null, previousState: status?.previous ?? null, stateSinceSlot: status?.sinceSlot ?? null, serverTime: Date.now(), replayUrl, broadcast: live ? { delaySeconds: live.delaySeconds } : null });
  }));
  return api;
}
