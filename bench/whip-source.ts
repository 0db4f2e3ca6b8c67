/**
 * The WHIP bench's publisher, in a process of its own so that its CPU (werift as a client, the
 * encoder) is not counted as the server's: the synthetic courtroom over WHIP until killed.
 * Usage: tsx bench/whip-source.ts URL KEY WIDTH HEIGHT
 */
import { pino } from 'pino';
import { SyntheticWhipEncoder } from '../server/webrtc/synthetic-whip-encoder.ts';

const [url, key, width, height] = process.argv.slice(2);
const encoder = new SyntheticWhipEncoder(
  { whipUrl: url!, key: key!, width: Number(width), height: Number(height), fps: 30, toneHz: 440, caption: 'WHIP bench', counterEpochMs: Date.now(), hostAddresses: ['127.0.0.1'] },
  'ffmpeg',
  pino({ level: 'warn' }),
);
// The bench times the start from here, as it times an RTMP encoder from its spawn.
process.stdout.write('ready\n');
encoder.start();
process.on('SIGTERM', () => void encoder.close().finally(() => process.exit(0)));
