import { z } from 'zod';
import { SOURCE_NAME } from './courts.ts';
import { LAYOUTS, layoutCapacity } from './layouts.ts';

/**
 * A clerk's switch of a composed program, as the HTTP API and the control channel take it: the
 * layout and the cameras in its tiles in order (`main`, or a source's name), each once, no more
 * than the layout has tiles. Whether the courtroom has them is the live hearing's to check.
 */
export const switchRequestFields = {
  layout: z.enum(LAYOUTS),
  cameras: z.array(z.string().regex(SOURCE_NAME, 'a camera is `main` or a source name')).min(1).max(4),
};

type SwitchShape = { readonly layout: (typeof LAYOUTS)[number]; readonly cameras: readonly string[] };

/** The checks every switch request gets, whatever else its envelope carries. */
export function switchRules<T extends z.ZodType<SwitchShape>>(schema: T) {
  return schema
    .refine((b) => new Set(b.cameras).size === b.cameras.length, { message: 'each camera at most once', path: ['cameras'] })
    .refine((b) => b.cameras.length <= layoutCapacity(b.layout), { message: 'more cameras than the layout has tiles', path: ['cameras'] });
}

export const switchRequestSchema = switchRules(z.object(switchRequestFields).strict());
export type SwitchRequest = z.infer<typeof switchRequestSchema>;
