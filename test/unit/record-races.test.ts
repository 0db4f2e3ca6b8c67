import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AuditTrail } from '../../server/audit/trail.ts';
import type { Principal } from '../../server/domain/users.ts';
import { Governance } from '../../server/service/court/governance.ts';
import { Registry } from '../../server/service/court/registry.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';

/** A registry with one court, courtroom and hearing, on a memory store. */
async function seeded() {
  const state = new MemoryStateStore();
  const registry = new Registry(state, { minSeconds: 10, maxSeconds: 1800, defaultSeconds: 30 });
  const court = await registry.createCourt({ name: 'Court', timezone: 'Asia/Shanghai' });
  const room = await registry.createCourtroom(court.id, { name: 'Room', ingest: 'rtmp' });
  const hearing = await registry.createHearing({ courtroomId: room.id, caseNumber: 'C-1', title: 'Before', caseType: 'civil', scheduledStart: new Date().toISOString(), isPublic: true });
  return { state, registry, court, room, hearing };
}

// Every writer below reads the record before any of them writes: without compare-and-set the
// last write would silently undo the others.
describe('records written by several writers at once', () => {
  it('keeps every change to one hearing: an editor’s patch and the service’s status change', async () => {
    const { registry, hearing } = await seeded();
    await Promise.all([registry.updateHearing(hearing.id, { title: 'After' }), registry.setHearingStatus(hearing.id, 'live'), registry.updateHearing(hearing.id, { caseNumber: 'C-2' })]);
    const stored = await registry.hearing(hearing.id);
    expect(stored).toMatchObject({ title: 'After', status: 'live', caseNumber: 'C-2', version: 3 });
  });

  it('keeps every act on one governance record: objections filed at once by two parties, and an application', async () => {
    const { state, registry, court, room, hearing } = await seeded();
    const appended: string[] = [];
    const audit = { ready: async () => true, append: async (_h: string, e: { action: string }) => void appended.push(e.action) } as unknown as AuditTrail;
    const governance = new Governance({ state, registry, audit, logger: pino({ level: 'silent' }) });
    const clerk: Principal = { userId: 'u1', username: 'clerk', roles: ['clerk'], courtroomIds: [room.id], courtIds: [court.id] };
    const approver: Principal = { userId: 'u2', username: 'approver', roles: ['approver'], courtroomIds: [], courtIds: [court.id] };
    await Promise.all([
      governance.object(hearing.id, { objector: 'party', name: 'D', ground: 'privacy' }, clerk),
      governance.object(hearing.id, { objector: 'prosecutor', name: 'P', ground: 'a witness' }, approver),
      governance.apply(hearing.id, { scopes: ['live'], grounds: 'public interest' }, clerk),
    ]);
    const g = await governance.record(hearing.id);
    expect(g.objections.map((o) => o.objector).sort()).toEqual(['party', 'prosecutor']);
    expect(g.applications).toHaveLength(1);
    expect(g.version).toBe(3);
    // Two approvers deciding the one application at once: one decision stands, the other is refused, none is overwritten.
    const appId = g.applications[0]!.id;
    const ruled = await Promise.all(g.objections.map((o) => governance.rule(hearing.id, o.id, 'dismissed', 'no ground', approver)));
    expect(ruled).toHaveLength(2);
    const second: Principal = { ...approver, userId: 'u3', username: 'approver2' };
    const results = await Promise.allSettled([governance.decide(hearing.id, appId, 'refused', 'not now', approver), governance.decide(hearing.id, appId, 'refused', 'no', second)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const after = await governance.record(hearing.id);
    expect(after.objections.every((o) => o.decision?.outcome === 'dismissed')).toBe(true);
    expect(after.applications[0]?.decision?.outcome).toBe('refused');
    // The refused one says on the trail that it did not take effect.
    expect(appended.filter((a) => a === 'act-not-stored')).toHaveLength(1);
  });
});
