import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Hearing } from '../../server/domain/courts.ts';
import { CourtcastError } from '../../server/domain/errors.ts';
import type { Mask } from '../../server/domain/masks.ts';
import { emptyProgram, type BroadcastProgram, type ProgramAction } from '../../server/domain/program.ts';
import { CommandGate } from '../../server/service/broadcast/command-gate.ts';
import type { LiveHearing } from '../../server/service/broadcast/live-hearing.ts';
import { LocalHandle } from '../../server/service/broadcast/local-handle.ts';

const hearing = { id: 'h1', courtId: 'c1', courtroomId: 'r1', caseNumber: 'X', title: 'T', caseType: 'civil', scheduledStart: '2026-12-03T10:00:00Z', delaySeconds: 10, isPublic: true, status: 'live' } as Hearing;

/** A live hearing that only notes what it was asked to do. */
function fakeSession(program: BroadcastProgram, releasedUntil = 0) {
  const did: string[] = [];
  const session = {
    hearing,
    program,
    releasedUntil,
    command: (cmd: string, opts?: { withdrawn?: boolean }) => {
      did.push(opts?.withdrawn ? `${cmd}(withdrawn)` : cmd);
      return { program, effectiveAt: 1, saved: Promise.resolve(false) };
    },
    maskAction: (a: Extract<ProgramAction, { type: 'mask' | 'lift' }>) => {
      did.push(a.type === 'mask' ? `mask:${a.mask.kind}` : `lift:${a.maskId}`);
      return { program, effectiveAt: 1, saved: Promise.resolve(false) };
    },
    status: () => ({ hearingId: 'h1', phase: program.phase }),
  };
  return { session: session as unknown as LiveHearing, did };
}

/** A gate whose approval and audit trail are as a test says, noting what went on the record. */
function gateWhere(cleared: boolean, auditReady: boolean) {
  const recorded: string[] = [];
  const gate = new CommandGate({
    governance: { clearance: async () => (cleared ? { cleared: true, blockers: [] } : { cleared: false, blockers: ['approval-revoked'] }) },
    audit: { ready: async () => auditReady, append: async (_h, e) => void recorded.push(e.action) as never },
    registry: { hearing: async () => hearing },
    logger: pino({ level: 'silent' }),
  });
  return { gate, recorded };
}

const handle = (session: LiveHearing, gate: CommandGate) => new LocalHandle(session, { gate, registry: { preset: async () => ({ x: 0, y: 0, w: 1, h: 1 }) }, masterRoot: '/nonexistent', now: () => 10_000, encoderHealth: () => null, changed: () => undefined });
const codeOf = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => (e instanceof CourtcastError ? e.code : String(e)));
const program = (phase: BroadcastProgram['phase'], masks: Mask[] = [], endedAt: number | null = null): BroadcastProgram => ({ ...emptyProgram(0), phase, masks, endedAt });

describe('a hearing’s local handle', () => {
  it('does not touch the live hearing for a command that adds exposure without an approval', async () => {
    const { session, did } = fakeSession(program('paused'));
    const { gate, recorded } = gateWhere(false, true);
    expect(await codeOf(handle(session, gate).command('resume', { actor: { kind: 'system' } }))).toBe('NOT_APPROVED');
    expect(did).toEqual([]);
    expect(recorded).toEqual([]);
  });

  it('cuts with every store down, then puts the cut on the record', async () => {
    const { session, did } = fakeSession(program('on-air'));
    const { gate, recorded } = gateWhere(false, false);
    const r = await handle(session, gate).command('cut', { actor: { kind: 'system' }, reason: 'a name was said' });
    expect(did).toEqual(['cut']);
    expect(recorded).toEqual(['cut']);
    expect(r).toMatchObject({ persisted: false, recorded: true });
  });

  it('refuses to lift a standing mask before asking anyone, and lifts another only with an approval', async () => {
    const standing: Mask = { id: 'mk_standing0001', kind: 'blur', region: { x: 0, y: 0, w: 0.5, h: 0.5 }, start: 0, end: null, standing: 'witness box' };
    const plain: Mask = { id: 'mk_plain000001', kind: 'mute', start: 0, end: null };
    const { session, did } = fakeSession(program('on-air', [standing, plain]));
    expect(await codeOf(handle(session, gateWhere(true, true).gate).lift(standing.id, { actor: { kind: 'system' } }))).toBe('INVALID_TRANSITION');
    expect(await codeOf(handle(session, gateWhere(false, true).gate).lift(plain.id, { actor: { kind: 'system' } }))).toBe('NOT_APPROVED');
    expect(did).toEqual([]);
    await handle(session, gateWhere(true, true).gate).lift(plain.id, { actor: { kind: 'system' } });
    expect(did).toEqual([`lift:${plain.id}`]);
  });

  it('withdraws an airing hearing with a withdrawn cut, and an ended one still airing its window with the card', async () => {
    const live = fakeSession(program('on-air'));
    await handle(live.session, gateWhere(false, false).gate).withdraw('approval revoked', null);
    expect(live.did).toEqual(['cut(withdrawn)']);
    const ended = fakeSession(program('ended', [], 5_000), 2_000);
    await handle(ended.session, gateWhere(false, false).gate).withdraw('approval revoked', null);
    expect(ended.did).toEqual(['mask:card']);
  });
});
