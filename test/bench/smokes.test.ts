import { benchSmokes } from '../support/bench-smoke.ts';

/**
 * Every bench in bench/run.ts, with what only its complete report prints: the heavy ones (a
 * browser painting, a compositor, WebRTC) first and between the light ones, so the light ones
 * fill the places the heavy ones leave.
 */
benchSmokes(
  {
    compositor: ['| bare FFmpeg xstack (baseline) |', "The hearing's transcoder made the ladder"],
    verify: ['| live, against the checkpoint |', '| replay, against the seal and the log |'],
    clock: ['| plain |', '| storm beside the hog'],
    load: ['| console join (whole state) |', 'consoles connected 5/5'],
    captions: ['| bare hls.js, same rendition (baseline) |', 'against the 100 ms bound'],
    whep: ['| WebRTC (WHEP) |', '| HLS (baseline) |'],
    lag: ['| Courtcast, public HLS | published capture timeline |', 'clear frames that reached us after the command', 'Masks measured: bare '],
    origin: ['| playlist |', '| segment |'],
    player: ['| bare hls.js page |', 'Script size, gzip'],
    whip: ['| RTMP (baseline) |', 'WHIP / RTMP, total cores'],
    pipeline: ['| bare FFmpeg ladder (baseline) |', '| Courtcast, time overlay on |'],
    start: ['| first preview segment (stream copy) |', "The public picture started with the encoder's frame"],
    archive: ['| master segments |', '| ratio (ours / bare) |'],
    slots: ['| no slots (baseline) |', 'one black, blur, pixelate and mute on'],
    control: ['| courtcast |', 'ratio courtcast / bare'],
    masks: ['| render: blur + black box + mute |'],
  },
  new Set(['compositor', 'verify', 'captions', 'whep', 'player', 'whip']),
);
