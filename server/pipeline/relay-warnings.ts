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
