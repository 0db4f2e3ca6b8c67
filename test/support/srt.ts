import { createSocket } from 'node:dgram';

/** A UDP port that is free right now (an SRT listener's). */
export async function freeUdpPort(): Promise<number> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const { port } = sock.address();
  await new Promise<void>((r) => sock.close(() => r()));
  return port;
}

/** An SRT encoder's URL: it calls the listener on `port` with `key` as the passphrase. */
export const srtCallerUrl = (port: number, key: string): string => `srt://127.0.0.1:${port}?mode=caller&passphrase=${key}&pbkeylen=16`;
