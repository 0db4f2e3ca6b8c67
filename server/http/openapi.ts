import { DOWNLOADS } from '../domain/recording-keys.ts';
import { z } from 'zod';
import { ERROR_CODES } from '../domain/errors.ts';
import { SOURCE_NAME } from '../domain/courts.ts';
import { staffRoutes } from './api.ts';
import { lostBody, orderBody, searchQuery } from './archive-api.ts';
import { jsonBody as json, openApiPaths, PROBLEMS as errors } from './route-table.ts';
import { idParam } from './schemas.ts';

const problem = errors['404'];
const idPath = (name: string) => ({ name, in: 'path', required: true, schema: z.toJSONSchema(idParam) });
/** `?source=<camera>` on the WebRTC routes (http/camera-query.ts). */
const cameraParam = { name: 'source', in: 'query', required: false, schema: { type: 'string', pattern: SOURCE_NAME.source }, description: 'a camera of the courtroom (`main`: its own feed, the default)' };
/** A table's handlers are never called while the document is built, so it is built without deps. */
const NO_DEPS = {} as never;

/** An SDP body, as WHIP and WHEP offers and answers are. */
const sdp = (description: string) => ({ description, content: { 'application/sdp': { schema: { type: 'string' } } } });

/**
 * WHIP (RFC 9725) and WHEP: a courtroom's publisher, bearing its stream key (or a clerk's token
 * for the room), and a clerk's undelayed preview. Session URLs answer DELETE; PATCH (trickle ICE)
 * is refused with 405, as the RFC allows.
 */
function webRtcPaths(): Record<string, unknown> {
  const session = (scope: string) => ({
    delete: { security: [{ staffToken: [] }], summary: `End the ${scope} session`, parameters: [idPath('id'), idPath('sessionId')], responses: { '200': { description: 'ended' }, ...errors } },
    patch: { security: [{ staffToken: [] }], summary: 'Trickle ICE: not taken (405, Allow: DELETE)', parameters: [idPath('id'), idPath('sessionId')], responses: { '405': problem } },
  });
  return {
    '/whip/{id}': {
      post: {
        security: [{ staffToken: [] }],
        summary: 'WHIP: publish a courtroom over WebRTC (H.264 or VP8, Opus); `?source=<camera>` publishes one of its further pushed cameras instead. Bearer: the camera’s stream key (the courtroom’s for its own feed), or a token of a clerk who serves the courtroom. 409 while it has a publisher (RTMP and SRT too); 503 past webrtc.maxSessions or when the server cannot write',
        parameters: [idPath('id'), cameraParam],
        requestBody: sdp('the SDP offer'),
        responses: { '201': { ...sdp('the SDP answer, with every candidate'), headers: { Location: { schema: { type: 'string' }, description: 'the session URL' } } }, ...errors },
      },
      options: { summary: 'CORS preflight; Link names the configured ICE servers (rel="ice-server")', parameters: [idPath('id')], responses: { '204': { description: 'allowed methods and headers' } } },
    },
    '/whip/{id}/status': { get: { security: [{ staffToken: [] }], summary: 'The courtroom’s hearing phase and whether its publisher is connected, for the capture page', parameters: [idPath('id')], responses: { '200': { description: 'status' }, ...errors } } },
    '/whip/{id}/{sessionId}': session('WHIP'),
    '/whep/{id}': {
      post: {
        security: [{ staffToken: [] }],
        summary: 'WHEP: a clerk’s undelayed preview of a live hearing’s courtroom over WebRTC (staff serving the room only; never public); `?source=<camera>` previews one of the courtroom’s further cameras instead of its own feed. 409 when this node does not receive the camera (the console then falls back to the HLS preview)',
        parameters: [idPath('id'), cameraParam],
        requestBody: sdp('the SDP offer (receive-only, H.264)'),
        responses: { '201': { ...sdp('the SDP answer'), headers: { Location: { schema: { type: 'string' }, description: 'the session URL' } } }, ...errors },
      },
    },
    '/whep/{id}/{sessionId}': session('WHEP'),
  };
}

/**
 * The OpenAPI 3.1 document, built from the same zod schemas that validate requests; the staff API's
 * operations come from its route table (route-table.ts), the others are listed here.
 */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Courtcast API', version: '0.1.0', description: 'Delayed, clerk-controlled court broadcasting.' },
    components: {
      securitySchemes: { staffToken: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { enum: Object.keys(ERROR_CODES) },
            detail: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
    },
    paths: {
      '/healthz': {
        get: {
          summary: 'Health of the state store, the public store, ingest and every live pipeline',
          responses: { '200': { description: 'every part is up' }, '503': { description: 'degraded: the report names the part that is down' } },
        },
      },
      '/public/schedule': { get: { summary: 'Public hearings, with playlist URLs of live ones', responses: { '200': { description: 'list' } } } },
      '/public/hearings/{id}': { get: { summary: 'A public hearing and its public state (as aired: scheduled, starting, live, paused, interrupted, not-broadcast, ended)', parameters: [idPath('id')], responses: { '200': { description: 'hearing' }, ...errors } } },
      '/public/hearings/{id}/events': { get: { summary: 'Server-Sent Events: a `state` event with the public state now and at every change', parameters: [idPath('id')], responses: { '200': { description: 'text/event-stream' }, ...errors } } },
      '/hls/hearings/{id}/master.m3u8': { get: { summary: 'Public HLS master playlist (delayed, released media only)', parameters: [idPath('id')], responses: { '200': { description: 'playlist' }, '404': problem } } },
      '/public/hearings/{id}/poster.jpg': { get: { summary: 'The hearing’s poster (1280×720 JPEG): the last picture that aired while it airs, its replay’s start once published, else a card of its details; 404 when not public', parameters: [idPath('id')], responses: { '200': { description: 'JPEG' }, ...errors } } },
      '/public/hearings/{id}/replay/index.m3u8': { get: { summary: 'A published replay (as aired, from the archive); 404 when not published or withheld', parameters: [idPath('id')], responses: { '200': { description: 'HLS playlist' }, ...errors } } },
      '/public/hearings/{id}/seal': { get: { summary: 'A published replay’s signed manifest (the seal and its hash chain), which players check every segment against; 404 when not published or withheld', parameters: [idPath('id')], responses: { '200': { description: 'manifest JSON' }, ...errors } } },
      '/transparency/head': { get: { summary: 'The transparency log’s newest signed tree head (RFC 9162; Ed25519 with the archive key); no sign-in', responses: { '200': { description: 'signed tree head' }, ...errors } } },
      '/transparency/entries': { get: { summary: 'Log entries from start up to end (at most 1000): final seals and replay decisions', parameters: ['start', 'end'].map((name) => ({ name, in: 'query', required: true, schema: { type: 'integer', minimum: 0 } })), responses: { '200': { description: 'entries' }, ...errors } } },
      '/transparency/proof/consistency': { get: { summary: 'The consistency proof between the trees of first and second entries (RFC 9162), hex', parameters: ['first', 'second'].map((name) => ({ name, in: 'query', required: true, schema: { type: 'integer', minimum: 0 } })), responses: { '200': { description: 'proof' }, ...errors } } },
      '/transparency/proof/seal/{id}': { get: { summary: 'Every final seal the log holds of a hearing, each with its inclusion proof in a signed tree head; 404 when it holds none', parameters: [idPath('id')], responses: { '200': { description: 'seals with proofs' }, ...errors } } },
      '/oembed': { get: { summary: 'oEmbed for a hearing page URL (?url=…)', responses: { '200': { description: 'oEmbed video' }, ...errors } } },
      '/hls/{path}': { get: { summary: 'Public HLS media: master and rung playlists and segments of live hearings, released past the delay only (Range, ETag and conditional requests; CORS open)', parameters: [{ name: 'path', in: 'path', required: true, schema: { type: 'string' }, description: 'hearings/{id}/master.m3u8, hearings/{id}/{rung}/index.m3u8 or a segment they list' }], responses: { '200': { description: 'playlist or MPEG-TS' }, '206': { description: 'a range' }, '304': { description: 'not modified' }, '404': problem, '416': problem } } },
      '/public/hearings/{id}/replay/{rest}': { get: { summary: 'A published replay’s rung playlists and segments (as aired, from the archive); 404 when not published or withheld', parameters: [idPath('id'), { name: 'rest', in: 'path', required: true, schema: { type: 'string' }, description: '{rung}/index.m3u8 or a segment it lists' }], responses: { '200': { description: 'playlist or MPEG-TS' }, ...errors } } },
      '/api/archive/public-key': { get: { summary: 'The archive signing key (PEM), as /.well-known/courtcast-archive-key.pem publishes it; no sign-in needed', responses: { '200': { description: 'PEM' }, ...errors } } },
      '/api/archive/hearings': { get: { security: [{ staffToken: [] }], summary: 'Search the archive (archivist, admin)', parameters: Object.keys(searchQuery.shape).map((name) => ({ name, in: 'query', required: false, schema: z.toJSONSchema(searchQuery.shape[name as keyof typeof searchQuery.shape], { io: 'input' }) })), responses: { '200': { description: 'archive records' }, ...errors } } },
      '/api/archive/hearings/{id}': { get: { security: [{ staffToken: [] }], summary: 'One archive: its record, files and recording log (archivist, admin)', parameters: [idPath('id')], responses: { '200': { description: 'archive record' }, ...errors } } },
      '/api/archive/hearings/{id}/verify': { post: { security: [{ staffToken: [] }], summary: 'Verify the archive against its signed manifest; names what does not match (archivist, admin)', parameters: [idPath('id')], responses: { '200': { description: 'verdict' }, ...errors } } },
      '/api/archive/hearings/{id}/aired/{rest}': { get: { security: [{ staffToken: [] }], summary: 'The as-aired rendition’s playlists and segments (archivist, admin)', parameters: [idPath('id'), { name: 'rest', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'playlist or MPEG-TS' }, ...errors } } },
      '/api/archive/hearings/{id}/download/{file}': { get: { security: [{ staffToken: [] }], summary: 'Download aired.mp4, master.mp4 (under an unsealing order), the record, the manifest, the transcripts or the captions as aired; every access to the master is on the audit trail', parameters: [idPath('id'), { name: 'file', in: 'path', required: true, schema: { enum: DOWNLOADS } }], responses: { '200': { description: 'file (Range supported)' }, ...errors } } },
      '/api/archive/hearings/{id}/master/index.m3u8': { get: { security: [{ staffToken: [] }], summary: 'The sealed master as an HLS playlist, under an unsealing order in force', parameters: [idPath('id')], responses: { '200': { description: 'playlist' }, ...errors } } },
      '/api/archive/hearings/{id}/master/{name}': { get: { security: [{ staffToken: [] }], summary: 'A segment of the sealed master, under an unsealing order in force', parameters: [idPath('id'), { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z]\\d{4,9}-\\d{6}\\.ts$' } }], responses: { '200': { description: 'MPEG-TS' }, ...errors } } },
      '/api/archive/hearings/{id}/sources/{source}/master/index.m3u8': { get: { security: [{ staffToken: [] }], summary: 'A further camera’s sealed master as an HLS playlist, under an unsealing order in force naming that camera', parameters: [idPath('id'), { name: 'source', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } }], responses: { '200': { description: 'playlist' }, ...errors } } },
      '/api/archive/hearings/{id}/sources/{source}/master/{name}': { get: { security: [{ staffToken: [] }], summary: 'A segment of a further camera’s sealed master, under an unsealing order in force naming that camera', parameters: [idPath('id'), { name: 'source', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } }, { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z]\\d{4,9}-\\d{6}\\.ts$' } }], responses: { '200': { description: 'MPEG-TS' }, ...errors } } },
      '/api/archive/hearings/{id}/orders': {
        get: { security: [{ staffToken: [] }], summary: 'The unsealing orders entered for a hearing (archivist, supervisor, admin)', parameters: [idPath('id')], responses: { '200': { description: 'orders' }, ...errors } },
        post: { security: [{ staffToken: [] }], summary: 'Enter a court order unsealing the master, or with `source` one further camera’s recording (supervisor, admin)', parameters: [idPath('id')], requestBody: json(orderBody), responses: { '201': { description: 'order' }, ...errors } },
      },
      ...webRtcPaths(),
      ...openApiPaths('/api', staffRoutes(NO_DEPS)),
      '/api/archive/hearings/{id}/lost-parts': { post: { security: [{ staffToken: [] }], summary: 'Declare the parts no node can supply lost, so finalizing can finish (supervisor, admin)', parameters: [idPath('id')], requestBody: json(lostBody), responses: { '200': { description: 'the keys declared' }, ...errors } } },
    },
  };
}
