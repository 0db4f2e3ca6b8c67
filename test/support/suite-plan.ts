import os from 'node:os';

/**
 * How the integration files share the machine. They drive real FFmpeg in real time and are bound
 * by the cores: on two cores, two files side by side keep the machine about 1.5 cores busy, and a
 * third saturated it, where the live path falls behind far enough to bend the timing the privacy
 * tests measure (docs/benchmarks.md, "The test suite"). COURTCAST_TEST_LANES overrides it (1 runs
 * the files one at a time, as the suite once did).
 */
export const lanes = Number(process.env.COURTCAST_TEST_LANES) || os.availableParallelism();

/**
 * Files whose proof needs the machine's live-media capacity to themselves, each with the files
 * that may run beside it. The retroactive masks re-render the whole ladder at about real time,
 * the live slots' segments must be proven before release (issue 26), and the player test times a
 * real browser's playback: beside another live hearing, their segments turned into cards (safe,
 * but these tests demand the masked picture). The mask files' companions start no encoder, no
 * FFmpeg pipeline and no browser (HTTP, Socket.IO, stores, scripts), so the anchor keeps its cores
 * and the companions do not hold up the lanes: a companion that starts a hearing must leave those
 * lists.
 */
export const ANCHORED: readonly { readonly anchor: string; readonly companions: readonly string[] }[] = [
  {
    anchor: 'test/integration/masks.test.ts',
    // The change guide is type checking alone (one core for about 12 s): it was the player group's
    // longest wait, and renders now run at twice real time.
    companions: ['revocation', 'auth', 'audit', 'control', 'front-door', 'change-guide'].map((n) => `test/integration/${n}.test.ts`),
  },
  {
    anchor: 'test/integration/live-masks.test.ts',
    companions: [
      'verify-archive',
      'state-move',
      'embedded-restart',
      'portal',
      'portal-brand',
      'api',
      'sound-exposure',
      'archive-finalize-retry',
      'state-store.contract',
      'cluster',
      'object-store.contract',
      's3-store-errors',
      'embedded-store',
      'origin-cache',
      'deploy-files',
    ].map((n) => `test/integration/${n}.test.ts`),
  },
  // The overload test puts a CPU hog of a fixed share of the machine beside one hearing and holds
  // it to the live path's targets: anything beside it adds to the hog's share. Even the clock
  // bench's smoke at nice 19 took 0.3 of the hog's 1.2 cores and moved an edge by a segment.
  { anchor: 'test/integration/overload.test.ts', companions: [] },
  // The composed hearing runs three cameras, a compositor and its pipeline (about 1.8 cores): beside
  // topology.test (as busy) both took twice their time, its setup ran out (ci70) and its mask phase
  // never reached the public within a minute (ci73), with the lanes' browser tests bent beside them.
  { anchor: 'test/integration/compositor.test.ts', companions: [] },
  // A composed program's edges heard on every rung (two cameras, a compositor, its pipeline and
  // the renders of every splice: about 1.5 cores). In the lanes (ci76) its neighbour, the live
  // mask clock test, which proves a mask within a frame with its transcoder running behind,
  // masked one frame too many.
  { anchor: 'test/integration/composed-edges.test.ts', companions: [] },
  // Every bench's smoke, three at a time in one file (test/support/bench-smoke.ts). In the lanes,
  // one file each at nice 19, they were starved to twice their time alone and held lanes for 200 s.
  { anchor: 'test/bench/smokes.test.ts', companions: [] },
  // The player's playback leaves a core idle (about 1.0 of 2 busy), so it takes one lane's worth
  // of the lanes' files: short hearings whose checks wait on events, FFmpeg and type checks, no
  // browser. Beside such files it played in 46 s (43–50 s alone); beside two browser pages it took
  // 61 s. The demo on other runtimes (one small hearing at a time) is one of them: beside the
  // live-media lanes it saturated the machine and bent the edges files' timing. The time overlay
  // is not one of them: its reading of the clock is exact only on a machine that keeps up, and
  // beside the player it once drew the next second.
  // Captions timed against the frames a browser paints (within three frames): beside a live lane
  // the page stalled and too few whole cues were painted to judge (ci82).
  { anchor: 'test/e2e/player-captions.test.ts', companions: [] },
  // The WHIP relay's stamps are held to tens of milliseconds of when packets reached us: beside
  // live lanes on a slow day (ci81, ci82) a packet came 47 ms off. Alone it takes about 13 s.
  { anchor: 'test/integration/whip-relay.test.ts', companions: [] },
  // The console's multiview is three WebRTC sessions into Chromium: beside whip.test (a werift
  // publisher and its relay in one process) 60% of their packets were lost and a tile painted two
  // frames in 30 s (ci88, and twice locally); whip.test lost a second of sound beside it. Alone it
  // takes about 15 s.
  { anchor: 'test/e2e/console-program.test.ts', companions: [] },
  { anchor: 'test/e2e/player-embed.test.ts', companions: ['rtmp-fuzz', 'origin-privacy', 'zmq-client', 'runtimes'].map((n) => `test/integration/${n}.test.ts`) },
];

/** The anchors, which the sequencer starts first in their groups so they never wait behind a companion. */
export const anchors: ReadonlySet<string> = new Set(ANCHORED.map((g) => g.anchor));
