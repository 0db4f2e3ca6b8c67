import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BROADCAST_COMMANDS, COMMAND_POLICY, commandsAllowed, HTTP_BROADCAST_COMMANDS, type CommandName } from '../../server/domain/commands.ts';
import type { Hearing } from '../../server/domain/courts.ts';
import { CourtcastError } from '../../server/domain/errors.ts';
import { canApply, type ProgramPhase } from '../../server/domain/program.ts';
import { CommandGate, type CommandGateOptions } from '../../server/service/broadcast/command-gate.ts';

const hearing = { id: 'h1', courtId: 'c1', courtroomId: 'r1', caseNumber: 'X', title: 'T', caseType: 'civil', scheduledStart: '2026-12-03T10:00:00Z', delaySeconds: 10, isPublic: true, status: 'live' } as Hearing;
const COMMANDS = Object.keys(COMMAND_POLICY) as CommandName[];

/** Collaborators that count what the gate asks of them, each in the state a test sets. */
function fakes(state: { cleared: boolean | 'down'; auditReady: boolean }) {
  const asked: string[] = [];
  const o: CommandGateOptions = {
    governance: {
      clearance: async () => {
        asked.push('clearance');
        if (state.cleared === 'down') throw new Error('store down');
        return state.cleared ? { cleared: true, blockers: [] } : { cleared: false, blockers: ['approval-revoked'] };
      },
    },
    audit: {
      ready: async () => {
        asked.push('audit-ready');
        return state.auditReady;
      },
      append: async () => {
        asked.push('append');
        throw new Error('disk gone');
      },
    },
    registry: {
      hearing: async () => {
        asked.push('hearing');
        return hearing;
      },
    },
    logger: pino({ level: 'silent' }),
  };
  return { gate: new CommandGate(o), asked };
}

const codeOf = async (p: Promise<unknown>): Promise<string | null> => p.then(() => null, (err: unknown) => (err instanceof CourtcastError ? err.code : String(err)));

describe('the command policy, as the gate applies it', () => {
  it('refuses every command that adds exposure without an approval, with a store that cannot say, or with no audit trail', async () => {
    for (const cmd of COMMANDS.filter((c) => COMMAND_POLICY[c].exposure === 'adds')) {
      expect(await codeOf(fakes({ cleared: false, auditReady: true }).gate.admit('h1', cmd)), cmd).toBe('NOT_APPROVED');
      expect(await codeOf(fakes({ cleared: 'down', auditReady: true }).gate.admit('h1', cmd)), cmd).toBe('STORE_UNAVAILABLE');
      expect(await codeOf(fakes({ cleared: true, auditReady: false }).gate.admit('h1', cmd)), cmd).toBe('STORE_UNAVAILABLE');
      const ok = fakes({ cleared: true, auditReady: true });
      expect(await codeOf(ok.gate.admit('h1', cmd)), cmd).toBeNull();
      expect(ok.asked, cmd).toEqual(['hearing', 'clearance', 'audit-ready']);
    }
  });

  it('lets every command that removes exposure through at once, asking no store anything', async () => {
    const removing = COMMANDS.filter((c) => COMMAND_POLICY[c].exposure === 'removes');
    expect(removing).toEqual(expect.arrayContaining(['pause', 'cut', 'mask', 'withdraw']));
    for (const cmd of removing) {
      const f = fakes({ cleared: 'down', auditReady: false });
      expect(await codeOf(f.gate.admit('h1', cmd)), cmd).toBeNull();
      expect(f.asked, cmd).toEqual([]);
    }
  });

  it('records after the fact without throwing when even the spool fails', async () => {
    const f = fakes({ cleared: true, auditReady: true });
    expect(await f.gate.record('h1', { actor: { kind: 'system' }, action: 'cut', effectiveAt: 0 })).toBe(false);
  });

  it('gives every broadcast command the phases the program accepts it in, and consoles the commands allowed now', () => {
    const phases: ProgramPhase[] = ['ready', 'on-air', 'paused', 'cut', 'ended'];
    for (const phase of phases) {
      const allowed = commandsAllowed({ phase, finished: false });
      for (const cmd of BROADCAST_COMMANDS) expect(allowed.includes(cmd), `${cmd} in ${phase}`).toBe(canApply(phase, cmd));
    }
    expect(commandsAllowed(null)).toEqual(['start']);
    expect(commandsAllowed({ phase: 'ended', finished: true })).toEqual([]);
    expect(HTTP_BROADCAST_COMMANDS).toEqual(['open', ...BROADCAST_COMMANDS]);
  });
});
