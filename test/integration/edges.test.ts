import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseRecord } from '../../server/delay/delay-line.ts';
import { readCounter } from '../../server/media/synthetic.ts';
import { videoPts } from '../../server/media/ts-continuity.ts';
import { FRAME_MS, TestEncoder } from '../support/encoder.ts';
import { decodeFrames, PublicFeed } from '../support/public-feed.ts';
import { seedHearing, startTestServer, type TestServer, waitForEncoder } from '../support/server.ts';
import { elapse } from '../support/wait.ts';

const D = 8_000;
const RUNGS = ['360p', '180p'] as const;

/** The newest encoder timestamps seen at ingest just before a command and just after its answer. */
interface Bracket {
  before: number;
  after: number;
}

/**
 * Every program edge lands on the frame captured at the command: the segment it falls in airs
 * its on-air frames with the slate spliced over the rest. Which frames were captured before a
 * command is read off the ingest server's arrivals: the newest timestamp seen just before the
 * request and just after its answer bracket the command's capture instant.
 */
describe('frame-exact program edges', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let feed: PublicFeed;
  const records: ReleaseRecord[] = [];
  /** Aired program frames by rung: their timestamps (ms, the encoder's clock). */
  const aired: Record<string, number[]> = { '360p': [], '180p': [] };
  const edges: Record<string, Bracket> = {};
  let dumpedFromTs = 0;

  beforeAll(async () => {
    s = await startTestServer({ media: { ladder: [{ name: '360p', height: 360, videoKbps: 600, audioKbps: 64 }, { name: '180p', height: 180, videoKbps: 250, audioKbps: 64 }, { name: 'audio', audioKbps: 64 }], segmentSeconds: 2, fps: 30, liveMaskSlots: 0 } });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    const id = seeded.hearingId;
    await s.api('POST', `/api/hearings/${id}/broadcast/open`, {});
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    await waitForEncoder(s, id);
    const session = s.cc.broadcasts.live(id)!;
    session.on('released', (r) => records.push(r));
    feed = new PublicFeed(`${s.base}/hls/hearings/${id}/360p/index.m3u8`).start(250);
    const clock = () => s.cc.ingest.clockOf(seeded.courtroomId)!;
    await elapse(3_300);
    const command = async (name: string, cmd: string) => {
      const before = clock().latest!;
      const res = await s.api('POST', `/api/hearings/${id}/broadcast/${cmd}`, { reason: 'edge test' });
      edges[name] = { before, after: clock().latest! };
      expect(res.status, `${cmd}: ${JSON.stringify(res.body)}`).toBe(200);
    };
    await command('start', 'start');
    await elapse(4_700);
    await command('pause', 'pause');
    await elapse(2_900);
    await command('resume', 'resume');
    // A cut dumps everything not yet released, so it comes once the resume has aired.
    await elapse(D + 3_500);
    await command('cut', 'cut');
    dumpedFromTs = clock().firstAtOrAfter(session.program.dumped.at(-1)!.start)!;
    await elapse(2_300);
    await command('resumeAfterCut', 'resume');
    await elapse(4_400);
    await command('end', 'end');
    await feed.untilEnded(D + 30_000);
    for (const e of feed.sorted()) {
      for (const rung of RUNGS) {
        const body = Buffer.from(await (await fetch(e.uri.replace('/360p/', `/${rung}/`))).arrayBuffer());
        const pts = videoPts(body).sort((a, b) => a - b);
        (await decodeFrames(body)).forEach((f, k) => {
          if (readCounter(f.subarray(0, 640 * 40)) > 0 && pts[k] !== undefined) aired[rung]!.push(pts[k]! * 1000);
        });
      }
    }
  }, 150_000);

  afterAll(async () => {
    feed?.stop();
    await encoder?.kill();
    await s?.close();
  });

  /** The first aired frame at or after `t`, and the last one before it. */
  const around = (rung: string, t: number) => {
    const xs = aired[rung]!;
    return { next: xs.find((x) => x >= t) ?? Number.NaN, prev: [...xs].reverse().find((x) => x < t) ?? Number.NaN };
  };

  it('splices the segments edges fall in rather than carding them whole', () => {
    expect(records.filter((r) => r.spliced).length).toBeGreaterThanOrEqual(3);
  });

  it('starts and resumes on the frame captured at the command, within a frame, on every rung', () => {
    for (const rung of RUNGS) {
      for (const name of ['start', 'resume', 'resumeAfterCut']) {
        const e = edges[name]!;
        const first = around(rung, e.before - 3 * FRAME_MS).next;
        expect(first, `${rung} ${name}`).toBeGreaterThan(e.before);
        // The first frame to arrive after the answer is at most a frame after e.after; the edge
        // rounds inwards by one frame; output frames sit on the 1/30 s grid (half a frame).
        expect(first, `${rung} ${name}`).toBeLessThanOrEqual(e.after + 2.5 * FRAME_MS + 1);
      }
    }
  });

  it('pauses and ends on the frame captured at the command, within a frame, on every rung', () => {
    for (const rung of RUNGS) {
      for (const name of ['pause', 'end']) {
        const e = edges[name]!;
        const last = around(rung, e.after + 3 * FRAME_MS).prev;
        expect(last, `${rung} ${name}`).toBeGreaterThanOrEqual(e.before - FRAME_MS - 1);
        expect(last, `${rung} ${name}`).toBeLessThanOrEqual(e.after + FRAME_MS);
      }
    }
  });

  it('airs nothing between a pause and its resume, and nothing the cut dumped', () => {
    for (const rung of RUNGS) {
      const xs = aired[rung]!;
      expect(xs.filter((x) => x > edges.pause!.after + FRAME_MS && x <= edges.resume!.before), rung).toEqual([]);
      expect(xs.filter((x) => x >= dumpedFromTs && x <= edges.resumeAfterCut!.before), rung).toEqual([]);
      // Before the cut the picture ran up to the last released instant, whole segments.
      expect(around(rung, dumpedFromTs).prev, rung).toBeGreaterThan(dumpedFromTs - 2_100);
    }
  });

  it('airs every frame between the edges: nothing on air is lost', () => {
    for (const rung of RUNGS) {
      const xs = new Set(aired[rung]!.map((x) => Math.round(x / FRAME_MS)));
      const from = Math.round(around(rung, edges.resume!.before).next / FRAME_MS);
      const to = Math.round(around(rung, dumpedFromTs).prev / FRAME_MS);
      const missing: number[] = [];
      for (let k = from; k <= to; k++) if (!xs.has(k)) missing.push(k);
      expect(to - from, rung).toBeGreaterThan(60);
      expect(missing, rung).toEqual([]);
    }
  });
});
