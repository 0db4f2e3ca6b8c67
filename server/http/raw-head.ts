/**
 * The narrow slice of HTTP/1.1 the front door answers itself: a GET or HEAD below one path prefix,
 * with no body and nothing unusual in its head. Whatever else arrives is not parsed here at all: it
 * goes to Node's HTTP parser, which is the one that judges (and refuses) malformed requests. So
 * every test below errs towards "not mine", never towards guessing what a request means.
 */

/** A request head the front door answers itself. */
export interface RawHead {
  readonly method: 'GET' | 'HEAD';
  /** The request target's path below the prefix (from its '/'), as sent: still percent-encoded, without the query. */
  readonly path: string;
  readonly range: string | undefined;
  readonly ifNoneMatch: string | undefined;
  readonly ifModifiedSince: string | undefined;
  readonly userAgent: string | undefined;
  readonly forwardedFor: string | undefined;
  /** The client asked for the connection to close after this answer. */
  readonly close: boolean;
}

const LINE = /^(GET|HEAD) (\/[!-~]*) HTTP\/1\.1$/;
/** A header field: a token name, and a value of visible ASCII, spaces and tabs (RFC 9110 5.5, without obs-text). */
const FIELD = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([!-~ \t]*?)[ \t]*$/;
const MAX_FIELDS = 100;

/** Heads that must reach Node's parser: a body or a change of protocol is Node's to frame. */
const NOT_MINE = new Set(['content-length', 'transfer-encoding', 'upgrade', 'expect', 'te', 'trailer']);

/** The fields read, each allowed once: two of any would be a question of which one counts. */
const READ = ['host', 'range', 'if-none-match', 'if-modified-since', 'user-agent', 'x-forwarded-for'] as const;
type Read = (typeof READ)[number];
const READ_SET: ReadonlySet<string> = new Set(READ);

/** Whether a request line (without its CRLF) may start a request the front door answers. */
export function mayBeMine(line: string, prefix: string): boolean {
  const m = LINE.exec(line);
  return m !== null && (m[2] as string).startsWith(prefix);
}

/**
 * A complete request head (the text before the blank line) the front door answers itself, or null
 * for one it hands to Node untouched.
 */
export function parseHead(head: string, prefix: string): RawHead | null {
  const lines = head.split('\r\n');
  const line = LINE.exec(lines[0] as string);
  if (!line || !(line[2] as string).startsWith(prefix) || lines.length - 1 > MAX_FIELDS) return null;
  const seen: Partial<Record<Read, string>> = {};
  let close: boolean | undefined;
  for (let i = 1; i < lines.length; i++) {
    const field = FIELD.exec(lines[i] as string);
    if (!field) return null;
    const name = (field[1] as string).toLowerCase();
    const value = field[2] as string;
    if (NOT_MINE.has(name)) return null;
    if (name === 'connection') {
      const option = value.toLowerCase();
      if ((option !== 'keep-alive' && option !== 'close') || close !== undefined) return null;
      close = option === 'close';
    }
    if (READ_SET.has(name)) {
      if (seen[name as Read] !== undefined) return null;
      seen[name as Read] = value;
    }
  }
  if (!seen.host) return null;
  const target = line[2] as string;
  const query = target.indexOf('?');
  return {
    method: line[1] as 'GET' | 'HEAD',
    path: target.slice(prefix.length - 1, query < 0 ? undefined : query),
    range: seen.range,
    ifNoneMatch: seen['if-none-match'],
    ifModifiedSince: seen['if-modified-since'],
    userAgent: seen['user-agent'],
    forwardedFor: seen['x-forwarded-for'],
    close: close === true,
  };
}
