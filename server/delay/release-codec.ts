import { z } from 'zod';
import type { PublicTimeline } from './playlist.ts';
import type { DelayLineState } from './public-writer.ts';

const source = z.discriminatedUnion('kind', [z.looseObject({ kind: z.literal('program'), run: z.number() }), z.looseObject({ kind: z.literal('slate'), slate: z.string() })]);

/** What a stored public timeline must look like before a restarted hearing continues it. */
export const timelineCodec: z.ZodType<PublicTimeline> = z.looseObject({
  nextSeq: z.number().int(),
  discontinuitySequence: z.number().int(),
  entries: z.array(z.looseObject({ seq: z.number().int(), durationSec: z.number(), programDateTime: z.number(), discontinuity: z.boolean(), source })),
  ended: z.boolean(),
  lastProgramDateTime: z.number().nullable(),
});

/** The codec of the `releases` namespace: how far a hearing's public line has released, and its timeline. */
export const releasesCodec: z.ZodType<DelayLineState> = z.looseObject({ releasedUntil: z.number(), timeline: timelineCodec });
