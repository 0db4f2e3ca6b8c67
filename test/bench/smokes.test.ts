import { benchSmokes } from '../support/bench-smoke.ts';

/** Every bench in bench/run.ts, longest smoke first, with what only its complete report prints. */
benchSmokes({
  clock: ['| plain |', '| storm beside the hog'],
  load: ['| console join (whole state) |', 'consoles connected 5/5'],
  player: ['| bare hls.js page |', 'Script size, gzip'],
  origin: ['| playlist |', '| segment |'],
  lag: ['| Courtcast, public HLS | published capture timeline |', 'Masks measured: bare '],
  pipeline: ['| bare FFmpeg ladder (baseline) |', '| Courtcast, time overlay on |'],
  start: ['| first preview segment (stream copy) |', "The public picture started with the encoder's frame"],
  archive: ['| master segments |', '| ratio (ours / bare) |'],
  slots: ['| no slots (baseline) |', 'one black, blur, pixelate and mute on'],
  control: ['| courtcast |', 'ratio courtcast / bare'],
  masks: ['| render: blur + black box + mute |'],
  whep: ['| WebRTC (WHEP) |', '| HLS (baseline) |'],
  whip: ['| RTMP (baseline) |', 'WHIP / RTMP, total cores'],
  captions: ['| bare hls.js, same rendition (baseline) |', 'against the 100 ms bound'],
  verify: ['| live, against the checkpoint |', '| replay, against the seal and the log |'],
  compositor: ['| bare FFmpeg xstack (baseline) |', "The hearing's transcoder made the ladder"],
});
