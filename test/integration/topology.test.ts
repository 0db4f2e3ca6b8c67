import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, Verdict } from '../../recorder/manifest.ts';
import type { ArchiveRecord } from '../../recorder/recorder.ts';
import type { AuditEntry } from '../../server/audit/trail.ts';
import { TestEncoder } from '../support/encoder.ts';
import { EventStream } from '../support/event-stream.ts';
import { caller, clearHearing, signIn } from '../support/governance.ts';
import { datedCounters } from '../support/master-clock.ts';
import { decodeCounters, decodeFeed, PublicFeed } from '../support/public-feed.ts';
import { soundMadeWithin } from '../support/timecode.ts';
import { startTopology, TOPOLOGY_ADMIN, type Topology, type TopologyNode } from '../support/topology.ts';
import { elapse, waitFor } from '../support/wait.ts';

const D = 4_000;
const SEGMENT_MS = 2_000;
const LEASE_SECONDS = 3;

/**
 * The docker-compose topology as processes on this machine: two Courtcast nodes on one Redis,
 * their public store in an S3 bucket (s3rver), behind Debian's nginx running deploy/nginx.conf
 * (the service names pointed at these processes). Staff, viewers and the encoder use only nginx,
 * except where a test must reach one node in particular: the one that does not run the hearing.
 * The tests run in order: each builds on the hearing as the one before left it.
 */
describe('the compose topology as processes: two nodes', () => {
  let topo: Topology;
  let nodes: readonly TopologyNode[];
  let encoder: TestEncoder;
  let feed: PublicFeed;
  let base = '';
  let token = '';
  let hearingId = '';
  let roomId = '';

  const owner = () => topo.owner(hearingId);
  const audit = async (at = base) => (await caller(at, token)<AuditEntry[]>('GET', `/api/hearings/${hearingId}/audit`)).body;
  const programAfter = async (t: number) =>
    waitFor(async () => {
      await feed.poll();
      return (await decodeFeed(feed, { hear: false })).some((e) => e.counters.some((c) => c > 0 && encoder.timeOf(c) > t));
    }, 'program media captured after the instant', 60_000, 1000);

  beforeAll(async () => {
    topo = await startTopology({ leaseSeconds: LEASE_SECONDS });
    nodes = topo.nodes;
    base = topo.base;
    token = await signIn(base, TOPOLOGY_ADMIN, topo.adminPassword);
    const api = caller(base, token);
    const court = await api<{ id: string }>('POST', '/api/courts', { name: 'Topology Court', captions: { languages: ['en'] } });
    const room = await api<{ id: string; streamKey: string }>('POST', `/api/courts/${court.body.id}/courtrooms`, { name: 'Room' });
    roomId = room.body.id;
    hearingId = (await api<{ id: string }>('POST', '/api/hearings', { courtroomId: room.body.id, caseNumber: 'N-1', title: 'Through nginx', caseType: 'civil', scheduledStart: new Date().toISOString(), delaySeconds: D / 1000, isPublic: true })).body.id;
    await clearHearing(base, token, court.body.id, hearingId);
    // Whichever node nginx hands the encoder to must know the new courtroom's key.
    await elapse(2_500);
    encoder = new TestEncoder(`${topo.ingestUrl}/${room.body.streamKey}`, 'flv', Date.now()).start();
    await elapse(1_500);
    // The start may reach either node; the hearing opens where the encoder's media arrives.
    expect((await api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    feed = new PublicFeed(`${base}/hls/hearings/${hearingId}/180p/index.m3u8`).start(500);
  }, 180_000);

  afterAll(async () => {
    feed?.stop();
    await encoder?.kill();
    await topo?.stop();
  });

  it('runs the hearing on the node the encoder reaches, and serves the output from the bucket through nginx’s cache', async () => {
    const runner = await owner();
    expect(runner).not.toBeNull();
    const playlist = `${base}/hls/hearings/${hearingId}/180p/index.m3u8`;
    const segment = await waitFor(async () => {
      const res = await fetch(playlist);
      const text = res.status === 200 ? await res.text() : '';
      const uris = text.split('\n').filter((l) => l.endsWith('.ts'));
      for (const uri of uris.reverse()) {
        const url = new URL(uri, playlist).toString();
        const body = Buffer.from(await (await fetch(url)).arrayBuffer());
        if ((await decodeCounters(body)).some((c) => c > 0)) return url;
      }
      return null;
    }, 'program media through nginx', 60_000, 1000);
    // The pipeline runs where the encoder's media arrives, whichever node the start reached.
    const encoderAt = JSON.parse((await topo.redisGet(`courtcast:encoders:ttl:${roomId}`)) ?? '{}') as { nodeId?: string };
    expect(encoderAt.nodeId).toBe(runner?.id);
    // Fetched once above; the second answer comes from nginx's cache, byte for byte the bucket's.
    const again = await fetch(segment);
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(again.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(again.headers.get('access-control-allow-origin')).toBe('*');
    // Both nodes sign archives with one key, the one the deployment publishes.
    const published = await Promise.all(nodes.map(async (n) => (await fetch(`${n.base}/.well-known/courtcast-archive-key.pem`)).text()));
    expect(published[0]).toContain('PUBLIC KEY');
    expect(published[1]).toBe(published[0]);
    const key = new URL(segment).pathname.replace(/^\/hls\//, '');
    expect(Buffer.from(await again.arrayBuffer()).equals((await topo.bucket.store().get(key)) as Buffer)).toBe(true);

    // The clerk's undelayed preview is read where the hearing runs, through either node.
    for (const n of nodes) {
      const headers = { authorization: `Bearer ${token}` };
      const playlistUrl = `${n.base}/api/hearings/${hearingId}/preview/index.m3u8`;
      const preview = await waitFor(async () => {
        const res = await fetch(playlistUrl, { headers });
        return res.status === 200 ? res.text() : null;
      }, `the preview through ${n.id}`, 20_000, 500);
      const uri = preview.split('\n').filter((l) => l.endsWith('.ts')).at(-1) as string;
      const res = await fetch(new URL(uri, playlistUrl), { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('video/mp2t');
      expect((await decodeCounters(Buffer.from(await res.arrayBuffer()))).some((c) => c > 0)).toBe(true);
      // Not for anyone else.
      expect((await fetch(playlistUrl)).status).toBe(401);
      // The public page's data says the hearing is broadcast, with its delay, through either node.
      const page = (await (await fetch(`${n.base}/public/hearings/${hearingId}`)).json()) as { broadcast: { delaySeconds: number } | null };
      expect(page.broadcast, n.id).toEqual({ delaySeconds: D / 1000 });
    }
  });

  it('acts on a cut sent to the node that does not run the hearing within a segment, and acks it once', async () => {
    const runner = (await owner()) as TopologyNode;
    const other = nodes.find((n) => n !== runner) as TopologyNode;
    const socket: Socket = connect(`${other.base}/control`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    // A viewer whose state stream reached the other node.
    const states = await new EventStream(`${other.base}/public/hearings/${hearingId}/events`).open();
    try {
      const acks: unknown[] = [];
      const emit = (event: string, payload: unknown) =>
        new Promise<{ ok: boolean; state?: { live: { phase: string } | null }; persisted?: boolean }>((resolve) =>
          socket.timeout(10_000).emit(event, payload, (err: unknown, ack: { ok: boolean }) => {
            acks.push(ack);
            resolve(err ? { ok: false } : ack);
          }),
        );
      const refreshed = new Promise<{ live: { phase: string } | null }>((resolve) => socket.once('state', resolve));
      const joined = await emit('join', { hearingId });
      // The console's state comes from the node running the hearing, on joining and every few
      // seconds after (viewers, encoder health), though the console is on the other node.
      expect(joined).toMatchObject({ ok: true, state: { live: { phase: 'on-air' } } });
      expect(await Promise.race([refreshed, elapse(5_000).then(() => null)])).toMatchObject({ live: { phase: 'on-air' } });
      await programAfter(Date.now() - D);
      const cutAt = Date.now();
      const cut = await emit('cut', { hearingId, idempotencyKey: 'topology-cut-1', reason: 'a minor was named' });
      expect(cut).toMatchObject({ ok: true, persisted: true, state: { live: { phase: 'cut' } } });
      expect(acks).toHaveLength(2);
      // A retry with the same key gets the first answer; the runner acted once.
      expect(await emit('cut', { hearingId, idempotencyKey: 'topology-cut-1', reason: 'a minor was named' })).toEqual(cut);
      const entries = await audit(other.base);
      const cuts = entries.filter((e) => e.action === 'cut');
      expect(cuts).toHaveLength(1);
      expect(Date.parse((cuts[0] as AuditEntry).at) - cutAt).toBeLessThan(SEGMENT_MS);
      await elapse(D + 2_000);
      await feed.poll();
      const decoded = await decodeFeed(feed);
      const leaked = decoded.flatMap((e) => e.counters.filter((c) => c > 0 && encoder.timeOf(c) > cutAt));
      expect(leaked).toEqual([]);
      expect(soundMadeWithin(decoded, encoder.epoch, { name: 'after the cut', start: cutAt, end: Number.POSITIVE_INFINITY })).toEqual([]);
      // That viewer was told what aired, though the hearing runs elsewhere: live, then interrupted.
      expect(states.states()[0]).toBe('live');
      expect(states.states()).toContain('interrupted');
    } finally {
      states.close();
      socket.disconnect();
    }
  });

  it('holds still while Redis stalls under both nodes: nothing more is released, a cut on the running node is acked at once, and the hearing goes on once Redis answers', async () => {
    const api = caller(base, token);
    expect((await api('POST', `/api/hearings/${hearingId}/broadcast/resume`, {})).status).toBe(200);
    await programAfter(Date.now());
    const runner = (await owner()) as TopologyNode;
    const socket: Socket = connect(`${runner.base}/control`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    type Ack = { ok: boolean; persisted?: boolean; state?: { live: { phase: string } | null } };
    const emit = (event: string, payload: unknown): Promise<Ack> =>
      new Promise((resolve, reject) => socket.timeout(15_000).emit(event, payload, (err: unknown, ack: Ack) => (err ? reject(err as Error) : resolve(ack))));
    expect(await emit('join', { hearingId })).toMatchObject({ ok: true });
    // What the public store lists as the newest slot (the bucket is not Redis: it still answers).
    const newest = async () => String((await topo.bucket.store().get(`hearings/${hearingId}/180p/index.m3u8`)) ?? '').split('\n').filter((l) => l.endsWith('.ts')).at(-1);
    let cutAt = 0;
    let before: string | undefined;
    topo.redis.freeze();
    try {
      // Past half the lease the runner cannot tell whether another node may take over: it stops releasing.
      await elapse(LEASE_SECONDS * 500 + 1_000);
      before = await newest();
      cutAt = Date.now();
      const cut = await emit('cut', { hearingId, idempotencyKey: 'topology-stall-cut', reason: 'said while Redis stalled' });
      const ackMs = Date.now() - cutAt;
      // Acked while Redis is still frozen: the live session took it; the store has not.
      expect(cut).toMatchObject({ ok: true, persisted: false, state: { live: { phase: 'cut' } } });
      // Within the answer's one second of waiting on stores (saving the program and the trail, in
      // parallel, then the console state), plus the loaded machine's scheduling; it took 3 s when
      // the three waited in turn.
      expect(ackMs).toBeLessThan(1_800);
      await elapse(2_000);
      expect(await newest()).toBe(before);
    } finally {
      topo.redis.thaw();
      socket.disconnect();
    }
    // Once Redis answers, the runner confirms its lease (or takes it back) and releases again.
    await waitFor(async () => (await newest()) !== before, 'releases to go on after the stall', 20_000, 500);
    expect((await owner())?.id).toBe(runner.id);
    await elapse(D + 2_000);
    await feed.poll();
    const decoded = await decodeFeed(feed);
    const leaked = decoded.flatMap((e) => e.counters.filter((c) => c > 0 && encoder.timeOf(c) > cutAt));
    expect(leaked).toEqual([]);
    expect(soundMadeWithin(decoded, encoder.epoch, { name: 'after the cut in the stall', start: cutAt, end: Number.POSITIVE_INFINITY })).toEqual([]);
    // The cut reached the trail's store after the stall, in one chain that verifies.
    await waitFor(async () => (await audit()).some((e) => e.action === 'cut' && e.reason === 'said while Redis stalled'), 'the cut on the stored trail', 15_000, 500);
    expect((await caller(base, token)('GET', `/api/hearings/${hearingId}/audit/verify`)).body).toMatchObject({ ok: true });
  });

  it('takes the hearing over when its node is killed: the dumped window never airs, the broadcast holds until a clerk resumes, the encoder’s reconnect is taken, and the audit chain continues', async () => {
    const api = caller(base, token);
    expect((await api('POST', `/api/hearings/${hearingId}/broadcast/resume`, {})).status).toBe(200);
    const resumedAt = Date.now();
    // A caption on the runner, released before it dies.
    const caption = (text: string) => api('POST', `/api/hearings/${hearingId}/captions`, { id: 'before-the-kill', lang: 'en', text, durationMs: 1_000 });
    expect((await caption('Before the node died.')).status).toBe(200);
    await programAfter(resumedAt);
    const runner = (await owner()) as TopologyNode;
    const survivor = nodes.find((n) => n !== runner) as TopologyNode;
    // Cut through nginx and resume at once, then the runner dies: the dumped window, and what it
    // captured after the resume, were pending there.
    const cut = await api<{ phase: string; persisted: boolean }>('POST', `/api/hearings/${hearingId}/broadcast/cut`, { reason: 'a protected witness' });
    const cutAt = Date.now();
    expect(cut.body).toMatchObject({ phase: 'cut', persisted: true });
    expect((await api<{ persisted: boolean }>('POST', `/api/hearings/${hearingId}/broadcast/resume`, {})).body).toMatchObject({ phase: 'on-air', persisted: true });
    await runner.server.kill();
    const killedAt = Date.now();
    // The encoder's connection died with the node; like a real encoder, it reconnects to the
    // same address, and nginx hands it to the node that is left.
    await encoder.exited;
    encoder = new TestEncoder(encoder.target, 'flv', encoder.epoch, encoder.size).start();
    await waitFor(async () => (await owner())?.id === survivor.id, 'the other node to take the hearing over', LEASE_SECONDS * 1000 + 20_000, 250);
    await waitFor(async () => (await audit()).some((e) => e.action === 'taken-over'), 'the takeover on the record', 10_000, 250);
    const resumed = await waitFor(async () => {
      const r = await api<{ phase: string }>('POST', `/api/hearings/${hearingId}/broadcast/resume`, {});
      return r.status === 200 ? r : null;
    }, 'a resume on the node that took over', 20_000, 500);
    const resumedAgainAt = Date.now();
    expect(resumed.body.phase).toBe('on-air');
    await programAfter(resumedAgainAt);
    // The survivor read the caption log back: the released cue is known there and cannot be
    // corrected (a track that had not would take it as a new cue), and new cues are taken.
    const late = await caption('Corrected after it aired.');
    expect(late.status, JSON.stringify(late.body)).toBe(409);
    expect(JSON.stringify(late.body)).toMatch(/released/);
    expect((await api('POST', `/api/hearings/${hearingId}/captions`, { id: 'after-the-takeover', lang: 'en', text: 'On the other node.', durationMs: 1_000 })).status).toBe(200);

    // What viewers saw meanwhile: the public playlist stood still from the dead node's last
    // entry until the survivor's first, and no longer than the lease, the survivor's start and a
    // segment's wait for its release.
    const appeared = feed.sorted().map((e) => e.appearedAt);
    const lastBefore = Math.max(...appeared.filter((t) => t <= killedAt));
    const firstAfter = Math.min(...appeared.filter((t) => t > killedAt));
    expect(firstAfter - lastBefore).toBeLessThan(LEASE_SECONDS * 1000 + 2 * SEGMENT_MS + 1_000);

    // Nothing captured between the cut and the resume after the takeover aired: the survivor,
    // which cannot know what the dead node had not stored, held the broadcast until then.
    await feed.poll();
    const decoded = await decodeFeed(feed);
    const frames = decoded.flatMap((e) => e.counters.filter((c) => c > 0));
    // Each frame placed where a node dated it (its master), the survivor's word first: the
    // restarted encoder's counters trail the wall clock by however long it took to start, up to
    // a second and more on a loaded machine. A frame no master holds is placed by its counter.
    const dating = new Map((await Promise.all([runner, survivor].map((n) => datedCounters(path.join(n.dataDir, 'master', hearingId))))).flatMap((m) => [...m]));
    expect(frames.filter((c) => dating.has(c)).length).toBeGreaterThan(frames.length / 2);
    const placed = (c: number) => dating.get(c) ?? encoder.timeOf(c);
    expect(frames.filter((c) => placed(c) > cutAt && placed(c) < resumedAgainAt - 500).map((c) => `${c} at ${placed(c) - cutAt} ms after the cut`)).toEqual([]);
    expect(frames.some((c) => encoder.timeOf(c) > resumedAgainAt)).toBe(true);
    // By ear too: no sound from between the cut and the resume on the node that took over, and the sound is back after it.
    expect(soundMadeWithin(decoded, encoder.epoch, { name: 'the takeover hold', start: cutAt, end: resumedAgainAt - 1_500 })).toEqual([]);
    expect(soundMadeWithin(decoded, encoder.epoch, { name: 'after the resume', start: resumedAgainAt, end: Number.POSITIVE_INFINITY })).not.toEqual([]);

    // One chain: the dead node's entries, the takeover, and the survivor's, and it verifies.
    const entries = await audit();
    const actions = entries.map((e) => e.action);
    const takeover = entries.find((e) => e.action === 'taken-over') as AuditEntry;
    expect(takeover.params).toMatchObject({ node: survivor.id, phase: 'on-air' });
    expect(entries[entries.indexOf(takeover) + 1]).toMatchObject({ action: 'pause', actor: { kind: 'system' }, params: { phase: 'paused' } });
    expect(actions.indexOf('cut')).toBeLessThan(actions.lastIndexOf('cut'));
    expect(actions.lastIndexOf('cut')).toBeLessThan(actions.indexOf('taken-over'));
    expect(actions.indexOf('taken-over')).toBeLessThan(actions.lastIndexOf('resume'));
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_e, i) => i));
    expect((await caller(base, token)('GET', `/api/hearings/${hearingId}/audit/verify`)).body).toMatchObject({ ok: true, entries: entries.length });
  });

  it('hands the hearing to the node its encoder reconnects to once the dead node is back, and ends there', async () => {
    const runner = (await owner()) as TopologyNode;
    const returning = nodes.find((n) => n !== runner) as TopologyNode;
    // Same name, same data: it clears what its crash left and leaves the hearing where it runs.
    await returning.server.start(returning.base);
    expect((await owner())?.id).toBe(runner.id);
    // The encoder comes back through the balancer to the returning node (here: pointed at it).
    await encoder.kill();
    const movedAt = Date.now();
    encoder = new TestEncoder(encoder.target.replace(/:\d+\/live/, `:${returning.rtmpPort}/live`), 'flv', encoder.epoch, encoder.size).start();
    await waitFor(async () => (await owner())?.id === returning.id, 'the hearing to follow its encoder', 20_000, 250);
    await programAfter(movedAt);
    expect((await caller(base, token)('POST', `/api/hearings/${hearingId}/broadcast/end`, {})).status).toBe(200);
    await feed.untilEnded(D + 30_000);
    expect(feed.errors).toEqual([]);
    const entries = await audit();
    const actions = entries.map((e) => e.action);
    expect(actions.lastIndexOf('handed-over')).toBeLessThan(actions.lastIndexOf('taken-over'));
    expect(entries.find((e) => e.action === 'handed-over')?.params).toMatchObject({ to: returning.id });
    expect(entries.filter((e) => e.action === 'taken-over').at(-1)?.params).toMatchObject({ node: returning.id, phase: 'on-air' });
    // The hearing still puts its last entries on the trail as it winds down (the playlist's end):
    // the verified chain holds everything read before it, and nothing not on the trail after it.
    const verified = (await caller(base, token)('GET', `/api/hearings/${hearingId}/audit/verify`)).body as { ok: boolean; entries: number };
    expect(verified.ok).toBe(true);
    expect(verified.entries).toBeGreaterThanOrEqual(entries.length);
    expect(verified.entries).toBeLessThanOrEqual((await audit()).length);
  });

  it('archives the hearing as one, whichever nodes recorded it: every holder’s master on one chain that verifies', async () => {
    const api = caller(base, token);
    const record = await waitFor(async () => {
      const r = await api<{ archive: ArchiveRecord }>('GET', `/api/archive/hearings/${hearingId}`);
      return r.body.archive?.status === 'complete' ? r.body.archive : null;
    }, 'the archive to be finalized', 90_000, 1000);
    const manifest = JSON.parse(String(await topo.archive.store().get(`hearings/${hearingId}/manifest.json`))) as Manifest;
    expect(manifest.seal.final).toBe(true);
    // Each holder numbers its runs from its own block: the first node (from run 1), the one that
    // took over after the kill, and the first again after the handover (the runs the trail names)
    // all recorded master that is listed.
    const master = manifest.entries.filter((e) => e.kind === 'master');
    const runs = new Set(master.map((e) => e.run));
    const takenFrom = (await audit()).filter((e) => e.action === 'taken-over').map((e) => (e.params as { firstRun: number }).firstRun);
    expect(takenFrom).toHaveLength(2);
    for (const run of [1, ...takenFrom]) expect(runs.has(run)).toBe(true);
    expect(record.masterSegments).toBe(master.length);
    expect(new Set(manifest.entries.map((e) => e.key)).size).toBe(manifest.entries.length);
    expect(manifest.entries.filter((e) => e.kind === 'mp4').map((e) => e.key).sort()).toEqual(['aired.mp4', 'master.mp4']);
    // Every object in the bucket with its listed hash (the nodes upload their own parts).
    const verdict = await waitFor(async () => {
      const v = (await api<Verdict>('POST', `/api/archive/hearings/${hearingId}/verify`)).body;
      return v.ok ? v : null;
    }, 'every archived object to be uploaded and match', 60_000, 2000);
    expect(verdict).toMatchObject({ ok: true, signature: 'valid', entries: manifest.entries.length, checkedObjects: manifest.entries.length });
  }, 200_000);
});
