import { z } from 'zod';
import { SOURCE_NAME } from './courts.ts';
import { MASK_KINDS } from './masks.ts';

/** A normalised rectangle, as a clerk draws it. */
export const regionSchema = z.object({ x: z.number().min(0).max(1), y: z.number().min(0).max(1), w: z.number().gt(0).max(1), h: z.number().gt(0).max(1) }).strict();

/** The fields of a mask request, shared by the HTTP API and the control channel. */
export const maskRequestFields = {
  kind: z.enum(MASK_KINDS),
  region: regionSchema.optional(),
  pitch: z.number().min(0.5).max(2).optional(),
  /** Capture time the mask starts; absent means now. In the past makes it retroactive. */
  start: z.iso.datetime({ offset: true }).optional(),
  end: z.iso.datetime({ offset: true }).nullable().optional(),
  /**
   * The camera the region is drawn on (`main`, or a source's name) when the program is composed:
   * the mask then covers that region of that camera's tile, wherever the layout puts it.
   */
  source: z.string().regex(SOURCE_NAME, 'not a camera name').optional(),
  /** A courtroom preset's name instead of a region. */
  preset: z.string().min(1).max(60).optional(),
  reason: z.string().trim().min(1).max(500).optional(),
};

/** A whole mask request, as the HTTP API and calls between nodes take it. */
export const maskRequestSchema = z.object(maskRequestFields).strict();

/** A validated mask request. */
export type MaskRequest = z.infer<typeof maskRequestSchema>;

/** A mask's id, as the service makes them; anything else is refused at the edge. */
export const maskIdSchema = z.string().regex(/^mk_[A-Za-z0-9]{8,40}$/, 'not a valid mask id');
