import { z } from 'zod';
import { cueRequestFields, cueRules } from '../domain/cue-request.ts';
import { maskIdSchema, maskRequestFields } from '../domain/mask-request.ts';
import { switchRequestFields, switchRules } from '../domain/switch-request.ts';

/**
 * What a console may send on /control, defined once as schemas: the namespace validates every
 * payload with them, and the payload types in types.ts are inferred from them.
 */
const hearingId = z.string().regex(/^hg_[A-Za-z0-9_-]{8,40}$/, 'not a valid hearing id');
const idempotencyKey = z.string().min(8).max(100).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only');

/** join and leave: a hearing's room. */
export const joinSchema = z.object({ hearingId }).strict();

/** A broadcast command: unique per intended action, so a retry with the same key never acts twice. */
export const commandSchema = z
  .object({
    hearingId,
    idempotencyKey,
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict();

/** A mask: live from now, or retroactive with `start` in the past; a preset's name instead of a region. */
export const maskSchema = z
  .object({
    hearingId,
    idempotencyKey,
    ...maskRequestFields,
  })
  .strict();

/** A lift of a live mask. */
export const liftSchema = z
  .object({
    hearingId,
    idempotencyKey,
    maskId: maskIdSchema,
  })
  .strict();

/** A switch of a composed program: its layout and the cameras in its tiles, from now. */
export const switchSchema = switchRules(
  z
    .object({
      hearingId,
      idempotencyKey,
      ...switchRequestFields,
      reason: z.string().trim().min(1).max(500).optional(),
    })
    .strict(),
);

/** A caption cue from a caption feed (a stenographer's tool, a speech-to-text engine), or a correction of one. */
export const cueSchema = cueRules(
  z
    .object({
      hearingId,
      ...cueRequestFields,
    })
    .strict(),
);

/** Payload of a cue. */
export type CuePayload = z.input<typeof cueSchema>;
/** Payload of a switch. */
export type SwitchPayload = z.input<typeof switchSchema>;
/** Payload of a broadcast command. */
export type CommandPayload = z.input<typeof commandSchema>;
/** Payload of a mask command. */
export type MaskPayload = z.input<typeof maskSchema>;
/** Payload of a lift. */
export type LiftPayload = z.input<typeof liftSchema>;
/** Payload of join and leave. */
export type JoinPayload = z.input<typeof joinSchema>;
