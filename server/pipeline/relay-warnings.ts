import type { Logger } from '../domain/logger.ts';
import type { FfmpegProcess } from '../media/ffmpeg-process.ts';

/**
 * What a relay's stderr line says that an operator must hear of: libsrt refuses a wrong passphrase
 * (the camera's stream key) in the handshake and says so only on stderr, and an RTSP camera that
 * refuses our credentials says so in its answer. Null for any other line. Pure.
 */
export function relayWarning(line: string): string | null {
  if (/BADSECRET|Incorrect passphrase/.test(line)) return 'srt connection refused: wrong stream key';
  if (/401 Unauthorized/.test(line)) return "the camera refused the courtroom's credentials (401): check its user name and password";
  return null;
}

/** Logs, with `context` (which hearing, which camera), what a relay's stderr says an operator must hear of. */
export function logRelayWarnings(proc: FfmpegProcess, logger: Logger, context: Record<string, unknown>): void {
  proc.on('stderr', (line: string) => {
    const warning = relayWarning(line);
    if (warning !== null) logger.warn(context, warning);
  });
}
