import path from 'node:path';
import type { MediaKind, ReceivedCodec } from '../webrtc/endpoint.ts';
import { GLOBAL_INPUT_FLAGS, type FfmpegSpec } from './spec.ts';

/** Where the forwarded RTP of each kind arrives (RTCP on the port after). */
export type RtpPorts = Partial<Record<MediaKind, number>>;

const FMTP_PATTERN = /^[\w.=;-]{1,512}$/;

/**
 * The SDP FFmpeg reads forwarded RTP by: one section per kind, with the payload type, clock and
 * parameters the publisher negotiated. Only what it must know; values come from our own
 * negotiation, and fmtp is checked to be plain `key=value;…` so nothing else reaches the file.
 */
export function rtpSdp(codecs: readonly ReceivedCodec[], ports: RtpPorts): string {
  const lines = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=courtcast-whip', 'c=IN IP4 127.0.0.1', 't=0 0'];
  for (const c of codecs) {
    const port = ports[c.kind];
    if (port === undefined) continue;
    if (!/^[\w-]{1,32}$/.test(c.name)) throw new Error(`codec name not allowed: ${c.name}`);
    lines.push(`m=${c.kind} ${port} RTP/AVP ${c.payloadType}`);
    lines.push(`a=rtpmap:${c.payloadType} ${c.name}/${c.clockRate}${c.channels ? `/${c.channels}` : ''}`);
    if (c.fmtp !== undefined) {
      if (!FMTP_PATTERN.test(c.fmtp)) throw new Error('fmtp not allowed');
      lines.push(`a=fmtp:${c.payloadType} ${c.fmtp}`);
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * A VP8 picture (from a browser that offers nothing else) made H.264 for the pipeline, once, at
 * the quality of a master: each frame at its own timestamp (none dropped or made up, so the
 * ingest still dates it by its arrival), no frames held back for lookahead (the relay stays a
 * frame behind), a keyframe every second (the ingest hands the transcoder and the preview a GOP
 * from its start).
 */
const VP8_TO_H264 = [
  '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-crf', '18', '-pix_fmt', 'yuv420p',
  '-fps_mode', 'passthrough', '-force_key_frames', 'expr:gte(t,n_forced*1)',
];

/**
 * The relay from a WHIP publisher into the RTMP ingest, like the SRT relay: the picture is copied
 * (H.264 as the publisher sent it, so the master is what the courtroom PC encoded; VP8 is
 * transcoded, see VP8_TO_H264); the sound is
 * Opus, which FLV cannot carry, so it becomes AAC at the rate the ladder's rungs encode from.
 * The relay's timestamps name when the media reached werift, on one timeline for both kinds (the
 * forwarder's own sender reports set it, see webrtc/rtp-forwarder.ts), which lets the ingest date
 * its media by that rather than by when the relay passed it on (a frame later at best, up to a
 * second when it probes or waits for a lost packet): the capture clock stays the instant media
 * reached us, as for RTMP.
 * The SDP demuxer ends by itself after ten seconds without a packet, so a relay whose server died
 * does not outlive it for long. Media then reaches the ingest clock, the master recorder and the
 * transcoder by the same road as RTMP.
 */
export function whipGatewaySpec(o: { sdpFile: string; publishUrl: string; audio: boolean; video: 'H264' | 'VP8'; received?: { readonly dir: string; readonly segmentSeconds: number } | null }): FfmpegSpec {
  return {
    inputs: [
      {
        url: o.sdpFile,
        options: [
          ...GLOBAL_INPUT_FLAGS,
          '-protocol_whitelist', 'file,udp,rtp',
          // Late and reordered packets wait a little (NACK repairs arrive within a round trip).
          '-reorder_queue_size', '256', '-max_delay', '300000',
          // Until the first keyframe the picture's size is unknown; its request takes a round trip.
          '-analyzeduration', '5000000', '-probesize', '5000000',
          // The frame rate need not be guessed (FFmpeg watches 20 frames for it otherwise).
          '-fpsprobesize', '0',
          '-fflags', '+genpts',
          // Timestamps as read (see RtpForwarder), so the ingest can tell which
          // media each message holds and date it by when that reached us.
          '-copyts',
          '-f', 'sdp',
        ],
      },
    ],
    outputs: [
      {
        target: o.publishUrl,
        options: [
          '-map', '0:v:0', ...(o.audio ? ['-map', '0:a:0'] : []),
          ...(o.video === 'H264' ? ['-c:v', 'copy'] : VP8_TO_H264),
          // The AAC encoder stamps its first frame 1024 samples early (its priming); FLV cannot
          // carry a negative timestamp, so the muxer would shift both streams 21 ms later and no
          // timestamp would name its RTP timestamp any more (the picture dated a frame late).
          // The sound is moved on by that much instead, which the ingest allows for (AAC_SPAN_MS).
          ...(o.audio ? ['-af', 'asetpts=PTS+1024/(SR*TB)', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2'] : []),
          '-f', 'flv', '-flvflags', 'no_duration_filesize',
        ],
      },
      ...(o.received ? [receivedOutput(o.received, o.audio)] : []),
    ],
  };
}

/**
 * The publisher's media exactly as it reached us (the RTP payloads, H.264 or VP8 and Opus, not
 * decoded), in Matroska segments, which carry all three; FFmpeg lists each in `list.csv` as it
 * closes it, with its span on the relay's timeline. The master keeps the sound only as AAC.
 */
function receivedOutput(r: { readonly dir: string; readonly segmentSeconds: number }, audio: boolean): FfmpegSpec['outputs'][number] {
  return {
    target: path.join(r.dir, '%06d.mkv'),
    options: [
      '-map', '0:v:0', ...(audio ? ['-map', '0:a:0'] : []), '-c', 'copy',
      '-f', 'segment', '-segment_time', String(r.segmentSeconds), '-segment_format', 'matroska',
      '-segment_list', path.join(r.dir, 'list.csv'), '-segment_list_type', 'csv', '-reset_timestamps', '0',
    ],
  };
}

/**
 * The clerk's WebRTC preview of a courtroom: its feed pulled from the RTMP ingest and sent on as
 * RTP to a WebRTC feed. The picture is forwarded as the encoder sent it (H.264, with its parameter
 * sets repeated before every keyframe, since WebRTC carries them in band); the sound becomes Opus,
 * the one codec every browser takes over WebRTC. No buffering on the way: this is the low-latency
 * path a clerk cuts by.
 */
export function previewFeedSpec(o: { pullUrl: string; ports: { readonly video: number; readonly audio: number } }): FfmpegSpec {
  return {
    inputs: [{ url: o.pullUrl, options: [...GLOBAL_INPUT_FLAGS, '-fflags', 'nobuffer', '-flags', 'low_delay', '-analyzeduration', '500000', '-probesize', '500000', '-rw_timeout', '5000000'] }],
    outputs: [
      { target: `rtp://127.0.0.1:${o.ports.video}?pkt_size=1200`, options: ['-map', '0:v:0', '-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb', '-f', 'rtp'] },
      { target: `rtp://127.0.0.1:${o.ports.audio}?pkt_size=1200`, options: ['-map', '0:a:0', '-c:a', 'libopus', '-b:a', '64k', '-ar', '48000', '-ac', '2', '-application', 'lowdelay', '-frame_duration', '10', '-f', 'rtp'] },
    ],
  };
}
