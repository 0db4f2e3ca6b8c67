import { describe, expect, it } from 'vitest';
import { mayBeMine, parseHead } from '../../server/http/raw-head.ts';

/** The front door's reading of a head: only the plainest GETs and HEADs below its prefix are its own. */
describe('raw request heads', () => {
  const head = (first: string, ...fields: string[]) => [first, ...fields].join('\r\n');

  it('reads the path below the prefix without its query, and the fields an answer needs, in any case', () => {
    const h = parseHead(head('GET /hls/hearings/h%201/a.m3u8?x=1 HTTP/1.1', 'HOST: a', 'range: bytes=0-9', 'If-None-Match: "e"', 'User-Agent: p/1 (x)', 'X-Forwarded-For: 1.2.3.4', 'Connection: Keep-Alive'), '/hls/');
    expect(h).toEqual({ method: 'GET', path: '/hearings/h%201/a.m3u8', range: 'bytes=0-9', ifNoneMatch: '"e"', ifModifiedSince: undefined, userAgent: 'p/1 (x)', forwardedFor: '1.2.3.4', close: false });
    expect(parseHead(head('HEAD /hls/a.ts HTTP/1.1', 'Host: a', 'Connection: close'), '/hls/')).toMatchObject({ method: 'HEAD', path: '/a.ts', close: true });
  });

  it('leaves to Node whatever is not a plain GET or HEAD below the prefix', () => {
    for (const line of ['POST /hls/a.ts HTTP/1.1', 'GET /api/x HTTP/1.1', 'GET /hls/a.ts HTTP/1.0', 'GET http://a/hls/a.ts HTTP/1.1', 'GET /hls/a b.ts HTTP/1.1', 'get /hls/a.ts HTTP/1.1', 'GET  /hls/a.ts HTTP/1.1']) {
      expect(mayBeMine(line, '/hls/'), line).toBe(false);
      expect(parseHead(head(line, 'Host: a'), '/hls/'), line).toBeNull();
    }
    expect(mayBeMine('GET /hls/a.ts HTTP/1.1', '/hls/')).toBe(true);
  });

  it('leaves to Node every head with a body, a protocol change, a doubt about a field, or no host', () => {
    const bad = [
      ['Host: a', 'Content-Length: 0'],
      ['Host: a', 'Transfer-Encoding: chunked'],
      ['Host: a', 'Upgrade: h2c', 'Connection: Upgrade'],
      ['Host: a', 'Expect: 100-continue'],
      ['Host: a', 'Connection: keep-alive', 'Connection: close'],
      ['Host: a', 'Range: bytes=0-1', 'Range: bytes=2-3'],
      ['Host: a', 'Host: b'],
      ['Host: a', 'X-A: 1', ' folded'],
      ['Host: a', 'Bad Name: 1'],
      ['Host: a', 'X-A: caf\u00e9'],
      ['Host: a', 'X-A: a\nb'],
      ['Host:'],
      [],
      ['Host: a', ...Array.from({ length: 100 }, (_, i) => `X-${i}: 1`)],
    ];
    for (const fields of bad) expect(parseHead(head('GET /hls/a.ts HTTP/1.1', ...fields), '/hls/'), fields.join('|').slice(0, 80)).toBeNull();
  });
});
