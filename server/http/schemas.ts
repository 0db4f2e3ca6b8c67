import { z } from 'zod';
import { HTTP_BROADCAST_COMMANDS } from '../domain/commands.ts';
import { CASE_TYPES } from '../domain/courts.ts';
import { ID_PATTERN } from '../domain/ids.ts';
import { maskRequestFields, regionSchema } from '../domain/mask-request.ts';

/** Path parameter: an opaque id. */
export const idParam = z.string().regex(ID_PATTERN, 'not a valid id');

const text = (max: number) => z.string().trim().min(1).max(max);

/** POST /api/courts */
export const newCourtBody = z
  .object({
    name: text(200),
    timezone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'not an IANA time zone')
      .default('UTC'),
  })
  .strict();

/** POST /api/courts/:courtId/courtrooms */
export const newCourtroomBody = z
  .object({
    name: text(200),
    ingest: z.enum(['rtmp', 'srt']).default('rtmp'),
    srtPort: z.number().int().min(1024).max(65_535).optional(),
  })
  .strict();

/** POST /api/hearings */
export const newHearingBody = z
  .object({
    courtroomId: idParam,
    caseNumber: text(64),
    title: text(300),
    caseType: z.enum(CASE_TYPES),
    scheduledStart: z.iso.datetime({ offset: true }),
    delaySeconds: z.number().finite().optional(),
    isPublic: z.boolean(),
  })
  .strict();

/** POST /api/hearings/:id/broadcast/:command */
export const commandParam = z.enum(HTTP_BROADCAST_COMMANDS);

/** Optional body of a broadcast command. Reasons become mandatory with the audit trail. */
export const commandBody = z.object({ reason: z.string().trim().max(500).optional() }).strict();

/** POST /api/auth/login */
export const loginBody = z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(200) }).strict();

const roles = z.array(z.enum(['clerk', 'supervisor', 'archivist', 'admin'])).min(1).max(4);
const password = z.string().min(12, 'use at least 12 characters').max(200);

/** POST /api/users */
export const newUserBody = z
  .object({
    username: z.string().regex(/^[a-z0-9._-]{2,40}$/, 'lower-case letters, digits, dot, dash, underscore; 2-40'),
    displayName: text(100).optional(),
    password,
    roles,
    courtroomIds: z.array(idParam).max(200).optional(),
  })
  .strict();

/** PATCH /api/users/:id */
export const userPatchBody = z
  .object({
    displayName: text(100).optional(),
    password: password.optional(),
    roles: roles.optional(),
    courtroomIds: z.array(idParam).max(200).optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

/** POST /api/hearings/:id/masks */
export const newMaskBody = z.object(maskRequestFields).strict();

/** A mask id in a path. */
export const maskIdParam = z.string().regex(/^mk_[A-Za-z0-9]{8,40}$/, 'not a valid mask id');

/** PUT /api/courtrooms/:id/presets */
export const presetsBody = z
  .array(
    z
      .object({
        name: text(60),
        region: regionSchema,
        key: z.string().regex(/^[1-9a-wyzA-WYZ]$/, 'one letter or digit (X is the cut key)').optional(),
      })
      .strict(),
  )
  .max(20);
