import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { userActor, type AuditActor } from '../../audit/trail.ts';
import type { BroadcastCommand } from '../../domain/commands.ts';
import type { Hearing } from '../../domain/courts.ts';
import { CourtcastError } from '../../domain/errors.ts';
import type { CueRequest } from '../../domain/cue-request.ts';
import type { MaskRequest } from '../../domain/mask-request.ts';
import type { CueAnswer } from './caption-track.ts';
import type { SwitchRequest } from '../../domain/switch-request.ts';
import { placeCameraMask } from '../../domain/arrangements.ts';
import { mintMask, type Mask, type NewMask, type Region } from '../../domain/masks.ts';
import type { Span } from '../../domain/program.ts';
import type { Principal } from '../../domain/users.ts';
import type { CommandGate } from './command-gate.ts';
import type { LiveHearing, LiveStatus, ProgramArrangement } from './live-hearing.ts';
import { readPreview, type PreviewPiece } from './preview.ts';
import type { Registry } from '../court/registry.ts';
import type { PreviewTarget } from '../cluster/remote-calls.ts';

/** What the ingest side knows about a courtroom's encoder. */
export interface EncoderHealth {
  readonly connected: boolean;
  readonly kbps: number | null;
  readonly fps: number | null;
  readonly width: number | null;
  readonly height: number | null;
}

/** A live hearing's status after a command, and whether the state store has the change yet. */
export type CommandResult = LiveStatus & {
  readonly persisted: boolean;
  /** On the audit record (at least in the local spool). Only a failing local disk makes it false. */
  readonly recorded: boolean;
};

/** The answer to a mask request: the mask, the part that was already public, the status after. */
export interface MaskAnswer {
  readonly mask: Mask;
  readonly alreadyPublic: { start: string; end: string } | null;
  readonly status: CommandResult;
}

/** Who gives a command and why; recorded in the audit trail. */
export interface CommandContext {
  readonly actor: AuditActor;
  readonly reason?: string | null;
}

/** What a console shows of a live hearing, wherever it runs. */
export interface LiveView {
  /** The node's own copy of the hearing, so a console never waits on the store for it. */
  readonly hearing: Hearing;
  readonly status: LiveStatus;
  readonly masks: readonly Mask[];
  readonly encoderHealth: EncoderHealth | null;
  /** A composed program's arrangement; null when the program is the courtroom's own feed. */
  readonly arrangement: ProgramArrangement | null;
}

/** What a handle needs besides the live hearing. */
export interface HandleDeps {
  readonly gate: CommandGate;
  readonly registry: Pick<Registry, 'preset'>;
  readonly masterRoot: string;
  readonly now: () => number;
  readonly encoderHealth: () => EncoderHealth | null;
  /** Something a console shows changed. */
  readonly changed: () => void;
}

const SYSTEM: AuditActor = { kind: 'system' };

/** A mask drawn on a camera: where it lands on the program now (none: parked until the camera is shown). */
function onCamera(mask: Mask, drawnOn: { readonly source: string; readonly region: Region }, region: Region | null): Mask {
  const { region: _drawn, ...rest } = mask;
  return { ...rest, on: { source: drawnOn.source, region: drawnOn.region }, ...(region ? { region } : {}) };
}

/**
 * A hearing live on this node behind the command policy: every operation the service offers on a
 * running hearing, carried out here. Each passes the gate its command declares before it acts
 * (service/broadcast/command-gate.ts), acts on the live hearing, then goes on the record.
 */
export class LocalHandle {
  constructor(
    readonly session: LiveHearing,
    private readonly d: HandleDeps,
  ) {}

  private get id(): string {
    return this.session.hearing.id;
  }

  /** A clerk's program command. */
  async command(cmd: BroadcastCommand, ctx: CommandContext): Promise<CommandResult> {
    await this.d.gate.admit(this.id, cmd);
    const { program, effectiveAt, saved } = this.session.command(cmd);
    const [persisted, recorded] = await Promise.all([saved, this.d.gate.record(this.id, { actor: ctx.actor, action: cmd, reason: ctx.reason ?? null, effectiveAt, params: { phase: program.phase } })]);
    this.d.changed();
    return { ...this.session.status(), persisted, recorded };
  }

  /**
   * Adds a mask. `start` defaults to now; a start in the past makes it retroactive. The answer
   * says which part, if any, was already public and so could not be masked. A region drawn on one
   * camera (`drawnOn`) lands on that camera's tile, and moves with it; while the layout does not
   * show the camera, the mask waits for it, parked.
   */
  async addMask(input: NewMask, ctx: CommandContext, standing?: string, drawnOn?: { readonly source: string; readonly region: Region }): Promise<{ mask: Mask; alreadyPublic: Span | null; status: CommandResult }> {
    await this.d.gate.admit(this.id, 'mask');
    const now = this.d.now();
    const minted = mintMask(drawnOn ? { ...input, region: drawnOn.region } : input, now, `mk_${randomUUID().replaceAll('-', '').slice(0, 16)}`);
    if (!minted.ok) throw new CourtcastError('VALIDATION_FAILED', minted.problem === 'starts-in-future' ? 'a mask cannot start in the future' : `the mask is not valid: ${minted.problem}`);
    const placed = drawnOn ? onCamera(minted.mask, drawnOn, this.session.regionOfCamera(drawnOn.source, drawnOn.region)) : minted.mask;
    const mask = standing ? { ...placed, standing } : placed;
    const released = this.session.releasedUntil;
    const alreadyPublic = mask.start < released ? { start: mask.start, end: Math.min(released, mask.end ?? released) } : null;
    // On a composed program, a camera's mask lies on its tile in each arrangement over its interval.
    const arrangements = this.session.program.arrangements;
    const pieces = mask.on && arrangements?.length ? placeCameraMask({ ...mask, on: mask.on }, arrangements) : [mask];
    let saved: Promise<boolean> = Promise.resolve(true);
    for (const piece of pieces) saved = this.session.maskAction({ type: 'mask', at: now, mask: piece }).saved;
    const [persisted, recorded] = await Promise.all([saved, this.d.gate.record(this.id, { actor: ctx.actor, action: 'mask', reason: ctx.reason ?? null, effectiveAt: mask.start, params: { mask: { ...(pieces[0] ?? mask) }, alreadyPublic, ...(drawnOn ? { drawnOn } : {}), ...(pieces.length > 1 ? { pieces: pieces.slice(1) } : {}) } })]);
    this.d.changed();
    return { mask: pieces[0] ?? mask, alreadyPublic, status: { ...this.session.status(), persisted, recorded } };
  }

  /** A clerk's mask request as the edges receive it: a preset resolved, times read, times answered as ISO. */
  async requestMask(req: MaskRequest, actor: AuditActor): Promise<MaskAnswer> {
    const drawn = req.preset ? await this.d.registry.preset(this.session.hearing.courtroomId, req.preset) : req.region;
    if (req.source !== undefined && !drawn) throw new CourtcastError('VALIDATION_FAILED', 'a camera is named only with the region drawn on it');
    // A region drawn on one camera follows that camera's tile of the program (addMask places it).
    const region = req.source === undefined ? drawn : undefined;
    const r = await this.addMask(
      {
        kind: req.kind,
        ...(region ? { region } : {}),
        ...(req.pitch !== undefined ? { pitch: req.pitch } : {}),
        ...(req.start ? { start: Date.parse(req.start) } : {}),
        ...(req.end !== undefined ? { end: req.end === null ? null : Date.parse(req.end) } : {}),
      },
      { actor, reason: req.reason ?? null },
      undefined,
      // The record keeps what the clerk drew, and on which camera, beside where it landed.
      drawn && req.source !== undefined ? { source: req.source, region: drawn } : undefined,
    );
    const iso = (t: number) => new Date(t).toISOString();
    return { ...r, alreadyPublic: r.alreadyPublic ? { start: iso(r.alreadyPublic.start), end: iso(r.alreadyPublic.end) } : null };
  }

  /** Lifts an open mask from now on; a standing mask cannot be lifted. */
  /** A caption feed's cue (or a correction): no gate, since words air only as the program lets the picture air. */
  cue(req: CueRequest): Promise<CueAnswer> {
    return this.session.receiveCue(req);
  }

  async lift(maskId: string, ctx: CommandContext): Promise<CommandResult> {
    // A mask drawn on a camera may have gone on in pieces (a switch moved it) or be parked.
    const { masks = [], parked = [] } = this.session.program;
    const pieces = [...masks, ...parked].filter((m) => m.id === maskId || m.of === maskId);
    if (pieces.length === 0) throw new CourtcastError('NOT_FOUND', `no mask ${maskId}`);
    const existing = pieces.find((m) => m.end === null);
    if (!existing) throw new CourtcastError('INVALID_TRANSITION', 'that mask has already ended');
    if (existing.standing) throw new CourtcastError('INVALID_TRANSITION', `"${existing.standing}" is a standing mask the hearing requires; it cannot be lifted`);
    await this.d.gate.admit(this.id, 'lift');
    const { effectiveAt, saved } = this.session.maskAction({ type: 'lift', at: this.d.now(), maskId });
    const [persisted, recorded] = await Promise.all([saved, this.d.gate.record(this.id, { actor: ctx.actor, action: 'lift-mask', reason: ctx.reason ?? null, effectiveAt, params: { maskId } })]);
    this.d.changed();
    return { ...this.session.status(), persisted, recorded };
  }

  /**
   * Switches a composed program to another layout or other cameras from now. It may show a
   * camera the program did not, so it passes the gate as a command that adds exposure.
   */
  async switchArrangement(req: SwitchRequest, ctx: CommandContext): Promise<CommandResult> {
    await this.d.gate.admit(this.id, 'switch');
    const { effectiveAt, saved } = this.session.switchArrangement(req.layout, req.cameras);
    const [persisted, recorded] = await Promise.all([saved, this.d.gate.record(this.id, { actor: ctx.actor, action: 'switch', reason: ctx.reason ?? null, effectiveAt, params: { layout: req.layout, cameras: [...req.cameras] } })]);
    this.d.changed();
    return { ...this.session.status(), persisted, recorded };
  }

  /**
   * Takes a hearing that lost its clearance off the air: everything not yet released is dumped
   * and the public gets the no-broadcast card. It acts on the live hearing before any store.
   */
  async withdraw(reason: string, by: Principal | null): Promise<void> {
    await this.d.gate.admit(this.id, 'withdraw');
    const actor = by ? userActor(by) : SYSTEM;
    const { phase, endedAt } = this.session.program;
    if (phase === 'ended' && endedAt !== null && this.session.releasedUntil < endedAt) {
      // Ended, but the window is still airing: the card covers what is left of it.
      await this.addMask({ kind: 'card', start: this.session.releasedUntil, end: endedAt }, { actor, reason });
      return;
    }
    if (!['on-air', 'paused', 'cut'].includes(phase)) return;
    const { program, effectiveAt, saved } = this.session.command('cut', { withdrawn: true });
    await Promise.all([saved, this.d.gate.record(this.id, { actor, action: 'withdrawn', reason, effectiveAt, params: { phase: program.phase } })]);
    this.d.changed();
  }

  /** What consoles and public pages show of it. */
  view(): LiveView {
    return { hearing: this.session.hearing, status: this.session.status(), masks: this.session.program.masks ?? [], encoderHealth: this.d.encoderHealth(), arrangement: this.session.arrangement };
  }

  /** The clerk's undelayed preview (the master as ingested); null when it has nothing yet. */
  preview(target: PreviewTarget): Promise<PreviewPiece | null> {
    return readPreview(path.join(this.d.masterRoot, this.id), target);
  }
}
