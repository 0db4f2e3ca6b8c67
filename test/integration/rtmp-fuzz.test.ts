import { mkdtempSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../server/audit/trail.ts';
import { TestEncoder } from '../support/encoder.ts';
import { decodeCounters, PublicFeed } from '../support/public-feed.ts';
import { chunked, command, CONNECT_WITHOUT_APP, playCase, rtmpCorpus } from '../support/rtmp-fuzz.ts';
import { seedHearing, startTestServer, type TestServer, waitForEncoder } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

/** Command lines of running FFmpeg processes, read the way any local user could. */
async function ffmpegCommandLines(): Promise<string[]> {
  const out: string[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const line = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (line.split('\0')[0]?.endsWith('ffmpeg')) out.push(line.replaceAll('\0', ' '));
  }
  return out;
}

describe('RTMP ingest survives hostile input', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let feed: PublicFeed;
  let hearingId = '';
  let courtroomId = '';
  let streamKey = '';
  const epoch = Date.now();

  /** Whether the public has aired a frame the encoder emitted after `t`. */
  const airedAfter = (t: number) =>
    waitFor(async () => {
      await feed.poll();
      for (const e of feed.sorted().slice(-3)) {
        const counters = await decodeCounters(Buffer.from(await (await fetch(e.uri)).arrayBuffer()));
        if (counters.some((c) => c > 0 && encoder.timeOf(c) > t)) return true;
      }
      return false;
    }, `picture captured after ${new Date(t).toISOString()}`, 40_000, 500);

  const hidden = mkdtempSync(path.join(os.tmpdir(), '.courtcast-hidden-'));

  beforeAll(async () => {
    // The data directory sits under a dot-directory, as ~/.courtcast would: the preview must still be served.
    s = await startTestServer({ dataDir: path.join(hidden, 'data') });
    ({ hearingId, courtroomId, streamKey } = await seedHearing(s, { delaySeconds: 4 }));
    await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {});
    feed = new PublicFeed(`${s.base}/hls/hearings/${hearingId}/180p/index.m3u8`).start(250);
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`, 'flv', epoch).start();
    await waitForEncoder(s, hearingId);
    await airedAfter(epoch);
  });

  afterAll(async () => {
    feed?.stop();
    await encoder?.kill();
    await s?.close();
    await rm(hidden, { recursive: true, force: true });
  });

  it('drops a connect without app on that connection only', async () => {
    expect(await playCase(s.cc.rtmpPort, CONNECT_WITHOUT_APP)).toBe('closed');
    expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
  });

  it('keeps the broadcast on air through 1,000 fuzzed handshakes and commands', async () => {
    const started = Date.now();
    const corpus = rtmpCorpus(1000);
    let next = 0;
    const worker = async () => {
      while (next < corpus.length) await playCase(s.cc.rtmpPort, corpus[next++]!);
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
    // The courtroom's own encoder, on its own connection, never noticed.
    expect(await Promise.race([encoder.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('running'), 100))])).toBe('running');
    const live = (await s.api<{ live: { encoder: string } }>('GET', `/api/hearings/${hearingId}`)).body.live;
    expect(live.encoder).toBe('connected');
    await airedAfter(Date.now());
    const audit = (await s.api<AuditEntry[]>('GET', `/api/hearings/${hearingId}/audit`)).body;
    expect(audit.filter((e) => Date.parse(e.at) >= started).map((e) => e.action)).not.toContain('encoder-lost');
  });

  it('refuses a second encoder on the same key without disturbing the first', async () => {
    const second = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`, 'flv', epoch).start();
    expect(await second.exited).not.toBe(0);
    const live = (await s.api<{ live: { encoder: string } }>('GET', `/api/hearings/${hearingId}`)).body.live;
    expect(live.encoder).toBe('connected');
  });

  it('keeps the stream key off the pipeline command line, and its pull token is single-use', async () => {
    const lines = await ffmpegCommandLines();
    const pipeline = lines.filter((l) => l.includes(`courtroom-${courtroomId}`));
    expect(pipeline.length).toBeGreaterThan(0);
    // Only the test encoder, which pushes with it, names the key.
    expect(lines.filter((l) => l.includes(streamKey))).toHaveLength(1);
    const token = /token=([A-Za-z0-9_-]+)/.exec(pipeline[0]!)?.[1];
    expect(token).toBeTruthy();
    const connectLive = chunked(0x14, command('connect', 1, { app: 'live', tcUrl: 'rtmp://127.0.0.1/live' }));
    const createStream = chunked(0x14, command('createStream', 2, null));
    const replay = chunked(0x14, command('play', 4, null, `courtroom-${courtroomId}?token=${token}`), { streamId: 1 });
    // Refused means closed; a loaded server may take more than the fuzz cases' 150 ms to do it
    // (it took longer once beside the player), while an accepted play stays open for good.
    expect(await playCase(s.cc.rtmpPort, { name: 'replayed pull token', handshake: true, bytes: Buffer.concat([connectLive, createStream, replay]) }, '127.0.0.1', 3_000)).toBe('closed');
  });

  it('serves the clerk’s preview from a data directory under a dot-directory', async () => {
    const playlist = await s.api<string>('GET', `/api/hearings/${hearingId}/preview/index.m3u8`);
    expect(playlist.status).toBe(200);
    const uri = playlist.body.split('\n').find((l) => l.endsWith('.ts'));
    expect(uri).toBeTruthy();
    const res = await fetch(new URL(uri!, `${s.base}/api/hearings/${hearingId}/preview/index.m3u8`), { headers: { authorization: `Bearer ${s.token}` } });
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
  });

  it('keeps the courtroom’s ingest clock: the encoder’s timestamps against when they arrived', async () => {
    const clock = s.cc.ingest.clockOf(courtroomId);
    expect(clock).not.toBeNull();
    const first = clock!.latest!;
    const before = Date.now();
    await waitFor(() => (clock!.latest ?? 0) > first + 1_000, 'a second more of media', 5_000);
    const latest = clock!.latest!;
    const dated = clock!.captureOf(latest)!;
    // Dated when this server saw it: not before the wait began, not after now.
    expect(dated).toBeGreaterThanOrEqual(before);
    expect(dated).toBeLessThanOrEqual(Date.now());
    // The encoder's clock runs at real time, so a second of media arrived over about a second.
    expect(dated - clock!.captureOf(first)!).toBeGreaterThan(500);
    expect(clock!.firstAtOrAfter(dated)).toBeLessThanOrEqual(latest);
  });

  it('listens on the configured interface only', async () => {
    // The test server binds HTTP, and so ingest, to 127.0.0.1; 127.0.0.2 is loopback too but not bound.
    const refused = await new Promise<boolean>((resolve) => {
      const c = connect(s.cc.rtmpPort, '127.0.0.2');
      c.once('connect', () => {
        c.destroy();
        resolve(false);
      });
      c.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
