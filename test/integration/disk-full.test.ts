import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthReport } from '../../server/service/operations/health.ts';
import { TestEncoder } from '../support/encoder.ts';
import { decodeFeed, PublicFeed, strictParse, type DecodedEntry } from '../support/public-feed.ts';
import { seedHearing, startTestServer, type TestServer, waitForEncoder } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const D = 4_000;
// Mounting a small filesystem needs root, as CI and the developers' machines have.
const root = process.getuid?.() === 0;

/** Takes every free byte of a filesystem, again and again, until stopped: a disk that stays full. */
class Ballast {
  private stopped = false;
  private done: Promise<void> | null = null;

  constructor(private readonly dir: string) {}

  start(): void {
    this.done = (async () => {
      const fh = await open(path.join(this.dir, 'ballast'), 'a');
      // Big chunks to fill fast, then smaller ones down to a byte, so not even a small slate fits.
      const chunks = [64 * 1024, 4096, 1].map((n) => Buffer.alloc(n, 7));
      try {
        while (!this.stopped) {
          let wrote = false;
          for (const chunk of chunks) {
            try {
              await fh.write(chunk);
              wrote = true;
              break;
            } catch {
              // too big for what is left: try a smaller one
            }
          }
          if (!wrote) await new Promise((r) => setTimeout(r, 10)); // full: wait for a freed byte
        }
      } finally {
        await fh.close();
      }
    })();
  }

  /** Stops taking space; the ballast stays, so the disk stays full. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  async free(): Promise<void> {
    await this.stop();
    await rm(path.join(this.dir, 'ballast'), { force: true });
  }
}

describe.skipIf(!root)('a full data disk: publish, then list, and recover when it is freed', () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'courtcast-diskfull-'));
  // The whole data directory: pending and master media, the state store, the audit spool, the public store.
  const dataDir = path.join(base, 'data');
  let s: TestServer;
  let encoder: TestEncoder;
  let feed: PublicFeed;
  let hearingId = '';
  let mounted = false;
  const missing: string[] = [];
  let checking = true;
  let checker: Promise<void> = Promise.resolve();
  let healthWhileFull: HealthReport | null = null;
  let faultOnConsole: string | null = null;
  /** What the clerk's console (Socket.IO) said of the data disk while it was full. */
  let diskOnConsole: { ok: boolean; error?: string } | null = null;
  let decoded: DecodedEntry[] = [];
  let fullFrom = 0;
  let freedAt = 0;
  let resumedAt = 0;
  let freshPictureAt = 0;
  let pauseStatus = 0;

  /** Like a player that fetches every segment it is offered: each listed file must be there. */
  const checkListed = async (playlistUrl: string): Promise<void> => {
    while (checking) {
      const res = await fetch(playlistUrl).catch(() => null);
      if (res?.status === 200) {
        const pl = strictParse(await res.text()) as { segments: { uri: string }[] };
        for (const seg of pl.segments.slice(-3)) {
          const url = new URL(seg.uri, playlistUrl).toString();
          const r = await fetch(url, { method: 'HEAD' });
          if (r.status !== 200) missing.push(`${r.status} ${url}`);
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    mkdirSync(dataDir, { recursive: true });
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dataDir]);
    mounted = true;
    s = await startTestServer({ dataDir });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    hearingId = seeded.hearingId;
    await s.api('POST', `/api/hearings/${hearingId}/broadcast/open`, {});
    const playlistUrl = `${s.base}/hls/hearings/${hearingId}/180p/index.m3u8`;
    feed = new PublicFeed(playlistUrl).start(200);
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    await waitForEncoder(s, hearingId);
    await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {});
    await waitFor(async () => {
      await feed.poll();
      return (await decodeFeed(feed, { hear: false })).some((e) => e.program);
    }, 'program media in public', 30_000, 500);
    checker = checkListed(playlistUrl);

    const ballast = new Ballast(dataDir);
    fullFrom = Date.now();
    ballast.start();
    healthWhileFull = await waitFor(async () => {
      const res = await fetch(`${s.base}/healthz`);
      const h = (await res.json()) as HealthReport;
      return res.status === 503 && !h.dataDisk.ok && h.pipelines.some((p) => p.publicStoreFault) ? h : null;
    }, '/healthz to report the disk and the public store fault', 15_000, 300);
    faultOnConsole = (await s.api<{ live: { publicStoreFault: string | null } }>('GET', `/api/hearings/${hearingId}`)).body.live.publicStoreFault;
    const clerk = connect(`${s.base}/control`, { auth: { token: s.token }, transports: ['websocket'], reconnection: false, forceNew: true });
    try {
      await new Promise<void>((r) => clerk.once('connect', () => r()));
      const joined = (await (clerk.timeout(10_000).emitWithAck as (ev: string, p: unknown) => Promise<unknown>)('join', { hearingId })) as { state?: { health: { dataDisk: { ok: boolean; error?: string } } } };
      diskOnConsole = joined.state?.health.dataDisk ?? null;
    } finally {
      clerk.disconnect();
    }
    // A safety act needs no disk: the clerk pauses while it is full.
    pauseStatus = (await s.api('POST', `/api/hearings/${hearingId}/broadcast/pause`, { reason: 'the disk is full' })).status;
    await elapse(4_000);
    // Then no write at all, not even the slate from memory: slots go missing and the playlist must hold.
    await ballast.stop();
    await run('mount', ['-o', 'remount,ro', dataDir]);
    await elapse(5_000);
    await run('mount', ['-o', 'remount,rw', dataDir]);
    await ballast.free();
    freedAt = Date.now();
    let health = '';
    await waitFor(async () => {
      const res = await fetch(`${s.base}/healthz`);
      health = await res.text();
      return res.status === 200;
    }, '/healthz to recover', 20_000, 300).catch((err: Error) => Promise.reject(new Error(`${err.message}: ${health}`)));
    // The clerk resumes once the disk is back (resuming must be on the record, and the record is on this disk).
    await waitFor(async () => (await s.api('POST', `/api/hearings/${hearingId}/broadcast/resume`, {})).status === 200, 'the resume to be taken', 20_000, 500);
    resumedAt = Date.now();
    // Fresh picture: program media captured after the resume, aired D after it and not much later.
    freshPictureAt = await waitFor(async () => {
      await feed.poll();
      const fresh = (await decodeFeed(feed, { hear: false })).find((e) => e.program && e.appearedAt > resumedAt + D - 1_000);
      return fresh ? fresh.appearedAt : null;
    }, 'picture after the disk was freed', 40_000, 250);
    await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {});
    await feed.untilEnded(D + 20_000);
    checking = false;
    await checker;
    decoded = await decodeFeed(feed);
  }, 180_000);

  afterAll(async () => {
    checking = false;
    await checker;
    feed?.stop();
    await encoder?.kill();
    await s?.close();
    if (mounted) await run('umount', [dataDir]).catch(() => run('umount', ['-l', dataDir]));
    await rm(base, { recursive: true, force: true });
  });

  it('never listed a file the store did not have', () => {
    expect(missing).toEqual([]);
    expect(feed.errors).toEqual([]);
  });

  it('said so on /healthz and in the hearing status while the disk was full, and took the pause', () => {
    expect(healthWhileFull?.status).toBe('degraded');
    expect(healthWhileFull?.dataDisk).toMatchObject({ ok: false, error: expect.stringMatching(/ENOSPC/) });
    expect(faultOnConsole).toMatch(/ENOSPC/);
    expect(diskOnConsole).toMatchObject({ ok: false, error: expect.stringMatching(/ENOSPC/) });
    expect(pauseStatus).toBe(200);
  });

  it('aired fresh picture within 10 s of the resume (beyond the delay) once the disk was freed', () => {
    const late = freshPictureAt - (resumedAt + D);
    if (process.env.SHOW_TIMES) console.log(`fresh picture ${late} ms after the resume plus the delay; disk freed ${resumedAt - freedAt} ms before the resume`);
    expect(late).toBeLessThan(10_000);
  });

  it('showed the public slates, not errors, across the outage, and every listed segment decodes', () => {
    const during = decoded.filter((e) => e.appearedAt > fullFrom && e.appearedAt < freedAt + 4_000);
    expect(decoded.length).toBeGreaterThan(5);
    // Whatever was listed around the outage is either program media or a slate: all decodable.
    for (const e of during) expect(e.program || e.counters.every((c) => c === 0)).toBe(true);
    expect(decoded.some((e) => !e.program && e.appearedAt > fullFrom)).toBe(true);
  });
});
