import type { Request } from 'express';
import { z } from 'zod';
import { MAIN_CAMERA, SOURCE_NAME, sourceStreamId } from '../domain/courts.ts';
import { CourtcastError } from '../domain/errors.ts';

/** `?source=<camera>`: one of a courtroom's further cameras rather than its own feed (`main`). */
const cameraQuery = z.object({ source: z.string().regex(SOURCE_NAME, 'a camera name: lower-case letters, digits and dashes').optional() });

/** The camera a WebRTC URL names in its query (undefined: the courtroom's own feed); 400 for a bad name. */
export function cameraOf(req: Request): string | undefined {
  const q = cameraQuery.safeParse(req.query);
  if (!q.success) throw new CourtcastError('VALIDATION_FAILED', q.error.issues[0]?.message ?? 'bad query');
  return q.data.source === MAIN_CAMERA ? undefined : q.data.source;
}

/** The ingest stream of a courtroom's camera: its own feed's, or one under the courtroom's name (so no name reaches another courtroom's). */
export const cameraStream = (courtroomId: string, camera: string | undefined): string => (camera === undefined ? courtroomId : sourceStreamId(courtroomId, camera));

/** What a session URL carries to name its camera again (DELETE comes to it). */
export const cameraSuffix = (camera: string | undefined): string => (camera === undefined ? '' : `?source=${camera}`);
