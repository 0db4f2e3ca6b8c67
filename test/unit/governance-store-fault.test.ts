import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../server/audit/trail.ts';
import type { Principal } from '../../server/domain/users.ts';
import { Governance } from '../../server/service/court/governance.ts';
import { Registry } from '../../server/service/court/registry.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';
import type { StateNamespace, Versioned } from '../../server/store/state-store.ts';

/** A real memory store whose governance records can be refused, as a store failing mid-act would. */
class RefusingStore extends MemoryStateStore {
  refuse = false;
  override async put<T>(ns: StateNamespace, id: string, value: T, ttlMs?: number): Promise<void> {
    if (this.refuse && ns === 'governance') throw new Error('store refused the write');
    return super.put(ns, id, value, ttlMs);
  }
  // Governance writes by compare-and-set: the same refusal there.
  override async putIfVersion<T extends Versioned>(ns: StateNamespace, id: string, value: T, expected: number): Promise<boolean> {
    if (this.refuse && ns === 'governance') throw new Error('store refused the write');
    return super.putIfVersion(ns, id, value, expected);
  }
}

const logger = pino({ level: 'silent' });
const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('a governance act the state store refuses', () => {
  it('is refused, leaves nothing changed, and the trail says it did not take effect', async () => {
    const state = new RefusingStore();
    const spoolDir = mkdtempSync(path.join(os.tmpdir(), 'cc-gov-fault-'));
    dirs.push(spoolDir);
    const audit = new AuditTrail(state, { spoolDir, logger });
    const registry = new Registry(state, { minSeconds: 2, maxSeconds: 1800, defaultSeconds: 10 });
    const governance = new Governance({ state, registry, audit, logger });
    const court = await registry.createCourt({ name: 'Court', timezone: 'UTC' });
    const room = await registry.createCourtroom(court.id, { name: 'Room', ingest: 'rtmp' });
    const h = await registry.createHearing({ courtroomId: room.id, caseNumber: 'F-1', title: 'Fault', caseType: 'civil', scheduledStart: new Date().toISOString(), isPublic: true });
    const clerk: Principal = { userId: 'u_clerk', username: 'clerk', roles: ['clerk'], courtroomIds: [room.id], courtIds: [] };
    const judge: Principal = { userId: 'u_judge', username: 'judge', roles: ['approver'], courtroomIds: [], courtIds: [court.id] };
    const applied = await governance.apply(h.id, { scopes: ['live'], grounds: 'public interest' }, clerk);
    const appId = applied.applications[0]?.id as string;

    state.refuse = true;
    await expect(governance.decide(h.id, appId, 'approved', 'open justice', judge)).rejects.toThrow(/refused/);
    expect((await governance.clearance(h, 'live')).cleared).toBe(false);
    const actions = (await audit.list(h.id)).map((e) => e.action);
    expect(actions.slice(-2)).toEqual(['broadcast-approved', 'act-not-stored']);

    // The retry that works is the last approval on the trail, and the only one in force.
    state.refuse = false;
    await governance.decide(h.id, appId, 'approved', 'open justice', judge);
    expect((await governance.clearance(h, 'live')).blockers).toEqual(['not-reviewed']);
    await governance.review(h.id, { checklist: { personalData: true, minors: true, masks: true }, note: null }, judge);
    expect((await governance.clearance(h, 'live')).cleared).toBe(true);
    expect((await audit.list(h.id)).map((e) => e.action).slice(-4)).toEqual(['broadcast-approved', 'act-not-stored', 'broadcast-approved', 'confidentiality-reviewed']);
    expect(await audit.verify(h.id)).toMatchObject({ ok: true });
    audit.close();
  });
});
