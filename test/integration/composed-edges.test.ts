import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceStreamId } from '../../server/domain/courts.ts';
import { FRAME_MS, TestEncoder } from '../support/encoder.ts';
import { decodeFeed, PublicFeed, type DecodedEntry } from '../support/public-feed.ts';
import { seedHearing, startTestServer, type TestServer, TWO_RUNG_LADDER } from '../support/server.ts';
import { heardMs, soundMadeWithin } from '../support/timecode.ts';
import type { Forbidden } from '../support/timecode.ts';
import { elapse, waitFor } from '../support/wait.ts';
import { bracketed } from '../support/bracket.ts';

const D = 4_000;
const ALL_RUNGS = ['180p', '144p', 'audio'] as const;

/** When the newest media of the sound's camera that had reached the ingest was made, just before a command and just after its answer. */
interface Made {
  before: number;
  after: number;
}

/**
 * A composed program (two pushed cameras side by side, the courtroom's own carrying the sound)
 * through every edge a clerk has, heard on every rung: the sound is the room camera's, passed
 * through the compositor, whose run dates it by the cameras' clocks; each edge must still fall on
 * the sound captured at the command. The room camera's time code says when each stretch aired was
 * made; the commands are bracketed by the newest room-camera media the ingest had just before the
 * request and just after its answer.
 */
describe('a composed program through start, pause, resume, a live mute, cut, resume and end, by ear on every rung', () => {
  let s: TestServer;
  let room: TestEncoder;
  let bench: TestEncoder;
  const feeds: PublicFeed[] = [];
  const made: Record<string, Made> = {};
  let dumpedFrom = 0;
  /** Every public entry of both video rungs, heard with the audio-only rung beside each. */
  let decoded: DecodedEntry[] = [];

  beforeAll(async () => {
    s = await startTestServer({ media: { ladder: TWO_RUNG_LADDER } });
    const seeded = await seedHearing(s, { delaySeconds: D / 1000 });
    const id = seeded.hearingId;
    const courtroom = `/api/courtrooms/${seeded.courtroomId}`;
    const set = await s.api<{ sources: { name: string; streamKey?: string }[] }>('PUT', `${courtroom}/sources`, [{ name: 'bench', label: 'Bench' }]);
    expect(set.status).toBe(200);
    expect((await s.api('PUT', `${courtroom}/program`, { layout: 'side-by-side', cameras: ['main', 'bench'], sound: 'main' })).status).toBe(200);
    room = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    bench = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${set.body.sources[0]!.streamKey}`, 'flv', Date.now() - 600_000).start();
    await waitFor(() => s.cc.ingest.isPublishing(seeded.courtroomId) && s.cc.ingest.isPublishing(sourceStreamId(seeded.courtroomId, 'bench')), 'both cameras', 20_000, 50);
    expect((await s.api('POST', `/api/hearings/${id}/broadcast/open`, {})).status).toBe(200);
    await waitFor(() => ['main', 'bench'].every((c) => s.cc.broadcasts.live(id)?.composing.includes(c)), 'a compositor run reading both cameras', 20_000, 20);
    for (const rung of ['180p', '144p']) feeds.push(new PublicFeed(`${s.base}/hls/hearings/${id}/${rung}/index.m3u8`).start(250));
    // The room camera's timestamps count from its first frame, which it made at its epoch plus that frame's time.
    const roomClock = () => s.cc.ingest.clockOf(seeded.courtroomId)!;
    const madeOf = (ts: number) => room.timeOf(room.firstFrame) + ts;
    const command = async (name: string, send: () => Promise<{ status: number; body: unknown }>, status = 200) => {
      const { before, after, res } = await bracketed(() => madeOf(roomClock().latest!), send);
      made[name] = { before, after };
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(status);
      return res;
    };
    const broadcast = (cmd: string) => () => s.api('POST', `/api/hearings/${id}/broadcast/${cmd}`, { reason: 'composed edge test' });
    const masks = `/api/hearings/${id}/masks`;
    // Each stretch on the air spans a whole segment or more between the two spliced ones at its
    // edges: a splice whose render cannot finish by its release airs as a slate (on a loaded
    // machine, at this short delay), and a stretch of splices alone could then go unheard.
    await command('start', broadcast('start'));
    await elapse(5_500);
    await command('pause', broadcast('pause'));
    await elapse(2_500);
    await command('resume', broadcast('resume'));
    await elapse(5_000);
    const mute = await command('mute', () => s.api<{ mask: { id: string } }>('POST', masks, { kind: 'mute', reason: 'a name was said' }), 201);
    await elapse(1_500);
    await command('lift', () => s.api('POST', `${masks}/${(mute.body as { mask: { id: string } }).mask.id}/lift`, { reason: 'done' }));
    // The cut dumps from the last released instant (a whole segment behind capture + D): it comes
    // late enough that the lift and a few seconds after it have aired, so the mute is heard ending.
    await elapse(D + 4_000);
    await command('cut', broadcast('cut'));
    const dumped = s.cc.broadcasts.live(id)!.program.dumped.at(-1)!;
    dumpedFrom = madeOf(roomClock().firstAtOrAfter(dumped.start)!);
    await elapse(1_000);
    await command('resumeAfterCut', broadcast('resume'));
    // The resume falls in a segment the cut dumped, which airs as the slate whole: the sound comes back at the next.
    await elapse(6_500);
    await command('end', broadcast('end'));
    await Promise.all(feeds.map((f) => f.untilEnded(D + 30_000)));
    decoded = (await Promise.all(feeds.map((f) => decodeFeed(f)))).flat();
  }, 180_000);

  afterAll(async () => {
    for (const f of feeds) f.stop();
    await room?.kill();
    await bench?.kill();
    await s?.close();
  });

  /** The decoded entries' sound on one rung only. */
  const onRung = (rung: string) => decoded.map((e) => ({ ...e, heard: e.heard.filter((h) => h.label.startsWith(`${rung}/`)) }));

  it('airs no sound made before the start, inside the pause, the live mute or the cut, or after the end, on any rung', () => {
    const forbidden: Forbidden[] = [
      { name: 'before the start', start: Number.NEGATIVE_INFINITY, end: made.start!.before },
      { name: 'the pause', start: made.pause!.after + FRAME_MS, end: made.resume!.before },
      { name: 'the live mute', start: made.mute!.after + FRAME_MS, end: made.lift!.before },
      { name: 'the dumped window', start: dumpedFrom, end: made.resumeAfterCut!.before },
      { name: 'after the end', start: made.end!.after + FRAME_MS, end: Number.POSITIVE_INFINITY },
    ];
    for (const f of forbidden) expect(soundMadeWithin(decoded, room.epoch, f), f.name).toEqual([]);
    // The cut dumped what was inside the window: more than a second of the program.
    expect(made.cut!.before - dumpedFrom).toBeGreaterThan(1_000);
  });

  it('airs the sound between the edges on every rung, so the silence above is the edges’ and not a lost rung', () => {
    const windows: Forbidden[] = [
      { name: 'the first stretch', start: made.start!.after + 500, end: made.pause!.before - 500 },
      { name: 'after the resume', start: made.resume!.after + 500, end: made.mute!.before - 500 },
      { name: 'after the lift', start: made.lift!.after + 500, end: dumpedFrom - 500 },
      { name: 'after the resume that followed the cut', start: made.resumeAfterCut!.after + 2_500, end: made.end!.before - 200 },
    ];
    for (const w of windows) expect(w.end - w.start, w.name).toBeGreaterThan(1_000);
    for (const rung of ALL_RUNGS) {
      const own = onRung(rung);
      expect(heardMs(own), rung).toBeGreaterThan(5_000);
      for (const w of windows) expect(soundMadeWithin(own, room.epoch, w), `${rung}: ${w.name}`).not.toEqual([]);
    }
  });
});
