import net from 'node:net';

/**
 * A minimal ZMTP 3.0 DEALER client for FFmpeg's `zmq`/`azmq` filters, which bind a REP socket and
 * answer each command string with "<code> <message>". Pure TypeScript over node:net, so no native
 * zeromq package (whose install would download a binary) is needed.
 *
 * Protocol (RFC 23/ZMTP): a 64-byte greeting with the NULL mechanism, a READY command naming the
 * socket type, then each request is an empty delimiter frame followed by the body frame. DEALER
 * rather than REQ: requests may be pipelined, and FFmpeg's filter drains every queued request
 * before it passes the next frame on, so a batch written at once lands on one frame
 * (FIELD-NOTES), where REQ lockstep would spend a frame per command.
 */

const FLAG_MORE = 0x01;
const FLAG_LONG = 0x02;
const FLAG_COMMAND = 0x04;

/** Encodes one ZMTP frame. */
export function zmtpFrame(body: Buffer, flags: number): Buffer {
  if (body.length < 256) return Buffer.concat([Buffer.from([flags, body.length]), body]);
  const head = Buffer.alloc(9);
  head[0] = flags | FLAG_LONG;
  head.writeBigUInt64BE(BigInt(body.length), 1);
  return Buffer.concat([head, body]);
}

/** The greeting: signature, version 3.0, NULL mechanism, as-client. */
export function zmtpGreeting(): Buffer {
  const g = Buffer.alloc(64);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = 0;
  g.write('NULL', 12, 'ascii');
  return g;
}

/** The READY command announcing our socket type. */
export function zmtpReady(socketType = 'DEALER'): Buffer {
  const name = Buffer.from('Socket-Type');
  const value = Buffer.from(socketType);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(value.length);
  return zmtpFrame(Buffer.concat([Buffer.from([5]), Buffer.from('READY'), Buffer.from([name.length]), name, len, value]), FLAG_COMMAND);
}

/** Parses whole frames off the front of a buffer; returns them and what is left. */
export function parseFrames(buf: Buffer): { frames: { command: boolean; more: boolean; body: Buffer }[]; rest: Buffer } {
  const frames: { command: boolean; more: boolean; body: Buffer }[] = [];
  let rest = buf;
  while (rest.length >= 2) {
    const flags = rest[0] as number;
    const long = (flags & FLAG_LONG) !== 0;
    const headLen = long ? 9 : 2;
    if (rest.length < headLen) break;
    const size = long ? Number(rest.readBigUInt64BE(1)) : (rest[1] as number);
    if (rest.length < headLen + size) break;
    frames.push({ command: (flags & FLAG_COMMAND) !== 0, more: (flags & FLAG_MORE) !== 0, body: rest.subarray(headLen, headLen + size) });
    rest = rest.subarray(headLen + size);
  }
  return { frames, rest };
}

/** FFmpeg's answer to a command. */
export interface ZmqReply {
  /** 0 on success; FFmpeg's AVERROR code otherwise (e.g. 38: not implemented). */
  readonly code: number;
  readonly message: string;
  /** Wall-clock time the reply arrived: from then on, every frame FFmpeg filters has the change. */
  readonly ackedAt: number;
}

/** A request written and not yet answered. */
interface Waiting {
  readonly resolve: (r: ZmqReply) => void;
  readonly reject: (e: Error) => void;
}

/**
 * One connection to one FFmpeg zmq filter. Replies come back in request order; each request
 * resolves with FFmpeg's reply and the time it arrived, or rejects on timeout or disconnect.
 */
export class ZmqCommandClient {
  private socket: net.Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private greeted = false;
  private ready: Promise<void> | null = null;
  private readonly waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly port: number,
    private readonly host = '127.0.0.1',
    private readonly timeoutMs = 2000,
  ) {}

  private connect(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      const s = net.connect(this.port, this.host);
      this.socket = s;
      s.once('connect', () => {
        s.write(zmtpGreeting());
        s.write(zmtpReady());
      });
      s.on('data', (d: Buffer) => this.onData(d, resolve));
      s.on('error', (err) => {
        reject(err);
        this.fail(err);
      });
      s.on('close', () => this.fail(new Error('zmq connection closed')));
    });
    return this.ready;
  }

  private onData(d: Buffer, connected: () => void): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (!this.greeted) {
      if (this.buf.length < 64) return;
      this.buf = this.buf.subarray(64);
      this.greeted = true;
    }
    const { frames, rest } = parseFrames(this.buf);
    this.buf = rest;
    for (const f of frames) {
      if (f.command) {
        if (f.body.subarray(1, 1 + (f.body[0] ?? 0)).toString() === 'READY') connected();
        continue;
      }
      if (f.more || f.body.length === 0) continue; // the delimiter frame
      const w = this.waiting.shift();
      if (!w) continue;
      const text = f.body.toString();
      const space = text.indexOf(' ');
      w.resolve({ code: Number(space < 0 ? text : text.slice(0, space)), message: space < 0 ? '' : text.slice(space + 1), ackedAt: Date.now() });
    }
    this.armTimer();
  }

  /** One deadline for the oldest unanswered request: FFmpeg answers in order or not at all. */
  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.waiting.length > 0) this.timer = setTimeout(() => this.fail(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
  }

  private fail(err: Error): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.waiting.splice(0)) w.reject(err);
    this.socket?.destroy();
    this.socket = null;
    this.ready = null;
    this.greeted = false;
    this.buf = Buffer.alloc(0);
  }

  /** Sends one command, e.g. "drawbox@m0 enable 1". */
  async send(command: string): Promise<ZmqReply> {
    const [reply] = await this.sendBatch([command]);
    return reply!;
  }

  /**
   * Sends commands in one write, so FFmpeg applies them all before the same frame; resolves with
   * every reply, in order.
   */
  async sendBatch(commands: readonly string[]): Promise<ZmqReply[]> {
    await this.connect();
    const socket = this.socket;
    if (!socket) throw new Error('zmq connection closed');
    const replies = commands.map(
      () =>
        new Promise<ZmqReply>((resolve, reject) => {
          this.waiting.push({ resolve, reject });
        }),
    );
    socket.write(Buffer.concat(commands.flatMap((c) => [zmtpFrame(Buffer.alloc(0), FLAG_MORE), zmtpFrame(Buffer.from(c), 0)])));
    this.armTimer();
    return Promise.all(replies);
  }

  /** Closes the connection. Safe to call twice. */
  close(): void {
    this.fail(new Error('closed'));
  }
}
