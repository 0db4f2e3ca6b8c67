import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceStreamId } from '../../server/domain/courts.ts';
import { specToArgs } from '../../server/media/spec.ts';
import { readReceived } from '../../server/pipeline/received-media.ts';
import { syntheticRtpSpec } from '../../server/media/synthetic.ts';
import { WhipClient } from '../../server/webrtc/whip-client.ts';
import { FRAME_MS, TEST_FPS, TestEncoder } from '../support/encoder.ts';
import { decodeFeed, delayViolations, fileCounters, PublicFeed, type DecodedEntry } from '../support/public-feed.ts';
import { videoPts } from '../../server/media/ts-continuity.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { heardMs, soundMadeWithin } from '../support/timecode.ts';
import { elapse, waitFor } from '../support/wait.ts';

const D = 4_000;

/**
 * Sends packets for `ms` at full speed to a local UDP port from a socket of its own: random bytes,
 * STUN binding requests with a made-up username, DTLS handshake records and RTP headers with
 * random SSRCs. Returns how many were sent.
 */
async function floodUdp(port: number, ms: number): Promise<number> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const stun = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42]), randomBytes(12), Buffer.from([0x00, 0x06, 0x00, 0x08]), Buffer.from('nobody:x')]);
  const dtls = Buffer.concat([Buffer.from([0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40]), randomBytes(64)]);
  const kinds = [() => randomBytes(1 + Math.floor(Math.random() * 1400)), () => stun, () => dtls, () => Buffer.concat([Buffer.from([0x80, 0x66]), randomBytes(1000)])];
  let sent = 0;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await Promise.all(Array.from({ length: 64 }, (_, i) => new Promise<void>((r) => sock.send(kinds[(sent + i) % kinds.length]!(), port, '127.0.0.1', () => r()))));
    sent += 64;
  }
  sock.close();
  return sent;
}

/**
 * How many of `sent` must be skipped to find `kept` in it in order, from where its first six
 * match, and in how many places; Infinity when they are not there at all. Few places: `kept` is
 * what was sent, packets lost on the way aside (a re-encoding's sizes would skip all along).
 */
function lossInOrder(kept: readonly number[], sent: readonly number[]): { skipped: number; gaps: number } {
  const head = kept.slice(0, 6).join(',');
  let start = -1;
  for (let i = 0; i + 6 <= sent.length && start < 0; i++) if (sent.slice(i, i + 6).join(',') === head) start = i;
  const none = { skipped: Number.POSITIVE_INFINITY, gaps: Number.POSITIVE_INFINITY };
  if (start < 0) return none;
  let skipped = 0;
  let gaps = 0;
  let at = start;
  for (const size of kept) {
    const from = at;
    while (at < sent.length && sent[at] !== size) at++;
    if (at >= sent.length) return none;
    if (at > from) gaps++;
    skipped += at - from;
    at++;
  }
  return { skipped, gaps };
}

/** The codec of each stream of a media file, in order (ffprobe). */
async function streamCodecs(file: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file]);
  // A TS file lists its streams under its program as well.
  return [...new Set(stdout.split('\n').map((l) => l.trim()).filter(Boolean))];
}

/**
 * When sound reached the server, on the time code's axis: the publisher's sends of sound (RTP
 * timestamp, wall instant; on loopback a packet reaches the server as it is sent) against the
 * sound's own timeline, whose first RTP timestamp is the code at `codeOrigin` (epoch ms). `by(t)`
 * is the newest sound that had reached us at `t` (the end of the last packet sent by then),
 * `from(t)` the oldest that reached us after it. So a check says "sound that reached us before the
 * start" rather than guessing how long the encoder took to send what it made.
 */
function soundReached(sent: readonly { ts: number; at: number }[], codeOrigin: number): { by: (t: number) => number; from: (t: number) => number } {
  const r0 = sent[0]!.ts;
  const code = (ts: number) => codeOrigin + ((ts - r0) >>> 0) / 48;
  return {
    by: (t) => code([...sent].reverse().find((p) => p.at <= t)!.ts) + 20,
    from: (t) => code(sent.find((p) => p.at >= t)!.ts),
  };
}

/** FFmpeg sending the counter pattern and the sound time code as RTP, as OBS's encoder would; `firstCounter` is its first frame's. */
function rtpSource(ports: { video: number; audio: number }, epoch: number, videoCodec: 'H264' | 'VP8' = 'H264'): ChildProcess & { firstCounter: number } {
  const firstCounter = Math.round((Date.now() - epoch) / FRAME_MS);
  const spec = syntheticRtpSpec({ width: 320, height: 180, fps: TEST_FPS, frameOffset: firstCounter, toneHz: 440, sound: 'timecode', caption: 'WHIP courtroom', gopFrames: TEST_FPS, videoCodec }, ports);
  return Object.assign(spawn('ffmpeg', specToArgs(spec), { stdio: ['ignore', 'ignore', 'pipe'] }), { firstCounter });
}

describe('WHIP ingest: a WebRTC publisher airs like an RTMP encoder', () => {
  let s: TestServer;
  let feed: PublicFeed;
  let client: WhipClient;
  let source: ChildProcess & { firstCounter: number };
  let epoch = 0;
  /** When the publisher sent the last packet of each video frame, by the source's RTP timestamp. */
  const sentAt = new Map<number, number>();
  let srcBase: number | null = null;
  /** When the publisher sent each packet of sound, by its RTP timestamp. */
  const audioSent: { ts: number; at: number; bytes: number }[] = [];
  /** For each master frame: when the ingest dated it, less when the publisher sent it (ms). */
  const datedAfterSent: number[] = [];
  let decoded: DecodedEntry[] = [];
  let masterSegments = 0;
  let clockSize = 0;
  const edge: Record<string, { status: number; type: string; headers: Headers; body: string }> = {};
  let secondRefused: unknown = null;
  let rtmpWhileWhip: number | null = null;
  let sessionAfterRotation: unknown = 'unset';
  /** Every WHIP and WHEP route asked without a credential, with a clerk of another courtroom, and WHEP with the courtroom key. */
  const sweep: { name: string; status: number; type: string }[] = [];
  const badCamera: { name: string; status: number; type: string }[] = [];
  const flood = { sent: 0, stateAfter: '', clockBefore: 0, clockAfter: 0, healthy: 0, from: 0, to: 0 };
  let oldKeyAfterRotation = 0;
  let hearingId = '';
  let connectedParams: unknown;
  /** The hearing's archive once complete: verified, final, its entries of media as received, their codecs and Opus packet sizes. */
  const archive = { verified: false, final: false, received: [] as { kind: string; key: string; captureStart?: number; captureEnd?: number }[], codecs: [] as string[], opusSizes: [] as number[][] };
  /** Each clerk command on the wall clock: from just before its request to just after its answer. */
  const wall: Record<string, { before: number; after: number }> = {};
  /** The capture instant from which the cut dumped. */
  let dumpedFrom = 0;
  const command = async (cmd: string) => {
    const before = Date.now();
    const res = await s.api('POST', `/api/hearings/${hearingId}/broadcast/${cmd}`, { reason: 'WHIP edge test' });
    wall[cmd] = { before, after: Date.now() };
    expect(res.status, `${cmd}: ${JSON.stringify(res.body)}`).toBe(200);
  };

  beforeAll(async () => {
    s = await startTestServer({ webrtc: { hostAddresses: ['127.0.0.1'] } });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    hearingId = seeded.hearingId;
    expect((await s.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/open`, {})).status).toBe(200);
    feed = new PublicFeed(`${s.base}/hls/hearings/${seeded.hearingId}/180p/index.m3u8`).start();
    const whipUrl = `${s.base}/whip/${seeded.courtroomId}`;
    const ask = async (name: string, method: string, url: string, headers: Record<string, string> = {}, body?: string) => {
      const res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
      edge[name] = { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, body: await res.text() };
    };
    const sdp = { 'content-type': 'application/sdp' };
    await ask('preflight', 'OPTIONS', whipUrl, { origin: 'https://capture.example', 'access-control-request-method': 'POST' });
    await ask('noKey', 'POST', whipUrl, sdp, 'v=0');
    await ask('wrongKey', 'POST', whipUrl, { ...sdp, authorization: 'Bearer not-the-key' }, 'v=0');
    await ask('unknownRoom', 'POST', `${s.base}/whip/cr_doesnotexist00`, { ...sdp, authorization: `Bearer ${seeded.streamKey}` }, 'v=0');
    await ask('notSdp', 'POST', whipUrl, { 'content-type': 'application/json', authorization: `Bearer ${seeded.streamKey}` }, '{}');
    await ask('malformed', 'POST', whipUrl, { ...sdp, authorization: `Bearer ${seeded.streamKey}` }, 'v=0\r\nm=video 9 x\r\n\u0000');
    await ask('huge', 'POST', whipUrl, { ...sdp, authorization: `Bearer ${seeded.streamKey}` }, `v=0\r\n${'a=x:y\r\n'.repeat(8000)}`);
    client = await WhipClient.connect({ url: whipUrl, key: seeded.streamKey, hostAddresses: ['127.0.0.1'], onSent: (kind, ts, at, bytes) => {
        if (kind === 'audio') audioSent.push({ ts, at, bytes });
        if (kind !== 'video') return;
        srcBase ??= ts;
        sentAt.set(ts, at);
      } });
    await client.connected();
    await WhipClient.connect({ url: whipUrl, key: seeded.streamKey, hostAddresses: ['127.0.0.1'] }).then(
      (c) => c.close(),
      (err: unknown) => (secondRefused = err),
    );
    const auth = { authorization: `Bearer ${seeded.streamKey}` };
    await ask('patch', 'PATCH', client.location, { ...auth, 'content-type': 'application/trickle-ice-sdpfrag' }, 'a=end-of-candidates');
    await ask('deleteOther', 'DELETE', `${whipUrl}/00000000-0000-4000-8000-000000000000`, auth);
    await ask('deleteNoKey', 'DELETE', client.location);
    // No WebRTC route answers anything but a problem without a credential that opens it.
    expect((await s.api('POST', '/api/users', { username: 'clerk-elsewhere', password: 'clerk-elsewhere-password', roles: ['clerk'], courtroomIds: [] })).status).toBe(201);
    const elsewhere = await s.login('clerk-elsewhere', 'clerk-elsewhere-password');
    const whepUrl = `${s.base}/whep/${seeded.hearingId}`;
    const routes: [string, string, Record<string, string>?, string?][] = [
      ['POST', whipUrl, sdp, 'v=0'],
      ['GET', `${whipUrl}/status`],
      ['DELETE', client.location],
      ['PATCH', client.location, { 'content-type': 'application/trickle-ice-sdpfrag' }, 'a=end-of-candidates'],
      ['POST', whepUrl, sdp, 'v=0'],
      ['DELETE', `${whepUrl}/00000000-0000-4000-8000-000000000000`],
      ['PATCH', `${whepUrl}/00000000-0000-4000-8000-000000000000`],
    ];
    for (const [method, url, headers, body] of routes) {
      for (const [who, auth] of [['nobody', {}], ['another room\'s clerk', { authorization: `Bearer ${elsewhere}` }], ['a forged token', { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x' }]] as const) {
        const res = await fetch(url, { method, headers: { ...headers, ...auth }, ...(body ? { body } : {}) });
        sweep.push({ name: `${method} ${new URL(url).pathname} as ${who}`, status: res.status, type: res.headers.get('content-type') ?? '' });
      }
    }
    for (const method of ['POST', 'DELETE']) {
      const res = await fetch(method === 'POST' ? whepUrl : `${whepUrl}/x`, { method, headers: { ...sdp, authorization: `Bearer ${seeded.streamKey}` }, body: 'v=0' });
      sweep.push({ name: `${method} WHEP with the courtroom key`, status: res.status, type: res.headers.get('content-type') ?? '' });
    }
    // A camera of the courtroom is named by the query, checked at the edge, before any offer is read.
    for (const name of ['Bench!', '..%2Fother', 'a'.repeat(40)]) {
      const res = await fetch(`${whepUrl}?source=${name}`, { method: 'POST', headers: { ...sdp, authorization: `Bearer ${s.token}` }, body: 'v=0' });
      badCamera.push({ name, status: res.status, type: res.headers.get('content-type') ?? '' });
    }
    epoch = Date.now();
    source = rtpSource(client.ports, epoch);
    // The publisher sends before the hearing starts, and the start falls in the first segment:
    // the sound from before it must not air on any rung.
    await waitFor(() => (s.cc.ingest.clockOf(seeded.courtroomId)?.latest ?? 0) >= 1_000, 'the WHIP publisher to reach 1 s', 30_000, 20);
    await command('start');
    await waitFor(async () => {
      await feed.poll();
      const entries = await decodeFeed(feed, { hear: false });
      return entries.filter((e) => e.program).length >= 3 && entries;
    }, 'three program segments over WHIP', 45_000, 1_000);
    clockSize = s.cc.ingest.clockOf(seeded.courtroomId)?.size ?? 0;
    // The ingest dates each master frame by when its last packet reached the server (the
    // publisher's send, on loopback), not by when the relay passed it on.
    const clock = s.cc.ingest.clockOf(seeded.courtroomId)!;
    const firstRun = path.join(s.cc.dirs.master, seeded.hearingId, (await readdir(path.join(s.cc.dirs.master, seeded.hearingId))).filter((d) => /^m\d{4,9}$/.test(d)).sort()[0]!);
    for (const f of (await readdir(firstRun)).filter((x) => x.endsWith('.ts')).sort()) {
      const file = path.join(firstRun, f);
      const counters = await fileCounters(file);
      const pts = videoPts(await readFile(file)).sort((a, b) => a - b);
      counters.forEach((c, k) => {
        const sent = sentAt.get((srcBase! + (c - source.firstCounter) * 3000) >>> 0);
        const dated = clock.captureOf(Math.round(pts[k]! * 1000));
        if (sent !== undefined && dated !== null) datedAfterSent.push(dated - sent);
      });
    }
    // Garbage, false STUN, DTLS and RTP from another address at the session's own port: the
    // session and its media go on.
    const port = Number(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/.exec(client.answer)?.[1]);
    expect(port).toBeGreaterThan(0);
    flood.clockBefore = s.cc.ingest.clockOf(seeded.courtroomId)?.latest ?? 0;
    flood.from = Date.now();
    flood.sent = await floodUdp(port, 3_000);
    flood.to = Date.now();
    await elapse(1_500);
    flood.stateAfter = client.state;
    flood.clockAfter = s.cc.ingest.clockOf(seeded.courtroomId)?.latest ?? 0;
    flood.healthy = (await fetch(`${s.base}/healthz`)).status;
    // An RTMP encoder with the same key meanwhile is refused by the ingest, as a second RTMP one is.
    const rtmp = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    rtmpWhileWhip = await Promise.race([rtmp.exited, new Promise<number>((r) => setTimeout(() => r(-1), 10_000))]);
    await rtmp.kill();
    // A cut dumps what is inside the delay window; the resume a second later airs again.
    await command('cut');
    dumpedFrom = s.cc.broadcasts.live(seeded.hearingId)!.program.dumped.at(-1)!.start;
    await elapse(1_000);
    await command('resume');
    await elapse(D);
    await command('end');
    await feed.untilEnded(D + 15_000);
    decoded = await decodeFeed(feed);
    const audit = await s.api<{ action: string; params?: unknown }[]>('GET', `/api/hearings/${seeded.hearingId}/audit`);
    connectedParams = audit.body.find((e) => e.action === 'encoder-connected')?.params;
    // A rotated key ends the session at once, and the old key opens nothing.
    const rotated = await s.api('POST', `/api/courtrooms/${seeded.courtroomId}/rotate-key`, {});
    expect(rotated.status).toBe(200);
    await waitFor(() => s.cc.whip?.sessionOf(seeded.courtroomId) === null, 'the session to end after the key rotated', 5_000);
    sessionAfterRotation = s.cc.whip?.sessionOf(seeded.courtroomId);
    oldKeyAfterRotation = (await fetch(whipUrl, { method: 'POST', headers: { ...sdp, ...auth }, body: 'v=0' })).status;
    const masterDir = path.join(s.cc.dirs.master, seeded.hearingId);
    for (const run of (await readdir(masterDir)).filter((d) => /^m\d{4,9}$/.test(d))) masterSegments += (await readdir(path.join(masterDir, run))).filter((f) => f.endsWith('.ts')).length;
    // The archive, complete: its sealed manifest lists the media as received beside the master.
    expect((await s.api('POST', '/api/users', { username: 'archivist-whip', password: 'archivist-whip-password', roles: ['archivist'] })).status).toBe(201);
    const archivist = await s.login('archivist-whip', 'archivist-whip-password');
    await waitFor(async () => (await s.api<{ archive?: { status: string } }>('GET', `/api/archive/hearings/${seeded.hearingId}`, undefined, archivist)).body.archive?.status === 'complete', 'the archive to be complete', 60_000, 500);
    archive.verified = (await s.api<{ ok: boolean }>('POST', `/api/archive/hearings/${seeded.hearingId}/verify`, undefined, archivist)).body.ok;
    const folder = path.join(s.dataDir, 'archive', 'hearings', seeded.hearingId);
    const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')) as { seal: { final: boolean }; entries: { kind: string; key: string; captureStart?: number; captureEnd?: number }[] };
    archive.final = manifest.seal.final;
    archive.received = manifest.entries.filter((e) => e.kind === 'received');
    for (const e of archive.received) {
      const file = path.join(folder, ...e.key.split('/'));
      archive.codecs.push((await streamCodecs(file)).join('+'));
      const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'packet=size', '-of', 'csv=p=0', file]);
      archive.opusSizes.push(stdout.split('\n').filter(Boolean).map(Number));
    }
  }, 150_000);

  afterAll(async () => {
    feed?.stop();
    source?.kill('SIGKILL');
    await client?.close();
    await s?.close();
  });

  it('answers CORS preflights for publishers on other origins', () => {
    expect(edge.preflight?.status).toBe(204);
    expect(edge.preflight?.headers.get('access-control-allow-origin')).toBe('*');
    expect(edge.preflight?.headers.get('access-control-allow-methods')).toContain('POST');
    expect(edge.preflight?.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
  });

  it('refuses offers without the courtroom key alike for a wrong key and an unknown room, with problem+json', () => {
    for (const name of ['noKey', 'wrongKey', 'unknownRoom']) {
      expect(edge[name]?.status, name).toBe(401);
      expect(edge[name]?.type, name).toContain('application/problem+json');
      expect(edge[name]?.headers.get('www-authenticate'), name).toMatch(/^Bearer/);
    }
  });

  it('refuses what is not an SDP offer with a clear problem, and keeps running', () => {
    expect(edge.notSdp?.status).toBe(415);
    expect(edge.malformed?.status).toBe(400);
    expect(JSON.parse(edge.malformed!.body).code).toBe('VALIDATION_FAILED');
    expect(edge.huge?.status).toBe(400);
    expect(edge.huge?.type).toContain('application/problem+json');
  });

  it('takes one publisher per courtroom: a second WHIP one gets 409 and an RTMP encoder is refused', () => {
    expect((secondRefused as { status?: number } | null)?.status).toBe(409);
    expect(rtmpWhileWhip).not.toBe(-1);
    expect(rtmpWhileWhip).not.toBe(0);
  });

  it('answers PATCH with 405 (no trickle), and DELETE only for its own session with its key', () => {
    expect(edge.patch?.status).toBe(405);
    expect(edge.patch?.headers.get('allow')).toBe('DELETE');
    expect(edge.deleteOther?.status).toBe(404);
    expect(edge.deleteNoKey?.status).toBe(401);
  });

  it('answers no WHIP or WHEP route without the courtroom key or a token of a clerk who serves it, and never with media', () => {
    expect(sweep.length).toBe(7 * 3 + 2);
    for (const r of sweep) {
      expect([401, 403], r.name).toContain(r.status);
      expect(r.type, r.name).toContain('application/problem+json');
    }
    expect(sweep.filter((r) => r.name.includes("another room's clerk") && r.name.startsWith('POST')).map((r) => r.status)).toEqual([403, 403]);
  });

  it('refuses a WHEP preview of a camera whose name is not a camera name, with a problem', () => {
    expect(badCamera.map((r) => [r.name.slice(0, 12), r.status, r.type.split(';')[0]])).toEqual([
      ['Bench!', 400, 'application/problem+json'],
      ['..%2Fother', 400, 'application/problem+json'],
      ['aaaaaaaaaaaa', 400, 'application/problem+json'],
    ]);
  });

  it('keeps the session and its media through a flood of garbage, false STUN, DTLS and RTP at its port', () => {
    expect(flood.sent).toBeGreaterThan(10_000);
    expect(flood.stateAfter).toBe('connected');
    expect(flood.clockAfter - flood.clockBefore).toBeGreaterThan(3_000);
    expect(flood.healthy).toBe(200);
  });

  it('ends the session when the key is rotated; the old key is refused', () => {
    expect(sessionAfterRotation).toBeNull();
    expect(oldKeyAfterRotation).toBe(401);
  });

  it('dates WHIP media by when it reached the server, never before and within a few frames, not by when the relay passed it on', () => {
    expect(datedAfterSent.length).toBeGreaterThan(60);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    expect(Math.min(...datedAfterSent)).toBeGreaterThanOrEqual(0);
    expect(median(datedAfterSent)).toBeLessThan(100);
    // The relay probes its input before it sends anything: dated by its arrival, the first frames
    // came out a quarter to a whole second late.
    expect(median(datedAfterSent.slice(0, 15))).toBeLessThan(150);
  });

  it('relays WHIP into the ingest: its packets are on the ingest clock, and the master has its own recorder', () => {
    expect(clockSize).toBeGreaterThan(100);
    expect(masterSegments).toBeGreaterThanOrEqual(3);
    expect(client.keyframesAsked).toBeGreaterThan(0);
    // The picture reaches the master as sent; the record says the sound does not (Opus → AAC).
    expect(connectedParams).toEqual({ via: 'whip', transcoded: [{ kind: 'sound', from: 'Opus', to: 'AAC' }], keptAsReceived: true });
  });

  it('airs no sound that reached us before the start, inside the dumped window or after the end, on any rung (the audio-only one too), by ear', () => {
    const reached = soundReached(audioSent, epoch + source.firstCounter * FRAME_MS);
    // An AAC frame is dated by the arrival of the last Opus it was made from, 21 ms past its
    // first sound, and that Opus packet's own 20 ms: sound that reached us up to 43 ms before a
    // start airs by right, and no more. In CI, sound this client handed to werift 124 and 148 ms
    // before a start aired. Three causes were found and fixed: media read after the command was
    // dated past its edge (media/read-pulse.ts); the relay's muxer moved every timestamp 21 ms on;
    // and the relay counted picture and sound each from its own first packet, so the ingest dated
    // sound by pictures that reached us up to a frame and more later (whip-relay.test.ts).
    const span = 43;
    const spans = [
      { name: 'before the start', start: Number.NEGATIVE_INFINITY, end: reached.by(wall.start!.before) - span },
      { name: 'the dumped window', start: reached.from(dumpedFrom), end: reached.by(wall.resume!.before) - span },
      { name: 'after the end', start: reached.from(wall.end!.after), end: Number.POSITIVE_INFINITY },
    ];
    for (const x of spans) expect(soundMadeWithin(decoded, epoch, x), x.name).toEqual([]);
    expect(dumpedFrom).toBeLessThan(wall.cut!.before - D / 2);
    // Not vacuous: every rung aired sound, after the resume as well as before the cut, and from
    // soon after the start.
    for (const rung of ['180p', 'audio']) {
      const own = decoded.map((e) => ({ ...e, heard: e.heard.filter((h) => h.label.startsWith(`${rung}/`)) }));
      expect(heardMs(own), rung).toBeGreaterThan(4_000);
      expect(soundMadeWithin(own, epoch, { name: 'after the resume', start: reached.from(wall.resume!.after), end: reached.by(wall.end!.before) }), rung).not.toEqual([]);
      const start = reached.from(wall.start!.after);
      expect(soundMadeWithin(own, epoch, { name: 'soon after the start', start, end: start + 400 }), rung).not.toEqual([]);
    }
  });

  it('keeps the publisher\'s media exactly as received beside the master, sealed in the archive, which verifies', () => {
    expect(archive.verified).toBe(true);
    expect(archive.final).toBe(true);
    expect(archive.received.length).toBeGreaterThanOrEqual(3);
    for (const e of archive.received) expect(e.key).toMatch(/^received\/[\w-]+-r1\/\d{6}\.mkv$/);
    expect(new Set(archive.codecs)).toEqual(new Set(['h264+opus']));
    // The Opus packets kept are the ones the publisher sent, byte counts in the same order: each
    // segment's run of sizes is found in the sent sequence (the master has only AAC made from them).
    const sent = audioSent.map((p) => p.bytes);
    archive.opusSizes.forEach((sizes, k) => {
      const e = archive.received[k]!;
      expect(e.captureStart).toBeGreaterThan(0);
      expect(sizes.length).toBeGreaterThan(40);
      // Sound is not sent again when lost (no NACK for Opus): the flood's seconds, and the loop
      // catching up after them, lose some on the way, as a real network would; otherwise a few
      // packets at most (two sessions in one process on a loaded machine lost 3 in 97 once).
      // Counted as places where packets went missing, not packets: a stalled receiver loses a
      // second of packets in one place (ci88: 55 in one run of 95 kept), which says nothing about
      // whether what was kept is what was sent, while sizes matched by chance would skip all along.
      const flooded = e.captureStart! < flood.to + 2_000 && e.captureEnd! > flood.from;
      const loss = lossInOrder(sizes, sent);
      const why = `${e.key}: ${JSON.stringify(loss)} ${sizes.join(',')}`;
      expect(loss.gaps, why).toBeLessThanOrEqual(flooded ? sizes.length / 2 : Math.ceil(sizes.length / 20));
      expect(loss.skipped, why).toBeLessThanOrEqual(sizes.length);
    });
  });

  it('airs the courtroom over WHIP, never before capture + D', () => {
    expect(feed.errors).toEqual([]);
    expect(decoded.filter((e) => e.program).length).toBeGreaterThanOrEqual(3);
    expect(delayViolations(decoded, (c) => epoch + c * FRAME_MS, D)).toEqual([]);
  });
});

describe('WHIP sessions are bounded: how many at once, and how fast one may send', () => {
  let s: TestServer;
  const clients: WhipClient[] = [];
  let source: ChildProcess | null = null;
  const seen: Record<string, unknown> = {};

  beforeAll(async () => {
    s = await startTestServer({ webrtc: { hostAddresses: ['127.0.0.1'], maxSessions: 1, maxKbps: 256, portRange: [47_000, 47_099], announcedAddresses: ['203.0.113.7'] } });
    const a = await seedHearing(s, { delaySeconds: D / 1000 });
    const b = await seedHearing(s, { delaySeconds: D / 1000 });
    const connect = (room: { courtroomId: string; streamKey: string }) => WhipClient.connect({ url: `${s.base}/whip/${room.courtroomId}`, key: room.streamKey, hostAddresses: ['127.0.0.1'] });
    clients.push(await connect(a));
    await clients[0]!.connected();
    seen.candidates = [...clients[0]!.answer.matchAll(/a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host/g)].map((m) => [m[1], Number(m[2])]);
    seen.secondWhileFull = await connect(b).then((c) => (clients.push(c), 201), (err: { status?: number }) => err.status);
    // A publisher sending 1.2 Mb/s against a bound of 256 kb/s is let go within seconds.
    source = rtpSource(clients[0]!.ports, Date.now());
    const t0 = Date.now();
    await waitFor(() => s.cc.whip?.sessionOf(a.courtroomId) === null, 'the over-bitrate session to end', 15_000, 100);
    seen.endedAfterMs = Date.now() - t0;
    source.kill('SIGKILL');
    seen.secondOnceFree = await connect(b).then((c) => (clients.push(c), 201), (err: { status?: number }) => err.status);
    // Forty offers mangled at random (lines dropped, doubled or swapped, bytes changed, cut short)
    // for the courtroom that now has a publisher: each gets a problem, none a 5xx or an answer,
    // and the publisher stays connected.
    await clients.at(-1)!.connected();
    const offer = clients.at(-1)!.sentOffer.split('\r\n');
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;
    const mangle = (): string => {
      const lines = [...offer];
      for (let k = 0; k < 1 + Math.floor(Math.random() * 4); k++) {
        // A cut may leave nothing to change.
        if (lines.length === 0) break;
        const i = Math.floor(Math.random() * lines.length);
        const op = pick(['drop', 'double', 'swap', 'byte', 'cut', 'long']);
        if (op === 'drop') lines.splice(i, 1);
        else if (op === 'double') lines.splice(i, 0, lines[i]!);
        else if (op === 'swap') [lines[i], lines[0]] = [lines[0]!, lines[i]!];
        else if (op === 'byte') lines[i] = lines[i]!.replace(/./, () => String.fromCharCode(Math.floor(Math.random() * 256)));
        else if (op === 'cut') lines.length = i;
        else lines[i] = `${lines[i]}${'9'.repeat(2000)}`;
      }
      return lines.join('\r\n');
    };
    const statuses: string[] = [];
    for (let k = 0; k < 40; k++) {
      const res = await fetch(`${s.base}/whip/${b.courtroomId}`, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${b.streamKey}` }, body: mangle() });
      statuses.push(`${res.status} ${res.headers.get('content-type')?.split(';')[0]}`);
    }
    seen.fuzzed = statuses;
    seen.stillConnected = clients.at(-1)!.state;
    // The relay's files cannot be written (a full or failed disk; here its directory is a file):
    // a publisher is told to try again (503), and is taken once the disk is back.
    await clients.at(-1)!.close();
    await waitFor(() => s.cc.whip?.sessionOf(b.courtroomId) === null, 'the session to end', 5_000);
    const work = path.join(s.dataDir, 'webrtc');
    await rm(work, { recursive: true, force: true });
    await writeFile(work, 'not a directory');
    seen.diskRefused = await connect(b).then((c) => (clients.push(c), { status: 201 }), (err: { status?: number; message: string }) => ({ status: err.status, message: err.message }));
    await rm(work, { force: true });
    seen.diskBack = await connect(b).then((c) => (clients.push(c), 201), (err: { status?: number }) => err.status);
  }, 60_000);

  afterAll(async () => {
    source?.kill('SIGKILL');
    for (const c of clients) await c.close();
    await s?.close();
  });

  it('refuses a publisher beyond webrtc.maxSessions with 503, and takes it once one has gone', () => {
    expect(seen.secondWhileFull).toBe(503);
    expect(seen.secondOnceFree).toBe(201);
  });

  it('gathers on the configured UDP ports and announces the public address', () => {
    const candidates = seen.candidates as [string, number][];
    expect(candidates.length).toBeGreaterThan(1);
    for (const [, port] of candidates) {
      expect(port).toBeGreaterThanOrEqual(47_000);
      expect(port).toBeLessThanOrEqual(47_099);
    }
    expect(candidates.map(([address]) => address)).toContain('203.0.113.7');
  });

  it('answers mangled offers with a problem, never a 5xx, and keeps the courtroom\'s publisher', () => {
    const statuses = seen.fuzzed as string[];
    expect(statuses).toHaveLength(40);
    for (const st of statuses) expect(st).toMatch(/^4\d\d application\/problem\+json$/);
    expect(seen.stillConnected).toBe('connected');
  });

  it('tells a publisher to try again (503, a problem) when the relay\'s files cannot be written, and takes it once they can', () => {
    const refused = seen.diskRefused as { status: number; message: string };
    expect(refused.status).toBe(503);
    expect(refused.message).toMatch(/"code":"STORE_UNAVAILABLE"/);
    expect(refused.message).toContain('try again');
    expect(seen.diskBack).toBe(201);
  });

  it('ends a session that sends above webrtc.maxKbps for three seconds', () => {
    expect(seen.endedAfterMs).toBeLessThan(10_000);
  });
});

describe('WHIP over a lossy network and a relay that dies: the server asks again for what was lost (NACK), the master is whole, the relay comes back', () => {
  let s: TestServer;
  let client: WhipClient;
  let source: (ChildProcess & { firstCounter: number }) | null = null;
  let counters: number[] = [];
  let afterCrash: { sameSession: boolean; state: string; backAfterMs: number } | null = null;

  beforeAll(async () => {
    s = await startTestServer({ webrtc: { hostAddresses: ['127.0.0.1'] } });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    expect((await s.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/start`, {})).status).toBe(200);
    // One packet of the picture in twenty lost on the way, as on a poor courtroom uplink.
    client = await WhipClient.connect({ url: `${s.base}/whip/${seeded.courtroomId}`, key: seeded.streamKey, hostAddresses: ['127.0.0.1'], lossPercent: 5 });
    await client.connected();
    source = rtpSource(client.ports, Date.now());
    const masterDir = path.join(s.cc.dirs.master, seeded.hearingId);
    const segments = async () => {
      const runs = (await readdir(masterDir).catch(() => [])).filter((d) => /^m\d{4,9}$/.test(d)).sort();
      return runs.length === 0 ? [] : (await readdir(path.join(masterDir, runs[0]!))).filter((f) => f.endsWith('.ts')).sort().map((f) => path.join(masterDir, runs[0]!, f));
    };
    await waitFor(async () => (await segments()).length >= 4, 'four master segments over a lossy network', 45_000, 500);
    for (const file of (await segments()).slice(0, 3)) counters.push(...(await fileCounters(file)));
    // The relay's FFmpeg dies mid-session: it is started again, the publisher stays connected in
    // the same session, and the courtroom's media reaches the ingest again.
    const session = s.cc.whip!.sessionOf(seeded.courtroomId)!.id;
    const pid = s.cc.whip!.relayPid(seeded.courtroomId)!;
    const clockBefore = s.cc.ingest.clockOf(seeded.courtroomId);
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(() => {
      const pidNow = s.cc.whip!.relayPid(seeded.courtroomId);
      const clock = s.cc.ingest.clockOf(seeded.courtroomId);
      return pidNow !== undefined && pidNow !== pid && clock !== clockBefore && (clock?.latestAt ?? 0) > killedAt + 1_000;
    }, 'the relay to be started again and its media to reach the ingest', 20_000, 100);
    afterCrash = { sameSession: s.cc.whip!.sessionOf(seeded.courtroomId)?.id === session, state: client.state, backAfterMs: Date.now() - killedAt };
  }, 90_000);

  afterAll(async () => {
    source?.kill('SIGKILL');
    await client?.close();
    await s?.close();
  });

  it('repairs the picture: the first master segments hold the frames in order, all but a rare one', () => {
    const { nacked, dropped } = client.repairs;
    expect(dropped).toBeGreaterThan(20);
    expect(nacked).toBeGreaterThan(dropped / 2);
    counters = counters.filter((c) => c > 0);
    expect(counters.length).toBeGreaterThan(100);
    // Unrepaired, one packet in twenty lost breaks most frames (a frame is several packets, a
    // keyframe dozens). Repaired, a rare retransmission that comes too late may still break one.
    const inOrder = counters.filter((c, i) => i === 0 || c === counters[i - 1]! + 1).length;
    expect(inOrder / counters.length, counters.join(',')).toBeGreaterThan(0.98);
  });

  it('starts the relay again when its FFmpeg dies, in the same session, the publisher still connected', () => {
    expect(afterCrash).toMatchObject({ sameSession: true, state: 'connected' });
    expect(afterCrash!.backAfterMs).toBeLessThan(10_000);
  });
});

describe('a browser that offers only VP8: its picture is made H.264 once, airs, the record says so, and the VP8 is kept as received', () => {
  let s: TestServer;
  let client: WhipClient;
  let source: (ChildProcess & { firstCounter: number }) | null = null;
  let feed: PublicFeed;
  let decoded: DecodedEntry[] = [];
  let epoch = 0;
  let masterCodecs: string[] = [];
  let receivedCodecs: string[] = [];
  let connected: { params?: { via?: string; transcoded?: unknown[] } } | undefined;

  beforeAll(async () => {
    s = await startTestServer({ webrtc: { hostAddresses: ['127.0.0.1'] } });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    expect((await s.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/start`, {})).status).toBe(200);
    feed = new PublicFeed(`${s.base}/hls/hearings/${seeded.hearingId}/180p/index.m3u8`).start();
    client = await WhipClient.connect({ url: `${s.base}/whip/${seeded.courtroomId}`, key: seeded.streamKey, hostAddresses: ['127.0.0.1'], video: 'VP8' });
    await client.connected();
    epoch = Date.now();
    source = rtpSource(client.ports, epoch, 'VP8');
    await waitFor(async () => {
      await feed.poll();
      return (await decodeFeed(feed, { hear: false })).filter((e) => e.program).length >= 2;
    }, 'two program segments from a VP8 publisher', 45_000, 1_000);
    await s.api('POST', `/api/hearings/${seeded.hearingId}/broadcast/end`, {});
    await feed.untilEnded(D + 15_000);
    decoded = await decodeFeed(feed, { hear: false });
    const masterDir = path.join(s.cc.dirs.master, seeded.hearingId);
    const run = (await readdir(masterDir)).filter((d) => /^m\d{4,9}$/.test(d)).sort()[0]!;
    const first = (await readdir(path.join(masterDir, run))).filter((f) => f.endsWith('.ts')).sort()[0]!;
    masterCodecs = await streamCodecs(path.join(masterDir, run, first));
    const received = await readReceived(masterDir);
    receivedCodecs = received.length > 0 ? await streamCodecs(path.join(masterDir, received[0]!.file)) : [];
    const audit = await s.api<{ action: string; params?: { via?: string; transcoded?: unknown[] } }[]>('GET', `/api/hearings/${seeded.hearingId}/audit`);
    connected = audit.body.find((e) => e.action === 'encoder-connected');
  }, 90_000);

  afterAll(async () => {
    feed?.stop();
    source?.kill('SIGKILL');
    await client?.close();
    await s?.close();
  });

  it('answers the VP8 offer with VP8, and airs the courtroom in order, never before capture + D', () => {
    expect(client.answer).toMatch(/a=rtpmap:\d+ VP8\/90000/);
    expect(feed.errors).toEqual([]);
    const program = decoded.filter((e) => e.program);
    expect(program.length).toBeGreaterThanOrEqual(2);
    const counters = program.flatMap((e) => e.counters).filter((c) => c > 0);
    expect(counters.filter((c, i) => i > 0 && c !== counters[i - 1]! + 1).length).toBeLessThan(counters.length / 50);
    expect(delayViolations(decoded, (c) => epoch + c * FRAME_MS, D)).toEqual([]);
  });

  it('keeps an H.264 master, and the hearing\'s record says the picture was transcoded from VP8 and the sound from Opus', () => {
    expect(masterCodecs).toEqual(['h264', 'aac']);
    // Beside it, the VP8 and the Opus as they reached us.
    expect(receivedCodecs).toEqual(['vp8', 'opus']);
    expect(connected?.params).toEqual({ via: 'whip', transcoded: [{ kind: 'picture', from: 'VP8', to: 'H.264' }, { kind: 'sound', from: 'Opus', to: 'AAC' }], keptAsReceived: true });
  });
});

describe('a courtroom’s further camera published over WHIP with its own key', () => {
  let s: TestServer;
  let source: ChildProcess | null = null;
  const seen: Record<string, unknown> = {};

  beforeAll(async () => {
    s = await startTestServer({ webrtc: { hostAddresses: ['127.0.0.1'] } });
    const room = await seedHearing(s, { delaySeconds: D / 1000 });
    const set = await s.api<{ sources: { name: string; streamKey?: string }[] }>('PUT', `/api/courtrooms/${room.courtroomId}/sources`, [{ name: 'bench', label: 'Bench' }]);
    const benchKey = set.body.sources[0]!.streamKey!;
    const url = `${s.base}/whip/${room.courtroomId}?source=bench`;
    const connect = (key: string, u = url) => WhipClient.connect({ url: u, key, hostAddresses: ['127.0.0.1'] });
    const status = (key: string, u = url) => connect(key, u).then(async (c) => (await c.close(), 201), (err: { status?: number }) => err.status);
    // The courtroom's own key does not open its bench camera, nor the bench's a camera it does not have.
    seen.courtroomKey = await status(room.streamKey);
    seen.unknownCamera = await status(benchKey, `${s.base}/whip/${room.courtroomId}?source=gallery`);
    seen.badName = await status(benchKey, `${s.base}/whip/${room.courtroomId}?source=Bench`);
    const client = await connect(benchKey);
    const at = new URL(client.location);
    seen.location = `${at.pathname.replace(/[0-9a-f-]{36}$/, '<session>')}${at.search}`;
    await client.connected();
    source = rtpSource(client.ports, Date.now());
    const bench = sourceStreamId(room.courtroomId, 'bench');
    await waitFor(() => (s.cc.ingest.clockOf(bench)?.latest ?? 0) >= 1_000, 'a second of the bench camera over WHIP', 30_000, 50);
    seen.publishing = { bench: s.cc.ingest.isPublishing(bench), room: s.cc.ingest.isPublishing(room.courtroomId) };
    seen.second = await status(benchKey);
    // DELETE on the session's URL (its camera named in it) ends it, and the camera leaves the ingest.
    await client.close();
    await waitFor(() => !s.cc.ingest.isPublishing(bench), 'the bench camera gone once its session was deleted', 15_000, 100);
  }, 90_000);

  afterAll(async () => {
    source?.kill('SIGKILL');
    await s?.close();
  });

  it('publishes the camera under the courtroom, with the camera’s key only, and ends it by its session’s URL', () => {
    expect(seen).toEqual({
      courtroomKey: 401,
      unknownCamera: 401,
      badName: 400,
      location: expect.stringMatching(/^\/whip\/cr_[0-9a-f]+\/<session>\?source=bench$/) as unknown,
      publishing: { bench: true, room: false },
      second: 409,
    });
  });
});
