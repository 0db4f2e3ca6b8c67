import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEncoder } from '../support/encoder.ts';
import { decodeCounters, decodeFeed, PublicFeed } from '../support/public-feed.ts';
import { heardMs, soundMadeWithin } from '../support/timecode.ts';
import { approverOf, seedHearing, startTestServer, type TestServer, waitForEncoder } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

const D = 6_000;
const SEGMENT_MS = 2_000;

type Record = {
  applications: { id: string; decision?: { outcome: string } }[];
  objections: { id: string }[];
  live: { cleared: boolean; blockers: string[] };
  approvalBlockers: string[];
};
type Problem = { code: string; detail: string; blockers?: string[] };

/**
 * Broadcast governance through the API the court uses: nothing airs without an approval in force,
 * only the court's own approvers decide, privacy and objections block approval, and a revocation
 * takes a live broadcast off the air within one segment, with the no-broadcast card.
 */
describe('broadcast approval', () => {
  let s: TestServer;
  let clerkA = '';
  let approverA = '';
  let approverB = '';
  let supervisor = '';
  let a: Awaited<ReturnType<typeof seedHearing>>;
  let b: Awaited<ReturnType<typeof seedHearing>>;

  const gov = (id: string, as?: string) => s.api<Record>('GET', `/api/hearings/${id}/governance`, undefined, as);
  const apply = async (id: string, as?: string) => {
    const r = await s.api<Record>('POST', `/api/hearings/${id}/applications`, { scopes: ['live'], grounds: 'public interest in the ruling' }, as);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.applications.at(-1)?.id as string;
  };
  const decide = (id: string, appId: string, as: string, outcome = 'approved') =>
    s.api<Problem>('POST', `/api/hearings/${id}/applications/${appId}/decision`, { outcome, reason: 'the court has considered it' }, as);
  const user = async (username: string, roles: string[], scope: object) => {
    expect((await s.api('POST', '/api/users', { username, password: `${username}-password`, roles, ...scope })).status).toBe(201);
    return s.login(username, `${username}-password`);
  };
  const idOf = async (token: string) => (await s.api<{ userId: string }>('GET', '/api/me', undefined, token)).body.userId;
  const decideGrant = async (token: string, outcome: 'confirmed' | 'refused', as: string) =>
    s.api<Problem & { roles: string[]; courtIds: string[]; pendingGrant?: { courtIds: string[] } }>('POST', `/api/users/${await idOf(token)}/approver-grant`, { outcome }, as);

  beforeAll(async () => {
    s = await startTestServer();
    a = await seedHearing(s, { delaySeconds: D / 1000, cleared: false });
    b = await seedHearing(s, { cleared: false });
    clerkA = await user('clerk-a', ['clerk'], { courtroomIds: [a.courtroomId] });
    supervisor = await user('super', ['supervisor'], {});
    approverA = await approverOf(s, a.courtId);
    approverB = await approverOf(s, b.courtId);
  }, 60_000);

  afterAll(async () => {
    await s?.close();
  });

  it('refuses to open or start a hearing until an approval is in force, and says why', async () => {
    for (const cmd of ['open', 'start']) {
      const r = await s.api<Problem>('POST', `/api/hearings/${a.hearingId}/broadcast/${cmd}`, {}, clerkA);
      expect([r.status, r.body.code], cmd).toEqual([409, 'NOT_APPROVED']);
      expect(r.body.detail).toContain('no application to broadcast has been filed');
      expect(r.body.blockers).toEqual(['no-application', 'not-reviewed']);
    }
    const appId = await apply(a.hearingId, clerkA);
    const pending = await s.api<Problem>('POST', `/api/hearings/${a.hearingId}/broadcast/start`, {}, clerkA);
    expect(pending.body.blockers).toEqual(['not-approved', 'not-reviewed']);
    // A second application while one waits is a conflict, not a second queue.
    expect((await s.api('POST', `/api/hearings/${a.hearingId}/applications`, { scopes: ['live'], grounds: 'again' }, clerkA)).status).toBe(409);
    expect((await decide(a.hearingId, appId, approverA)).status).toBe(200);
    // Approved, it still airs nothing until what the public will read has been reviewed.
    expect((await gov(a.hearingId, clerkA)).body.live).toEqual({ cleared: false, blockers: ['not-reviewed'] });
    const unreviewed = await s.api<Problem>('POST', `/api/hearings/${a.hearingId}/broadcast/start`, {}, clerkA);
    expect([unreviewed.status, unreviewed.body.code, unreviewed.body.blockers]).toEqual([409, 'NOT_APPROVED', ['not-reviewed']]);
    expect(unreviewed.body.detail).toContain('confidentiality review');
    expect((await s.api('POST', `/api/hearings/${a.hearingId}/reviews`, { checklist: { personalData: true, minors: true, masks: true } }, approverA)).status).toBe(201);
    expect((await gov(a.hearingId, clerkA)).body.live).toEqual({ cleared: true, blockers: [] });
    // While it is in force, no new application can stand in for it.
    expect((await s.api('POST', `/api/hearings/${a.hearingId}/applications`, { scopes: ['live', 'replay'], grounds: 'again' }, clerkA)).status).toBe(409);
  });

  it('lets only an approver of the hearing’s own court decide', async () => {
    const appId = await apply(b.hearingId);
    for (const [who, token] of [['clerk of another court', clerkA], ['approver of court A', approverA], ['supervisor', supervisor], ['admin', s.token]] as const) {
      const r = await decide(b.hearingId, appId, token);
      expect([r.status, r.body.code], who).toEqual([403, 'FORBIDDEN']);
    }
    // The clerk of court A cannot even read court B's record.
    expect((await gov(b.hearingId, clerkA)).status).toBe(403);
    expect((await decide(b.hearingId, appId, approverB, 'refused')).status).toBe(200);
    const start = await s.api<Problem>('POST', `/api/hearings/${b.hearingId}/broadcast/start`, {});
    expect(start.body.blockers).toEqual(['not-approved', 'not-reviewed']);
    // Malformed and unknown input get clear errors.
    expect((await s.api('POST', `/api/hearings/${b.hearingId}/applications/${appId}/decision`, { outcome: 'maybe', reason: 'x' }, approverB)).status).toBe(400);
    expect((await s.api('POST', `/api/hearings/${b.hearingId}/applications/ap_doesnotexist000/decision`, { outcome: 'approved', reason: 'x' }, approverB)).status).toBe(404);
    expect((await s.api('POST', `/api/hearings/${b.hearingId}/applications`, { scopes: [], grounds: '' })).status).toBe(400);
  });

  it('takes four eyes: whoever filed an application cannot approve it, even holding both roles', async () => {
    const d = await seedHearing(s, { cleared: false });
    const both = await user('clerk-approver', ['clerk', 'approver'], { courtroomIds: [d.courtroomId], courtIds: [d.courtId] });
    expect((await decideGrant(both, 'confirmed', supervisor)).status).toBe(200);
    const appId = await apply(d.hearingId, both);
    const own = await decide(d.hearingId, appId, both);
    expect([own.status, own.body.code]).toEqual([403, 'FORBIDDEN']);
    expect(own.body.detail).toContain('four eyes');
    expect((await gov(d.hearingId, both)).body.applications.at(-1)?.decision).toBeUndefined();
    // Another approver of the court decides it; the same account may still review.
    const other = await approverOf(s, d.courtId);
    expect((await decide(d.hearingId, appId, other)).status).toBe(200);
    expect((await s.api('POST', `/api/hearings/${d.hearingId}/reviews`, { checklist: { personalData: true, minors: true, masks: true } }, both)).status).toBe(201);
    expect((await gov(d.hearingId, both)).body.live).toEqual({ cleared: true, blockers: [] });
    // Refusing one's own application lets nothing more out, so it is allowed.
    expect((await s.api('POST', `/api/hearings/${d.hearingId}/approval/revoke`, { reason: 'reconsidered' }, other)).status).toBe(200);
    const again = await apply(d.hearingId, both);
    expect((await decide(d.hearingId, again, both, 'refused')).status).toBe(200);
  });

  it('takes two people to make an approver, and puts every step on the staff trail', async () => {
    const d = await seedHearing(s, { cleared: false });
    const asked = await s.api<{ roles: string[]; pendingGrant?: { courtIds: string[]; requestedBy: { username: string } } }>('POST', '/api/users', { username: 'judge-new', password: 'judge-new-password', roles: ['approver'], courtIds: [d.courtId] });
    expect(asked.status).toBe(201);
    expect(asked.body.roles).not.toContain('approver');
    expect(asked.body.pendingGrant).toMatchObject({ courtIds: [d.courtId], requestedBy: { username: 'admin' } });
    const judge = await s.login('judge-new', 'judge-new-password');
    const appId = await apply(d.hearingId);
    // Asked for is not granted: the account cannot approve yet.
    expect((await decide(d.hearingId, appId, judge)).status).toBe(403);
    // Neither the admin who asked nor the account itself confirms.
    const byAsker = await decideGrant(judge, 'confirmed', s.token);
    expect([byAsker.status, byAsker.body.detail]).toEqual([403, expect.stringContaining('four eyes')]);
    expect((await decideGrant(judge, 'confirmed', judge)).status).toBe(403);
    expect((await decideGrant(judge, 'confirmed', clerkA)).status).toBe(403);
    const confirmed = await decideGrant(judge, 'confirmed', supervisor);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.roles).toContain('approver');
    expect(confirmed.body.courtIds).toEqual([d.courtId]);
    expect(confirmed.body.pendingGrant).toBeUndefined();
    // The same session approves now: rights follow the account, not the token.
    expect((await decide(d.hearingId, appId, judge)).status).toBe(200);
    expect((await decideGrant(judge, 'confirmed', supervisor)).status).toBe(409);
    // A change that adds a court to a clerk's account waits too; a refusal drops it.
    const patched = await s.api<{ roles: string[]; pendingGrant?: { courtIds: string[] } }>('PATCH', `/api/users/${await idOf(clerkA)}`, { roles: ['clerk', 'approver'], courtIds: [d.courtId] });
    expect([patched.status, patched.body.roles, patched.body.pendingGrant?.courtIds]).toEqual([200, ['clerk'], [d.courtId]]);
    const refused = await decideGrant(clerkA, 'refused', supervisor);
    expect([refused.status, refused.body.roles, refused.body.pendingGrant]).toEqual([200, ['clerk'], undefined]);
    // Every step is on the staff trail, with who did it, and the chain verifies.
    const trail = await s.api<{ action: string; actor: { username: string }; params: { username: string } }[]>('GET', '/api/staff/audit', undefined, supervisor);
    const steps = trail.body.filter((e) => ['judge-new', 'clerk-a'].includes(e.params.username)).map((e) => [e.action, e.actor.username, e.params.username]);
    expect(steps).toEqual(expect.arrayContaining([
      ['account-created', 'admin', 'judge-new'], ['approver-grant-requested', 'admin', 'judge-new'], ['approver-grant-confirmed', 'super', 'judge-new'],
      ['account-changed', 'admin', 'clerk-a'], ['approver-grant-requested', 'admin', 'clerk-a'], ['approver-grant-refused', 'super', 'clerk-a'],
    ]));
    expect(JSON.stringify(trail.body)).not.toContain('password-');
    expect((await s.api('GET', '/api/staff/audit/verify', undefined, s.token)).body).toMatchObject({ ok: true });
    expect((await s.api('GET', '/api/staff/audit', undefined, clerkA)).status).toBe(403);
  });

  it('never approves a hearing heard in private, whoever asks', async () => {
    const hidden = await seedHearing(s, { isPublic: false });
    const approver = await approverOf(s, hidden.courtId);
    const appId = await apply(hidden.hearingId);
    const r = await decide(hidden.hearingId, appId, approver);
    expect([r.status, r.body.code]).toEqual([409, 'NOT_APPROVED']);
    expect(r.body.blockers).toContain('heard-in-private');
    for (const token of [s.token, supervisor, approverA]) expect((await decide(hidden.hearingId, appId, token)).status).toBe(403);
    expect((await gov(hidden.hearingId)).body.applications.at(-1)?.decision).toBeUndefined();
  });

  it('blocks approval until every objection is decided, and an upheld one for good', async () => {
    const c = await seedHearing(s, { cleared: false });
    const approver = await approverOf(s, c.courtId);
    const object = async () => {
      const r = await s.api<Record>('POST', `/api/hearings/${c.hearingId}/objections`, { objector: 'party', name: 'the defendant', ground: 'a witness’s medical history will be discussed' });
      expect(r.status).toBe(201);
      return r.body.objections.at(-1)?.id as string;
    };
    const first = await object();
    const appId = await apply(c.hearingId);
    const blocked = await decide(c.hearingId, appId, approver);
    expect([blocked.status, blocked.body.blockers]).toEqual([409, ['objection-pending']]);
    // Dismissal needs reasons.
    expect((await s.api('POST', `/api/hearings/${c.hearingId}/objections/${first}/ruling`, { outcome: 'dismissed' }, approver)).status).toBe(400);
    expect((await s.api('POST', `/api/hearings/${c.hearingId}/objections/${first}/ruling`, { outcome: 'dismissed', reason: 'the history is not in issue' }, approver)).status).toBe(200);
    const second = await object();
    expect((await s.api('POST', `/api/hearings/${c.hearingId}/objections/${second}/ruling`, { outcome: 'upheld', reason: 'the privacy of a third party outweighs it' }, approver)).status).toBe(200);
    const upheld = await decide(c.hearingId, appId, approver);
    expect([upheld.status, upheld.body.blockers]).toEqual([409, ['objection-upheld']]);
    const trail = await s.api<{ action: string; reason: string | null }[]>('GET', `/api/hearings/${c.hearingId}/audit`);
    expect(trail.body.map((e) => e.action)).toEqual(['objection-recorded', 'broadcast-applied', 'objection-dismissed', 'objection-recorded', 'objection-upheld']);
    expect(trail.body.find((e) => e.action === 'objection-dismissed')?.reason).toBe('the history is not in issue');
  });

  it('approves a restricted hearing only with its standing masks, which no clerk can lift', async () => {
    const r = await seedHearing(s, { cleared: false });
    const approver = await approverOf(s, r.courtId);
    expect((await s.api('PATCH', `/api/hearings/${r.hearingId}`, { grounds: [{ ground: 'other' }] })).status).toBe(400);
    expect((await s.api('PATCH', `/api/hearings/${r.hearingId}`, { grounds: [{ ground: 'personal-privacy' }] })).status).toBe(200);
    const appId = await apply(r.hearingId);
    expect((await decide(r.hearingId, appId, approver)).body.blockers).toEqual(['masks-required']);
    const witness = { name: 'witness box', kind: 'pixelate', region: { x: 0.6, y: 0.2, w: 0.3, h: 0.5 } };
    expect((await s.api('PATCH', `/api/hearings/${r.hearingId}`, { standingMasks: [witness] })).status).toBe(200);
    expect((await decide(r.hearingId, appId, approver)).status).toBe(200);
    // Reviewed, it is on the public API, which says nothing of its privacy grounds or masks.
    expect((await s.api('POST', `/api/hearings/${r.hearingId}/reviews`, { checklist: { personalData: true, minors: true, masks: true } }, approver)).status).toBe(201);
    const shown = (await (await fetch(`${s.base}/public/hearings/${r.hearingId}`)).json()) as { [field: string]: unknown };
    expect(shown.title).toBeTypeOf('string');
    for (const field of ['grounds', 'standingMasks', 'courtId', 'version']) expect(shown, field).not.toHaveProperty(field);
    const listed = ((await (await fetch(`${s.base}/public/schedule`)).json()) as { [field: string]: unknown }[]).find((h) => h.id === r.hearingId);
    expect(listed).toBeDefined();
    expect(listed).not.toHaveProperty('grounds');
    expect((await s.api('POST', `/api/hearings/${r.hearingId}/broadcast/open`, {})).status).toBe(200);
    // The mask went on as the hearing opened, by the system, on the record.
    const trail = await s.api<{ action: string; actor: { kind: string }; params: { mask?: { id: string; standing?: string } } }[]>('GET', `/api/hearings/${r.hearingId}/audit`);
    const entry = trail.body.find((e) => e.action === 'mask' && e.params.mask?.standing === 'witness box');
    expect(entry?.actor.kind).toBe('system');
    const mask = entry?.params.mask;
    expect(mask).toMatchObject({ kind: 'pixelate', region: witness.region, end: null });
    const lift = await s.api<Problem>('POST', `/api/hearings/${r.hearingId}/masks/${mask?.id}/lift`, {});
    expect([lift.status, lift.body.code]).toEqual([409, 'INVALID_TRANSITION']);
    // Dropping the standing mask lapses the approval: the hearing can no longer be started.
    expect((await s.api('PATCH', `/api/hearings/${r.hearingId}`, { standingMasks: [] })).status).toBe(200);
    const start = await s.api<Problem>('POST', `/api/hearings/${r.hearingId}/broadcast/start`, {});
    expect(start.body.blockers).toEqual(['masks-required', 'terms-changed', 'not-reviewed']);
    await s.api('POST', `/api/hearings/${r.hearingId}/broadcast/end`, {});
  });

  it('puts a standing mask drawn on a camera on that camera’s tile of the composed program, and keeps one whose camera the program does not show yet parked for when it does', async () => {
    const r = await seedHearing(s, { cleared: false });
    const room = `/api/courtrooms/${r.courtroomId}`;
    expect((await s.api('PUT', `${room}/sources`, [{ name: 'witness', label: 'Witness box' }, { name: 'gallery', label: 'Gallery' }])).status).toBe(200);
    expect((await s.api('PUT', `${room}/program`, { layout: 'side-by-side', cameras: ['main', 'witness'], sound: 'main' })).status).toBe(200);
    const hearing = `/api/hearings/${r.hearingId}`;
    expect((await s.api('PATCH', hearing, { grounds: [{ ground: 'personal-privacy' }] })).status).toBe(200);
    // A camera is named only with a region drawn on it, and only by a camera's name.
    const face = { x: 0.25, y: 0, w: 0.5, h: 0.5 };
    expect((await s.api('PATCH', hearing, { standingMasks: [{ name: 'voice', kind: 'mute', source: 'witness' }] })).status).toBe(400);
    expect((await s.api('PATCH', hearing, { standingMasks: [{ name: 'face', kind: 'blur', region: face, source: 'Witness box' }] })).status).toBe(400);
    const masks = [{ name: 'witness face', kind: 'blur', region: face, source: 'witness' }, { name: 'gallery faces', kind: 'black', region: face, source: 'gallery' }];
    expect((await s.api('PATCH', hearing, { standingMasks: masks })).status).toBe(200);
    const approver = await approverOf(s, r.courtId);
    expect((await decide(r.hearingId, await apply(r.hearingId), approver)).status).toBe(200);
    expect((await s.api('POST', `${hearing}/reviews`, { checklist: { personalData: true, minors: true, masks: true } }, approver)).status).toBe(201);
    expect((await s.api('POST', `${hearing}/broadcast/open`, {})).status).toBe(200);
    const trail = await s.api<{ action: string; params: { mask?: { standing?: string; region?: unknown; end?: unknown }; drawnOn?: unknown } }[]>('GET', `${hearing}/audit`);
    const placed = trail.body.filter((e) => e.action === 'mask' && e.params.mask?.standing !== undefined);
    // The witness camera is the right half of side by side (a 16:9 picture in a 16:9 frame,
    // letterboxed to the middle half of its height): the face region lands there.
    expect(placed.map((e) => e.params.mask?.standing)).toEqual(['witness face', 'gallery faces']);
    expect(placed[0]!.params.mask).toMatchObject({ region: { x: 0.625, y: 0.25, w: 0.25, h: 0.25 }, end: null });
    expect(placed[0]!.params.drawnOn).toEqual({ source: 'witness', region: face });
    // The gallery is not in the layout: its mask has no place on the picture until a switch shows it.
    expect(placed[1]!.params.mask).toMatchObject({ on: { source: 'gallery', region: face }, end: null });
    expect(placed[1]!.params.mask?.region).toBeUndefined();
    await s.api('POST', `${hearing}/broadcast/end`, {});
  });

  describe('revoked while live', () => {
    let encoder: TestEncoder;
    let feed: PublicFeed;
    const revokedAt = { before: 0, after: 0 };
    let lastProgramBeforeRevoke = 0;

    beforeAll(async () => {
      feed = new PublicFeed(`${s.base}/hls/hearings/${a.hearingId}/180p/index.m3u8`).start();
      encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${a.streamKey}`, 'flv', Date.now()).start();
      expect((await s.api('POST', `/api/hearings/${a.hearingId}/broadcast/start`, {}, clerkA)).status).toBe(200);
      await waitForEncoder(s, a.hearingId);
      await waitFor(async () => (await decodeFeed(feed, { hear: false })).some((e) => e.program), 'program media in public', 40_000, 500);
      await elapse(2_000);
      await feed.poll();
      lastProgramBeforeRevoke = Math.max(0, ...(await decodeFeed(feed, { hear: false })).flatMap((e) => e.counters));
      revokedAt.before = Date.now();
      const r = await s.api('POST', `/api/hearings/${a.hearingId}/approval/revoke`, { reason: 'a protected witness is to be called' }, approverA);
      revokedAt.after = Date.now();
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      await elapse(D + 3 * SEGMENT_MS);
      await feed.poll();
    }, 120_000);

    afterAll(async () => {
      feed?.stop();
      await encoder?.kill();
    });

    it('shows the no-broadcast card from the next segment, and never airs what was still in the window', async () => {
      const card = await readFile(s.cc.slates.file('no-broadcast', '180p'));
      const entries = feed.sorted();
      // Anything published once a segment has passed since the revocation is the card.
      const after = entries.filter((e) => e.appearedAt > revokedAt.after + SEGMENT_MS + 200);
      expect(after.length).toBeGreaterThanOrEqual(3);
      for (const e of after) expect(Buffer.from(await (await fetch(e.uri)).arrayBuffer()).equals(card), e.uri).toBe(true);
      // No frame captured after the revocation was asked for ever aired (the window was dumped).
      const aired = (await Promise.all(entries.map(async (e) => decodeCounters(Buffer.from(await (await fetch(e.uri)).arrayBuffer()))))).flat();
      expect(aired.filter((c) => c > 0 && encoder.timeOf(c) > revokedAt.before)).toEqual([]);
      expect(lastProgramBeforeRevoke).toBeGreaterThan(0);
      // Nor any sound, on the picture's rung or the audio-only one.
      const decoded = await decodeFeed(feed);
      expect(heardMs(decoded)).toBeGreaterThan(1_000);
      expect(soundMadeWithin(decoded, encoder.epoch, { name: 'after the revocation', start: revokedAt.before, end: Number.POSITIVE_INFINITY })).toEqual([]);
    });

    it('says not-broadcast to the public, refuses to resume, and puts both acts on the trail', async () => {
      expect((await (await fetch(`${s.base}/public/hearings/${a.hearingId}`)).json()) as { state: string }).toMatchObject({ state: 'not-broadcast' });
      const resume = await s.api<Problem>('POST', `/api/hearings/${a.hearingId}/broadcast/resume`, {}, clerkA);
      expect([resume.status, resume.body.blockers]).toEqual([409, ['approval-revoked']]);
      const trail = await s.api<{ action: string; reason: string | null; actor: { username?: string } }[]>('GET', `/api/hearings/${a.hearingId}/audit`);
      const revoked = trail.body.find((e) => e.action === 'broadcast-approval-revoked');
      const withdrawn = trail.body.find((e) => e.action === 'withdrawn');
      expect(revoked?.actor.username).toBe(`approver-${a.courtId.slice(-8).toLowerCase()}`);
      expect(withdrawn?.reason).toContain('a protected witness is to be called');
    });
  });

  it('covers what is left of an ended hearing’s window with the card when its approval is revoked', async () => {
    const e = await seedHearing(s, { delaySeconds: D / 1000 });
    const approver = await approverOf(s, e.courtId);
    const enc = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${e.streamKey}`, 'flv', Date.now()).start();
    const feed = new PublicFeed(`${s.base}/hls/hearings/${e.hearingId}/180p/index.m3u8`).start(200);
    try {
      expect((await s.api('POST', `/api/hearings/${e.hearingId}/broadcast/start`, {})).status).toBe(200);
      await waitFor(async () => (await decodeFeed(feed, { hear: false })).some((x) => x.program), 'program media in public', 40_000, 500);
      await elapse(2_000);
      const endedAt = Date.now();
      expect((await s.api('POST', `/api/hearings/${e.hearingId}/broadcast/end`, {})).status).toBe(200);
      // Ended, but D seconds of it are still to air: the approval is revoked now.
      const revokedAt = Date.now();
      expect((await s.api('POST', `/api/hearings/${e.hearingId}/approval/revoke`, { reason: 'the court orders it withdrawn' }, approver)).status).toBe(200);
      await feed.untilEnded(D + 20_000);
      const decoded = await decodeFeed(feed);
      const aired = decoded.flatMap((x) => x.counters).filter((c) => c > 0);
      // Nothing captured in the last seconds before the end, which had not aired at the revocation, aired after it.
      expect(aired.filter((c) => enc.timeOf(c) > revokedAt - D + 2 * SEGMENT_MS && enc.timeOf(c) < endedAt)).toEqual([]);
      expect(soundMadeWithin(decoded, enc.epoch, { name: 'the withdrawn window', start: revokedAt - D + 2 * SEGMENT_MS, end: endedAt })).toEqual([]);
      const trail = await s.api<{ action: string; params: { mask?: { kind: string } } }[]>('GET', `/api/hearings/${e.hearingId}/audit`);
      expect(trail.body.some((x) => x.action === 'mask' && x.params.mask?.kind === 'card')).toBe(true);
    } finally {
      feed.stop();
      await enc.kill();
    }
  }, 90_000);
});
