import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TRANSPARENCY_LOG, TransparencyLog } from '../../server/audit/transparency-log.ts';
import { verifyConsistency } from '../../server/domain/merkle.ts';
import { auditHeadOf, provesInclusion, sealInLog, sealStatement, treeHeadSigned, type InclusionAnswer } from '../../server/domain/tree-head.ts';
import { judgedAudit, loggedAuditHeads } from '../../server/audit/audit-in-log.ts';
import { linkAfter, type AuditEntry } from '../../server/audit/chain.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const seal = (hearingId: string, count: number, head = 'ab'.repeat(32)) => ({ hearingId, count, head, keyId: 'k'.repeat(64) });
const hex = (xs: readonly string[]) => xs.map((x) => Buffer.from(x, 'hex'));

describe('the transparency log', () => {
  it('appends each statement once, signs its heads, and proves each entry in them', async () => {
    const state = new MemoryStateStore();
    const log = new TransparencyLog({ state, privateKey });
    expect(await log.append(sealStatement(seal('h1', 10)))).toBe(0);
    expect(await log.append({ kind: 'replay', hearingId: 'h1', decision: 'published', at: '2026-12-06T00:00:00.000Z' })).toBe(1);
    // A finalizing pass run again seals the same chain: nothing new is logged.
    expect(await log.append(sealStatement(seal('h1', 10)))).toBe(0);
    // Another node's log object sees the same entries.
    const elsewhere = new TransparencyLog({ state, privateKey });
    expect(await elsewhere.append(sealStatement(seal('h2', 4)))).toBe(2);
    const head = await log.head();
    expect(head.treeSize).toBe(3);
    expect(treeHeadSigned(head, publicKey)).toBe(true);
    expect(treeHeadSigned(head, other.publicKey)).toBe(false);
    expect(treeHeadSigned({ ...head, treeSize: 2 }, publicKey)).toBe(false);
    for (let i = 0; i < 3; i++) expect(provesInclusion(await log.inclusion(i), publicKey), `entry ${i}`).toBe(true);
    await expect(log.inclusion(3)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('proves every later head consistent with every earlier one', async () => {
    const log = new TransparencyLog({ state: new MemoryStateStore(), privateKey });
    const heads = [];
    for (let i = 0; i < 9; i++) {
      await log.append(sealStatement(seal(`h${i}`, i + 1)));
      heads.push(await log.head());
    }
    for (const a of heads) {
      for (const b of heads.filter((h) => h.treeSize >= a.treeSize)) {
        const proof = await log.consistency(a.treeSize, b.treeSize);
        expect(verifyConsistency(a.treeSize, b.treeSize, Buffer.from(a.rootHash, 'hex'), Buffer.from(b.rootHash, 'hex'), hex(proof)), `${a.treeSize} → ${b.treeSize}`).toBe(true);
      }
    }
    await expect(log.consistency(3, 10)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('tells this archive’s seal from another seal of the hearing and from none, ignoring answers whose proof fails', async () => {
    const log = new TransparencyLog({ state: new MemoryStateStore(), privateKey });
    await log.append(sealStatement(seal('h0', 3)));
    await log.append(sealStatement(seal('h1', 136)));
    const answers = [await log.inclusion(1)];
    expect(sealInLog(seal('h1', 136), answers, publicKey)).toEqual({ found: 'this-seal', index: 1, treeSize: 2 });
    // An earlier seal put in place of the final one (67 of 136 entries), or one rewritten.
    expect(sealInLog(seal('h1', 67, 'cd'.repeat(32)), answers, publicKey)).toEqual({ found: 'another-seal', seals: [{ count: 136, head: 'ab'.repeat(32) }] });
    expect(sealInLog(seal('h9', 1), [], publicKey)).toEqual({ found: 'none' });
    // A forged answer: the statement changed, the head signed by another key, the path altered.
    const forged: InclusionAnswer[] = [
      { ...answers[0]!, statement: sealStatement(seal('h1', 67, 'cd'.repeat(32))) },
      { ...answers[0]!, head: { ...answers[0]!.head, signature: Buffer.alloc(64).toString('base64') } },
      { ...answers[0]!, auditPath: answers[0]!.auditPath.map(() => '00'.repeat(32)) },
    ];
    for (const f of forged) expect(provesInclusion(f, publicKey)).toBe(false);
    expect(sealInLog(seal('h1', 67, 'cd'.repeat(32)), forged, publicKey)).toEqual({ found: 'none' });
  });

  it('fixes a hearing’s audit trail by the head its sealed record holds: later entries extend it, a rewritten history fails', async () => {
    const log = new TransparencyLog({ state: new MemoryStateStore(), privateKey });
    const entry = (seq: number, action: string): AuditEntry => ({ seq, at: `2026-12-06T00:00:0${seq}.000Z`, hearingId: 'h1', actor: { kind: 'system' }, action, params: {}, reason: null, effectiveAt: null, prevHash: '', hash: '' });
    const chain = (actions: string[]) => actions.reduce<AuditEntry[]>((out, a, i) => [...out, linkAfter(out.at(-1) ?? null, entry(i + 1, a))], []);
    const trail = chain(['open', 'start', 'cut', 'end']);
    const last = trail.at(-1)!;
    const statement = auditHeadOf('h1', { auditVerdict: { ok: true, entries: 4, head: { seq: last.seq, hash: last.hash } } })!;
    expect(statement).toEqual({ kind: 'audit', hearingId: 'h1', entries: 4, seq: last.seq, head: last.hash });
    expect(auditHeadOf('h1', { auditVerdict: { ok: false, entries: 4, badSeq: 2, problem: 'x' } })).toBeNull();
    expect(auditHeadOf('h1', { auditVerdict: { ok: true, entries: 0, head: null } })).toBeNull();
    expect(auditHeadOf('h1', null)).toBeNull();
    const verdict = { ok: true as const, entries: 4, head: { seq: last.seq, hash: last.hash } };
    expect(judgedAudit(verdict, trail, await loggedAuditHeads(log, 'h1'))).toMatchObject({ ok: true, log: { found: 'none' } });
    await log.append({ kind: 'replay', hearingId: 'h1', decision: 'published', at: '2026-12-06T00:00:00.000Z' });
    const index = await log.append(statement);
    // A replay decision after the seal extends the trail: the logged head still holds.
    const extended = [...trail, linkAfter(last, entry(9, 'replay-published'))];
    expect(judgedAudit({ ...verdict, entries: 5 }, extended, await loggedAuditHeads(log, 'h1'))).toMatchObject({ ok: true, log: { found: 'kept', index, seq: last.seq } });
    // The cut taken out and the chain linked again: every hash recomputed, the chain verifies on
    // its own, but the trail no longer reaches the head the court logged.
    const rewritten = chain(['open', 'start', 'end']);
    expect(judgedAudit({ ok: true, entries: 3, head: { seq: 2, hash: rewritten.at(-1)!.hash } }, rewritten, await loggedAuditHeads(log, 'h1'))).toMatchObject({ ok: false, badSeq: last.seq, log: { found: 'rewritten', index, seq: last.seq } });
    // A chain that fails on its own still names its own first bad entry.
    expect(judgedAudit({ ok: false, entries: 3, badSeq: 1, problem: 'hash' }, rewritten, await loggedAuditHeads(log, 'h1'))).toMatchObject({ ok: false, badSeq: 1, problem: 'hash', log: { found: 'rewritten' } });
    // Or an entry changed in place, its successors linked again to the same length.
    const edited = chain(['open', 'start', 'mute', 'end']);
    expect(judgedAudit({ ...verdict, head: { seq: 3, hash: edited.at(-1)!.hash } }, edited, await loggedAuditHeads(log, 'h1'))).toMatchObject({ ok: false, log: { found: 'rewritten' } });
  });

  it('reads only what was appended since it last read, and the whole log again when the one it read is gone', async () => {
    class CountingStore extends MemoryStateStore {
      read = 0;
      override async readLog(log: string, last?: number): Promise<string[]> {
        const got = await super.readLog(log, last);
        this.read += got.length;
        return got;
      }
      override async readLogFrom(log: string, from: number): Promise<string[]> {
        const got = await super.readLogFrom(log, from);
        this.read += got.length;
        return got;
      }
    }
    const state = new CountingStore();
    const log = new TransparencyLog({ state, privateKey });
    for (let i = 0; i < 50; i++) await new TransparencyLog({ state, privateKey }).append(sealStatement(seal(`h${i}`, i + 1)));
    expect((await log.head()).treeSize).toBe(50);
    state.read = 0;
    await log.append(sealStatement(seal('h50', 51)));
    const head = await log.head();
    expect(head.treeSize).toBe(51);
    // The last entry it had, then the new one: not the fifty before.
    expect(state.read).toBeLessThanOrEqual(4);
    expect(provesInclusion(await log.inclusion(50), publicKey)).toBe(true);
    // The store's log replaced under it by a shorter, different one: read again whole.
    const other = new CountingStore();
    for (let i = 0; i < 3; i++) await other.append(TRANSPARENCY_LOG, JSON.stringify(sealStatement(seal(`x${i}`, 1))));
    (state as unknown as { logs: Map<string, string[]> }).logs.set(TRANSPARENCY_LOG, await other.readLog(TRANSPARENCY_LOG));
    expect((await log.head()).treeSize).toBe(3);
    expect((await log.range(0, 1))[0]).toMatchObject({ hearingId: 'x0' });
  });
});
