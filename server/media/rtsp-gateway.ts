import { GLOBAL_INPUT_FLAGS, type FfmpegSpec } from './spec.ts';

/** How the relay reaches an IP camera: its RTSP URL (credentials included) and transport. */
export interface CameraInput {
  readonly url: string;
  readonly transport: 'tcp' | 'udp';
}

/**
 * The file FFmpeg reads a camera's URL from (FFmpeg's concat demuxer, one entry): the URL and its
 * credentials must never be on a command line (any local user reads those) nor in a log, so they
 * live in a file only the server reads. The RTSP demuxer's options go with it: the transport, a
 * socket timeout (a camera that hangs with its connection open ends the relay, which is started
 * again), and no buffering while it probes nor more than 0.1 s of reordering: the camera is dated
 * when the relay hands it on, so whatever the relay holds back is dated late (its first second
 * came in a burst up to 1.2 s late; now within ~0.1 s). The URL was checked at the edge to hold no
 * quote or backslash, and is checked again here. Pure.
 */
export function cameraListFile(c: CameraInput, timeoutMs = 3_000): string {
  if (!/^rtsp:\/\/[\x21-\x7e]+$/.test(c.url) || /['"\\]/.test(c.url)) throw new Error('camera URL not allowed');
  return ['ffconcat version 1.0', `file '${c.url}'`, `option rtsp_transport ${c.transport}`, `option timeout ${timeoutMs * 1000}`, 'option fflags nobuffer', 'option analyzeduration 500000', 'option max_delay 100000', ''].join('\n');
}

/**
 * A relay pulling a courtroom's IP camera over RTSP into the RTMP ingest, published under the
 * courtroom's key like the SRT relay: the picture copied as the camera encoded it, the sound made
 * AAC (cameras send AAC, G.711 or none, and FLV takes AAC). `-progress` into the run directory
 * keeps the run's directory on its command line, as for the SRT relay (pipeline/recovery.ts).
 */
export function rtspGatewaySpec(o: { listFile: string; publishUrl: string; progressFile: string }): FfmpegSpec {
  return {
    inputs: [
      {
        url: o.listFile,
        options: [...GLOBAL_INPUT_FLAGS, '-progress', o.progressFile, '-analyzeduration', '1000000', '-probesize', '1000000', '-safe', '0', '-protocol_whitelist', 'file,rtsp,rtp,udp,tcp', '-f', 'concat'],
      },
    ],
    outputs: [
      {
        target: o.publishUrl,
        options: ['-map', '0:v:0', '-map', '0:a:0?', '-c:v', 'copy', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2', '-f', 'flv', '-flvflags', 'no_duration_filesize'],
      },
    ],
  };
}
