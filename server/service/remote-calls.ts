import { z } from 'zod';
import type { AuditActor } from '../audit/trail.ts';
import { HTTP_BROADCAST_COMMANDS } from '../domain/commands.ts';
import { CourtcastError } from '../domain/errors.ts';
import { maskIdSchema, maskRequestSchema } from '../domain/mask-request.ts';
import { ROLES } from '../domain/users.ts';

/**
 * The calls one node makes on the node running a hearing, and the arguments each carries. They
 * arrive over Redis like any other input, so each is checked here before the service sees it: a
 * malformed call is refused with a clear error, never half carried out.
 */
const actor = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user'), userId: z.string().min(1).max(100), username: z.string().min(1).max(100), role: z.string().min(1).max(40) }).strict(),
  z.object({ kind: z.literal('system') }).strict(),
]) satisfies z.ZodType<AuditActor>;
const ctx = z.object({ actor, reason: z.string().max(500).nullable().optional() }).strict();
const principal = z
  .object({
    userId: z.string().min(1).max(100),
    username: z.string().min(1).max(100),
    roles: z.array(z.enum(ROLES)).max(ROLES.length),
    courtroomIds: z.array(z.string().max(100)).max(10_000),
    courtIds: z.array(z.string().max(100)).max(10_000),
  })
  .strict();

/** What the clerk's preview asks for: the newest master playlist, or one of its segments. */
export const previewTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('playlist') }).strict(),
  z.object({ kind: z.literal('segment'), run: z.string().regex(/^[rm]\d{4}$/), file: z.string().regex(/^\d{6}\.ts$/) }).strict(),
]);
export type PreviewTarget = z.infer<typeof previewTarget>;

export const remoteCallArgs = {
  command: z.object({ cmd: z.enum(HTTP_BROADCAST_COMMANDS), ctx }).strict(),
  mask: z.object({ req: maskRequestSchema, actor }).strict(),
  lift: z.object({ maskId: maskIdSchema, ctx }).strict(),
  withdraw: z.object({ reason: z.string().min(1).max(2_000), by: principal.nullable() }).strict(),
  view: z.object({}).strict(),
  handover: z.object({ to: z.string().min(1).max(200) }).strict(),
  preview: z.object({ target: previewTarget }).strict(),
};

export type RemoteOp = keyof typeof remoteCallArgs;
export type RemoteArgs<Op extends RemoteOp> = z.infer<(typeof remoteCallArgs)[Op]>;

/** What each call does on the node running the hearing. */
export type RemoteHandlers = { readonly [Op in RemoteOp]: (hearingId: string, args: RemoteArgs<Op>) => Promise<unknown> | unknown };

/** Checks a call that arrived from another node and hands it to its handler. */
export function dispatch(handlers: RemoteHandlers, call: { readonly op: string; readonly hearingId: string; readonly args: unknown }): Promise<unknown> | unknown {
  if (!Object.hasOwn(remoteCallArgs, call.op)) throw new CourtcastError('VALIDATION_FAILED', `no such call: ${String(call.op).slice(0, 40)}`);
  const op = call.op as RemoteOp;
  const parsed = remoteCallArgs[op].safeParse(call.args ?? {});
  if (!parsed.success) throw new CourtcastError('VALIDATION_FAILED', `malformed ${op} call`, parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })));
  return (handlers[op] as (hearingId: string, args: unknown) => unknown)(call.hearingId, parsed.data);
}
