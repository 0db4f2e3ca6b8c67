import { policyOf } from '../domain/commands.ts';
import { z } from 'zod';
import { ERROR_CODES } from '../domain/errors.ts';
import { lostBody, orderBody, searchQuery } from './archive-api.ts';
import {
  applicationBody,
  applicationDecisionBody,
  commandBody,
  commandParam,
  governanceIdParam,
  hearingPatchBody,
  idParam,
  loginBody,
  maskIdParam,
  newCourtBody,
  newCourtroomBody,
  newHearingBody,
  newMaskBody,
  newUserBody,
  objectionBody,
  presetsBody,
  reviewBody,
  revokeBody,
  rulingBody,
  userPatchBody,
} from './schemas.ts';

const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } } });
const problem = { description: 'problem+json', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const errors = { '400': problem, '401': problem, '403': problem, '404': problem, '409': problem, '422': problem, '429': problem, '503': problem };
const pathParam = (name: string, schema: z.ZodType) => ({ name, in: 'path', required: true, schema: z.toJSONSchema(schema) });
const idPath = (name: string) => pathParam(name, name === 'maskId' ? maskIdParam : name === 'applicationId' || name === 'objectionId' ? governanceIdParam : idParam);
const staff = (summary: string, params: string[], body?: z.ZodType, ok = '200') => ({
  security: [{ staffToken: [] }],
  summary,
  parameters: params.map(idPath),
  ...(body ? { requestBody: json(body) } : {}),
  responses: { [ok]: { description: 'the hearing’s governance record' }, ...errors },
});

/** The OpenAPI 3.1 document, built from the same zod schemas that validate requests. */
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
      '/api/auth/login': { post: { summary: 'Sign in; returns a short-lived bearer token', requestBody: json(loginBody), responses: { '200': { description: 'token' }, ...errors } } },
      '/api/me': { get: { security: [{ staffToken: [] }], summary: 'Who the token belongs to', responses: { '200': { description: 'principal' }, ...errors } } },
      '/api/users': {
        get: { security: [{ staffToken: [] }], summary: 'List accounts (admin)', responses: { '200': { description: 'users' }, ...errors } },
        post: { security: [{ staffToken: [] }], summary: 'Create an account (admin)', requestBody: json(newUserBody), responses: { '201': { description: 'user' }, ...errors } },
      },
      '/api/users/{id}': {
        patch: { security: [{ staffToken: [] }], summary: 'Change an account (admin)', parameters: [idPath('id')], requestBody: json(userPatchBody), responses: { '200': { description: 'user' }, ...errors } },
        delete: { security: [{ staffToken: [] }], summary: 'Delete an account (admin)', parameters: [idPath('id')], responses: { '204': { description: 'deleted' }, ...errors } },
      },
      '/api/courts': {
        get: { security: [{ staffToken: [] }], summary: 'List courts', responses: { '200': { description: 'courts' }, ...errors } },
        post: { security: [{ staffToken: [] }], summary: 'Create a court', requestBody: json(newCourtBody), responses: { '201': { description: 'court' }, ...errors } },
      },
      '/api/courts/{courtId}/courtrooms': {
        post: { security: [{ staffToken: [] }], summary: 'Create a courtroom (returns its stream key)', parameters: [idPath('courtId')], requestBody: json(newCourtroomBody), responses: { '201': { description: 'courtroom' }, ...errors } },
      },
      '/api/courtrooms/{id}': { get: { security: [{ staffToken: [] }], summary: 'A courtroom, with its stream key', parameters: [idPath('id')], responses: { '200': { description: 'courtroom' }, ...errors } } },
      '/api/courtrooms/{id}/rotate-key': { post: { security: [{ staffToken: [] }], summary: 'Rotate the stream key; the old key stops working at once', parameters: [idPath('id')], responses: { '200': { description: 'courtroom' }, ...errors } } },
      '/api/hearings': {
        get: { security: [{ staffToken: [] }], summary: 'List hearings', responses: { '200': { description: 'hearings' }, ...errors } },
        post: { security: [{ staffToken: [] }], summary: 'Schedule a hearing', requestBody: json(newHearingBody), responses: { '201': { description: 'hearing' }, ...errors } },
      },
      '/api/hearings/{id}': {
        get: { security: [{ staffToken: [] }], summary: 'A hearing and its live status', parameters: [idPath('id')], responses: { '200': { description: 'hearing' }, ...errors } },
        patch: { security: [{ staffToken: [] }], summary: 'Change a hearing’s details or privacy restrictions; a live broadcast whose approval the change lapses is withdrawn; audited', parameters: [idPath('id')], requestBody: json(hearingPatchBody), responses: { '200': { description: 'hearing' }, ...errors } },
      },
      '/api/hearings/{id}/governance': { get: staff('Application, decision, objections and confidentiality review, with what blocks the live broadcast and the replay', ['id']) },
      '/api/hearings/{id}/applications': { post: staff('File the application to broadcast (live, replay or both) with grounds (clerk of the courtroom, supervisor, admin); audited', ['id'], applicationBody, '201') },
      '/api/hearings/{id}/applications/{applicationId}/decision': { post: staff('Approve or refuse the pending application with a reason (approver of the court only; refused with NOT_APPROVED while the hearing is private, an objection is undecided or upheld, or a ground lacks standing masks); audited', ['id', 'applicationId'], applicationDecisionBody) },
      '/api/hearings/{id}/approval/revoke': { post: staff('Revoke the approval in force (approver of the court); a live broadcast is cut at once and shows the no-broadcast card; audited', ['id'], revokeBody) },
      '/api/hearings/{id}/objections': { post: staff('Record an objection by the prosecutor or a party; until ruled on, nothing is approved and a live broadcast is withdrawn; audited', ['id'], objectionBody, '201') },
      '/api/hearings/{id}/objections/{objectionId}/ruling': { post: staff('Uphold (no broadcast) or dismiss an objection with reasons (approver of the court); audited', ['id', 'objectionId'], rulingBody) },
      '/api/hearings/{id}/reviews': { post: staff('Sign off the confidentiality review (every checklist answer yes; supervisor or approver of the court): the hearing’s public page, and its replay, need one given on the hearing as it stands; audited', ['id'], reviewBody, '201') },
      '/api/hearings/{id}/masks': {
        post: { security: [{ staffToken: [] }], summary: 'Add a privacy mask: live from now, or retroactive with a start in the past; answers with the part already public', parameters: [idPath('id')], requestBody: json(newMaskBody), responses: { '201': { description: 'mask' }, ...errors } },
      },
      '/api/hearings/{id}/masks/{maskId}/lift': {
        post: { security: [{ staffToken: [] }], summary: 'Lift an open mask from now', parameters: [idPath('id'), idPath('maskId')], responses: { '200': { description: 'live status' }, ...errors } },
      },
      '/api/hearings/{id}/replay': {
        get: { security: [{ staffToken: [] }], summary: 'The replay decision of an ended hearing', parameters: [idPath('id')], responses: { '200': { description: 'decision or null' }, ...errors } },
        post: { security: [{ staffToken: [] }], summary: 'Publish or withhold (with a reason) an ended hearing’s replay (supervisor, admin); audited', parameters: [idPath('id')], responses: { '200': { description: 'decision' }, ...errors } },
      },
      '/public/hearings/{id}/replay/index.m3u8': { get: { summary: 'A published replay (as aired, from the archive); 404 when not published or withheld', parameters: [idPath('id')], responses: { '200': { description: 'HLS playlist' }, ...errors } } },
      '/oembed': { get: { summary: 'oEmbed for a hearing page URL (?url=…)', responses: { '200': { description: 'oEmbed video' }, ...errors } } },
      '/api/hearings/{id}/audit': { get: { security: [{ staffToken: [] }], summary: 'The hearing audit trail (supervisor, archivist, admin)', parameters: [idPath('id')], responses: { '200': { description: 'entries' }, ...errors } } },
      '/api/hearings/{id}/audit/verify': { get: { security: [{ staffToken: [] }], summary: 'Verify the hash chain; names the first bad entry', parameters: [idPath('id')], responses: { '200': { description: 'verdict' }, ...errors } } },
      '/api/hearings/{id}/preview/index.m3u8': { get: { security: [{ staffToken: [] }], summary: 'Undelayed preview for clerks of the courtroom (not public)', parameters: [idPath('id')], responses: { '200': { description: 'playlist' }, ...errors } } },
      '/api/courtrooms/{id}/presets': { put: { security: [{ staffToken: [] }], summary: 'Replace the courtroom mask presets (admin)', parameters: [idPath('id')], requestBody: json(presetsBody), responses: { '200': { description: 'courtroom' }, ...errors } } },
      '/hls/{path}': { get: { summary: 'Public HLS media: master and rung playlists and segments of live hearings, released past the delay only (Range, ETag and conditional requests; CORS open)', parameters: [{ name: 'path', in: 'path', required: true, schema: { type: 'string' }, description: 'hearings/{id}/master.m3u8, hearings/{id}/{rung}/index.m3u8 or a segment they list' }], responses: { '200': { description: 'playlist or MPEG-TS' }, '206': { description: 'a range' }, '304': { description: 'not modified' }, '404': problem, '416': problem } } },
      '/public/hearings/{id}/replay/{rest}': { get: { summary: 'A published replay’s rung playlists and segments (as aired, from the archive); 404 when not published or withheld', parameters: [idPath('id'), { name: 'rest', in: 'path', required: true, schema: { type: 'string' }, description: '{rung}/index.m3u8 or a segment it lists' }], responses: { '200': { description: 'playlist or MPEG-TS' }, ...errors } } },
      '/api/hearings/{id}/preview/{run}/{file}': { get: { security: [{ staffToken: [] }], summary: 'A segment of the undelayed preview (clerks of the courtroom; not public)', parameters: [idPath('id'), { name: 'run', in: 'path', required: true, schema: { type: 'string', pattern: '^[rm]\\d{4}$' } }, { name: 'file', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d{6}\\.ts$' } }], responses: { '200': { description: 'MPEG-TS' }, ...errors } } },
      '/api/archive/public-key': { get: { summary: 'The archive signing key (PEM), as /.well-known/courtcast-archive-key.pem publishes it; no sign-in needed', responses: { '200': { description: 'PEM' }, ...errors } } },
      '/api/archive/hearings': { get: { security: [{ staffToken: [] }], summary: 'Search the archive (archivist, admin)', parameters: Object.keys(searchQuery.shape).map((name) => ({ name, in: 'query', required: false, schema: z.toJSONSchema(searchQuery.shape[name as keyof typeof searchQuery.shape], { io: 'input' }) })), responses: { '200': { description: 'archive records' }, ...errors } } },
      '/api/archive/hearings/{id}': { get: { security: [{ staffToken: [] }], summary: 'One archive: its record, files and recording log (archivist, admin)', parameters: [idPath('id')], responses: { '200': { description: 'archive record' }, ...errors } } },
      '/api/archive/hearings/{id}/verify': { post: { security: [{ staffToken: [] }], summary: 'Verify the archive against its signed manifest; names what does not match (archivist, admin)', parameters: [idPath('id')], responses: { '200': { description: 'verdict' }, ...errors } } },
      '/api/archive/hearings/{id}/aired/{rest}': { get: { security: [{ staffToken: [] }], summary: 'The as-aired rendition’s playlists and segments (archivist, admin)', parameters: [idPath('id'), { name: 'rest', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'playlist or MPEG-TS' }, ...errors } } },
      '/api/archive/hearings/{id}/download/{file}': { get: { security: [{ staffToken: [] }], summary: 'Download aired.mp4, master.mp4 (under an unsealing order), record.json or manifest.json; every access is on the audit trail', parameters: [idPath('id'), { name: 'file', in: 'path', required: true, schema: { enum: ['aired.mp4', 'master.mp4', 'record.json', 'manifest.json'] } }], responses: { '200': { description: 'file (Range supported)' }, ...errors } } },
      '/api/archive/hearings/{id}/master/index.m3u8': { get: { security: [{ staffToken: [] }], summary: 'The sealed master as an HLS playlist, under an unsealing order in force', parameters: [idPath('id')], responses: { '200': { description: 'playlist' }, ...errors } } },
      '/api/archive/hearings/{id}/master/{name}': { get: { security: [{ staffToken: [] }], summary: 'A segment of the sealed master, under an unsealing order in force', parameters: [idPath('id'), { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z]\\d{4}-\\d{6}\\.ts$' } }], responses: { '200': { description: 'MPEG-TS' }, ...errors } } },
      '/api/archive/hearings/{id}/orders': {
        get: { security: [{ staffToken: [] }], summary: 'The unsealing orders entered for a hearing (archivist, supervisor, admin)', parameters: [idPath('id')], responses: { '200': { description: 'orders' }, ...errors } },
        post: { security: [{ staffToken: [] }], summary: 'Enter a court order unsealing the master (supervisor, admin)', parameters: [idPath('id')], requestBody: json(orderBody), responses: { '201': { description: 'order' }, ...errors } },
      },
      '/api/archive/hearings/{id}/lost-parts': { post: { security: [{ staffToken: [] }], summary: 'Declare the parts no node can supply lost, so finalizing can finish (supervisor, admin)', parameters: [idPath('id')], requestBody: json(lostBody), responses: { '200': { description: 'the keys declared' }, ...errors } } },
      '/api/hearings/{id}/broadcast/{command}': {
        post: {
          security: [{ staffToken: [] }],
          summary: `${commandParam.options.join(' | ')}`,
          // From each command's declared policy, so the document says what the server enforces.
          description: commandParam.options
            .map((c) => {
              const p = policyOf(c);
              const gate = p.exposure === 'adds' ? 'adds exposure: refused without an approval in force and a working audit trail' : 'removes exposure: acts at once, recorded after';
              return `${c} (from ${p.from.join(', ')}; reason ${p.reason}): ${gate}`;
            })
            .join('. '),
          parameters: [idPath('id'), pathParam('command', commandParam)],
          requestBody: json(commandBody),
          responses: { '200': { description: 'live status' }, ...errors },
        },
      },
    },
  };
}
