import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A web server on another origin than Courtcast's: a news site or a CMS that embeds the player. */
export interface OtherSite {
  readonly base: string;
  close(): Promise<void>;
}

/** Serves, for every request, the HTML page `page` makes of its URL (path and query). */
export async function startOtherSite(page: (url: URL) => string | Promise<string>): Promise<OtherSite> {
  const server = createServer((req, res) => {
    void Promise.resolve(page(new URL(req.url ?? '/', 'http://site'))).then(
      (html) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html);
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
