import { z } from 'zod';
import type { AuditActor } from '../../audit/trail.ts';
import { HTTP_BROADCAST_COMMANDS } from '../../domain/commands.ts';
import { CourtcastError } from '../../domain/errors.ts';
import { cueCodec, maskCodec } from '../../domain/codecs.ts';
import { maskIdSchema, maskRequestSchema } from '../../domain/mask-request.ts';
import { cueRequestSchema } from '../../domain/cue-request.ts';
import { switchRequestSchema } from '../../domain/switch-request.ts';
import { LAYOUTS } from '../../domain/layouts.ts';
import type { Hearing } from '../../domain/courts.ts';
import { SHEDDABLE } from '../../domain/shedding.ts';
import { ROLES } from '../../domain/users.ts';

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
    roles: z.array(z.enum(ROLES)).max(ROLES.length).readonly(),
    courtroomIds: z.array(z.string().max(100)).max(10_000).readonly(),
    courtIds: z.array(z.string().max(100)).max(10_000).readonly(),
  })
  .strict();

/** What the clerk's preview asks for: the newest master playlist, or one of its segments. */
/** A preview segment's run (`r0001` transcoder, `m0001` master) and file name. */
export const previewRun = z.string().regex(/^[rm]\d{4,9}$/, 'not a preview run');
export const previewFile = z.string().regex(/^\d{6}\.ts$/, 'not a preview segment');
export const previewTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('playlist') }).strict(),
  z.object({ kind: z.literal('segment'), run: previewRun, file: previewFile }).strict(),
]);
export type PreviewTarget = z.infer<typeof previewTarget>;

export const remoteCallArgs = {
  command: z.object({ cmd: z.enum(HTTP_BROADCAST_COMMANDS), ctx }).strict(),
  mask: z.object({ req: maskRequestSchema, actor }).strict(),
  lift: z.object({ maskId: maskIdSchema, ctx }).strict(),
  switch: z.object({ req: switchRequestSchema, ctx }).strict(),
  withdraw: z.object({ reason: z.string().min(1).max(2_000), by: principal.nullable() }).strict(),
  view: z.object({}).strict(),
  handover: z.object({ to: z.string().min(1).max(200) }).strict(),
  preview: z.object({ target: previewTarget }).strict(),
  cue: z.object({ req: cueRequestSchema }).strict(),
};

/**
 * What each call answers. Replies cross Redis like calls do, so the caller checks them too: a
 * reply that is not what the operation promises is refused, never cast.
 */
const liveStatus = z.object({
  hearingId: z.string(),
  phase: z.enum(['ready', 'on-air', 'paused', 'cut', 'ended']),
  delaySeconds: z.number(),
  encoder: z.enum(['waiting', 'connected', 'lost']),
  encoderLostAt: z.string().nullable(),
  encoderOutage: z.boolean(),
  releasedUntil: z.string(),
  finished: z.boolean(),
  programSaved: z.boolean(),
  publicStoreFault: z.string().nullable(),
  // A node from before load was reported says nothing about it.
  load: z.enum(['keeping-up', 'falling-behind']).default('keeping-up'),
  // Nor one from before shedding about what it shed.
  shed: z.array(z.enum(SHEDDABLE)).readonly().default([]),
});
const commandResult = liveStatus.extend({ persisted: z.boolean(), recorded: z.boolean() });
// A mask in a reply is read as a stored one is (domain/codecs.ts).
const mask = maskCodec;
// The hearing record is the running node's own copy, in the registry's shape; checked for what callers read.
const hearingShape = z.looseObject({ id: z.string(), courtId: z.string(), courtroomId: z.string(), delaySeconds: z.number(), isPublic: z.boolean(), status: z.string() });
const hearing = z.custom<Hearing>((v) => hearingShape.safeParse(v).success, 'not a hearing');
const encoderHealth = z.object({ connected: z.boolean(), kbps: z.number().nullable(), fps: z.number().nullable(), width: z.number().nullable(), height: z.number().nullable() });
const arrangement = z.object({ layout: z.enum(LAYOUTS), cameras: z.array(z.string()).readonly(), available: z.array(z.string()).readonly(), labels: z.record(z.string(), z.string()).default({}) });
const nothing = z.unknown().transform((): void => undefined);

export const remoteCallResults = {
  command: commandResult,
  mask: z.object({ mask, alreadyPublic: z.object({ start: z.string(), end: z.string() }).nullable(), status: commandResult }),
  lift: commandResult,
  switch: commandResult,
  withdraw: nothing,
  // A node from before switching says nothing of the arrangement.
  view: z.object({ hearing, status: liveStatus, masks: z.array(mask).readonly(), encoderHealth: encoderHealth.nullable(), arrangement: arrangement.nullable().default(null) }).nullable(),
  handover: nothing,
  cue: z.object({ cue: cueCodec, inWindow: z.boolean(), recorded: z.boolean() }),
  preview: z.object({ contentType: z.enum(['application/vnd.apple.mpegurl', 'video/mp2t']), encoding: z.enum(['utf8', 'base64']), body: z.string() }).nullable(),
} satisfies { readonly [Op in keyof typeof remoteCallArgs]: z.ZodType };

export type RemoteOp = keyof typeof remoteCallArgs;
export type RemoteResult<Op extends RemoteOp> = z.output<(typeof remoteCallResults)[Op]>;

/** Checks a reply from the node running a hearing against what its operation promises. */
export function parseReply<Op extends RemoteOp>(op: Op, reply: unknown): RemoteResult<Op> {
  const parsed = remoteCallResults[op].safeParse(reply);
  if (!parsed.success) throw new CourtcastError('INTERNAL', `the node running the hearing gave a malformed ${op} reply`, parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })));
  return parsed.data as RemoteResult<Op>;
}
export type RemoteArgs<Op extends RemoteOp> = z.infer<(typeof remoteCallArgs)[Op]>;

/** What each call does on the node running the hearing: it must answer what the operation promises. */
export type RemoteHandlers = { readonly [Op in RemoteOp]: (hearingId: string, args: RemoteArgs<Op>) => Promise<z.input<(typeof remoteCallResults)[Op]>> | z.input<(typeof remoteCallResults)[Op]> };

/** Checks a call that arrived from another node and hands it to its handler. */
export function dispatch(handlers: RemoteHandlers, call: { readonly op: string; readonly hearingId: string; readonly args: unknown }): Promise<unknown> | unknown {
  if (!Object.hasOwn(remoteCallArgs, call.op)) throw new CourtcastError('VALIDATION_FAILED', `no such call: ${String(call.op).slice(0, 40)}`);
  const op = call.op as RemoteOp;
  const parsed = remoteCallArgs[op].safeParse(call.args ?? {});
  if (!parsed.success) throw new CourtcastError('VALIDATION_FAILED', `malformed ${op} call`, parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })));
  return (handlers[op] as (hearingId: string, args: unknown) => unknown)(call.hearingId, parsed.data);
}
