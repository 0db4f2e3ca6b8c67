import { z } from 'zod';
import { CAPTION_LANGUAGES, cueTextProblem, MAX_CUE_MS, SPEAKER_ROLES } from './captions.ts';

/** A cue's id, the sender's own: letters, digits and `._:-`, so a correction can name it. */
export const CUE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The fields of a cue as a caption feed sends it, shared by the HTTP API and the control channel. */
export const cueRequestFields = {
  id: z.string().regex(CUE_ID, 'a cue id is 1–64 letters, digits or ._:-'),
  lang: z.enum(CAPTION_LANGUAGES),
  text: z.string().superRefine((text, ctx) => {
    const problem = cueTextProblem(text);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  }),
  speaker: z.enum(SPEAKER_ROLES).optional(),
  start: z.iso.datetime({ offset: true }).optional(),
  end: z.iso.datetime({ offset: true }).optional(),
  durationMs: z.number().int().positive().max(MAX_CUE_MS).optional(),
};

/** The rule across a cue's fields: it gives its start or its duration, not both. */
export const cueRules = <T extends z.ZodType<{ start?: string | undefined; durationMs?: number | undefined }>>(schema: T) =>
  schema.refine((c) => (c.start === undefined) !== (c.durationMs === undefined), { message: 'a cue gives its start or its duration (one of them)', path: ['start'] });

/**
 * One cue as a caption feed sends it, over HTTP or between nodes. Times are capture instants:
 * `end` absent means now (dated on arrival), `start` absent means `durationMs` before the end.
 * Sending an id again corrects that cue.
 */
export const cueRequestSchema = cueRules(z.object(cueRequestFields).strict());

export type CueRequest = z.infer<typeof cueRequestSchema>;
