import type { Server as HttpServer } from 'node:http';
import net, { type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { HotAnswer } from './hot-answer.ts';
import { mayBeMine, parseHead, type RawHead } from './raw-head.ts';

/** A connection the front door is answering. */
export interface DoorConnection {
  readonly socket: Socket;
  /** The peer's address, read once: the socket asks the kernel every time. */
  readonly peer: string;
}

/** How the front door answers, and when it lets go of a connection. */
export interface FrontDoorOptions {
  /** The path prefix of what it may answer itself, e.g. '/hls/'. */
  readonly prefix: string;
  /**
   * The answer from memory; null to hand the connection to Node's HTTP server; or a promise to
   * wait for before asking again (the connection reads nothing meanwhile).
   */
  readonly answer: (head: RawHead, connection: DoorConnection) => HotAnswer | null | Promise<unknown>;
  /** A head longer than this goes to Node, which refuses it. */
  readonly maxHeadBytes?: number;
}

const REASONS: Readonly<Record<HotAnswer['status'], string>> = { 200: 'OK', 206: 'Partial Content', 304: 'Not Modified' };

/** The status line and headers of an answer, without the per-request ones. */
function headBlock(a: HotAnswer): string {
  let text = `HTTP/1.1 ${a.status} ${REASONS[a.status]}\r\n`;
  for (let i = 0; i < a.headers.length; i += 2) text += `${a.headers[i]}: ${a.headers[i + 1]}\r\n`;
  return text;
}

interface Conn extends DoorConnection {
  buffered: string;
  /** When the head being read began to arrive (0: none is). */
  headSince: number;
  lastActive: number;
  waiting: boolean;
  /** The request being read has already waited once for its answer. */
  asked: boolean;
  serve: () => void;
}

/**
 * The HTTP port's listener. Viewers' players poll the same few playlists many times a second, and
 * on Node's HTTP server each answer costs half again what it costs on a bare one: Express and the
 * rest of the application make Node's shared HTTP code megamorphic (docs/benchmarks.md, the origin).
 * So a connection whose requests are plain GETs or HEADs of media held in memory is answered here,
 * from prepared bytes. The first request that is anything else (an API call, a WebSocket, a body, a
 * malformed or unusual head, media not in memory) hands the connection, with every byte not yet
 * answered, to Node's HTTP server for good, exactly as if it had accepted it: Node parses, limits,
 * times out and refuses as ever.
 */
export class FrontDoor {
  private readonly listener: NetServer;
  private readonly mine = new Set<Conn>();
  private readonly sweeper: NodeJS.Timeout;
  /** A plain 200 playlist's whole answer, by its headers array, remade when the Date changes. */
  private readonly whole = new WeakMap<readonly string[], { second: number; block: string; text: string }>();
  private readonly keepAlive: string;
  private answers = 0;

  constructor(
    private readonly http: HttpServer,
    private readonly opts: FrontDoorOptions,
  ) {
    this.listener = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.keepAlive = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(http.keepAliveTimeout / 1000)}\r\n\r\n`;
    // One timer for every connection's idleness, rather than one re-armed on every read and write.
    this.sweeper = setInterval(() => this.sweep(), 1_000).unref();
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen(port, host, () => {
        this.listener.off('error', reject);
        // Node's server tracks its connections, and times out slow heads and requests, from its
        // 'listening' event on: it never listens itself, so it hears that from here.
        this.http.emit('listening');
        resolve();
      });
    });
  }

  /** How many requests it has answered itself. */
  get answered(): number {
    return this.answers;
  }

  address(): AddressInfo {
    return this.listener.address() as AddressInfo;
  }

  /** Stops listening and closes every connection, answered here or handed to Node. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const closed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    for (const c of this.mine) c.socket.destroy();
    this.http.closeAllConnections();
    // Stops Node's connection checks; it says it was not listening, which is so.
    this.http.close(() => {});
    await closed;
  }

  /**
   * Closes connections idle between requests for as long as Node keeps a kept-alive one, and
   * heads trickling in for longer than Node waits for one. An answer still draining to a slow
   * reader is not idleness (Node does not time a response out either).
   */
  private sweep(): void {
    const now = Date.now();
    for (const c of this.mine) {
      if (c.headSince !== 0 ? now - c.headSince > this.http.headersTimeout : now - c.lastActive > this.http.keepAliveTimeout && c.socket.writableLength === 0 && !c.waiting) c.socket.destroy();
    }
  }

  private accept(socket: Socket): void {
    const maxHead = this.opts.maxHeadBytes ?? 16 * 1024;
    const prefix = this.opts.prefix;
    const c: Conn = { socket, peer: socket.remoteAddress ?? '', buffered: '', headSince: 0, lastActive: Date.now(), waiting: false, asked: false, serve: () => serve() };
    const onData = (chunk: Buffer) => {
      c.buffered += chunk.toString('latin1');
      c.lastActive = Date.now();
      serve();
    };
    const onDrain = () => {
      socket.resume();
      serve();
    };
    const destroy = () => socket.destroy();
    const onClose = () => this.mine.delete(c);
    const handOff = () => {
      socket.off('data', onData).off('drain', onDrain).off('error', destroy).off('close', onClose);
      this.mine.delete(c);
      socket.pause();
      if (c.buffered) socket.unshift(Buffer.from(c.buffered, 'latin1'));
      c.buffered = '';
      this.http.emit('connection', socket);
      socket.resume();
    };
    const serve = (): void => {
      while (c.buffered.length > 0 && !c.waiting) {
        // A client that does not read its answers is not read either, until it does.
        if (socket.writableNeedDrain) return void socket.pause();
        const b = c.buffered;
        const lineEnd = b.indexOf('\r\n');
        if (lineEnd < 0 ? b.length > maxHead || b.includes('\n') : !mayBeMine(b.slice(0, lineEnd), prefix)) return handOff();
        const end = b.indexOf('\r\n\r\n');
        if (end < 0) {
          // A bare LF ends lines for some clients: that head is Node's to judge.
          if (b.length > maxHead || /[^\r]\n/.test(b)) return handOff();
          if (c.headSince === 0) c.headSince = Date.now();
          return;
        }
        const head = end > maxHead ? null : parseHead(b.slice(0, end), prefix);
        const answer = head && this.opts.answer(head, c);
        if (!head || !answer) return handOff();
        if (answer instanceof Promise) {
          // One wait per request: an answerer that still cannot tell (a store that is down, whose
          // gate answers from what it knew) leaves the request to Node's path, which can wait.
          if (c.asked) return handOff();
          c.asked = true;
          return this.wait(c, answer);
        }
        c.asked = false;
        c.buffered = b.slice(end + 4);
        c.headSince = 0;
        if (head.close) {
          // Nothing after a request that closes the connection is read (as Node does).
          socket.off('data', onData);
          c.buffered = '';
        }
        this.write(socket, answer, head.method, head.close);
      }
    };
    this.mine.add(c);
    socket.on('data', onData).on('drain', onDrain).on('error', destroy).on('close', onClose);
  }

  /** Reads nothing more on the connection until `until` settles, then takes up its requests again. */
  private wait(c: Conn, until: Promise<unknown>): void {
    c.waiting = true;
    c.socket.pause();
    const resume = () => {
      c.waiting = false;
      c.lastActive = Date.now();
      if (c.socket.destroyed) return;
      c.socket.resume();
      c.serve();
    };
    until.then(resume, resume);
  }

  private write(socket: Socket, a: HotAnswer, method: 'GET' | 'HEAD', close: boolean): void {
    this.answers++;
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (method === 'GET' && a.status === 200 && typeof a.body === 'string' && !close) {
      // The common case, a viewer's poll: one flat string per playlist per second.
      let w = this.whole.get(a.headers);
      if (w?.second !== second) {
        const block = w?.block ?? headBlock(a);
        w = { second, block, text: `${block}Date: ${new Date(now).toUTCString()}\r\n${this.keepAlive}${a.body}` };
        this.whole.set(a.headers, w);
      }
      socket.write(w.text, 'latin1');
      return;
    }
    const head = `${headBlock(a)}Date: ${new Date(now).toUTCString()}\r\n${close ? 'Connection: close\r\n\r\n' : this.keepAlive}`;
    if (method === 'HEAD' || a.body === null) socket.write(head, 'latin1');
    else if (typeof a.body === 'string') socket.write(head + a.body, 'latin1');
    else {
      socket.cork();
      socket.write(head, 'latin1');
      socket.write(a.body);
      socket.uncork();
    }
    if (close) socket.end();
  }
}
