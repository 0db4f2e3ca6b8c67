import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { specToArgs } from '../../server/media/spec.ts';
import { syntheticRtpSpec } from '../../server/media/synthetic.ts';
import { FRAME_MS, TEST_FPS } from './encoder.ts';

/** One client's playing session: where its packets go. */
interface Player {
  readonly socket: Socket;
  /** Interleaved channel per track (TCP), or the client's RTP port per track (UDP). */
  readonly tcp: Map<number, number>;
  readonly udp: Map<number, number>;
  playing: boolean;
}

/**
 * An IP camera for tests: an RTSP server (RFC 2326, as much as FFmpeg's client uses: OPTIONS,
 * DESCRIBE with Basic authentication, SETUP over TCP interleaved or UDP, PLAY, GET_PARAMETER,
 * TEARDOWN) serving one stream, the counter pattern in H.264 and the sound time code in Opus that
 * an FFmpeg encodes to RTP. The counter of a frame maps to `epoch + counter * FRAME_MS`, as for
 * `TestEncoder`. It can stall (stop sending while connections stay open) and say who asked what.
 */
export class RtspCamera {
  /** Methods asked, with the answer's status, in order ("DESCRIBE 401", "PLAY 200"…). */
  readonly asked: string[] = [];
  private readonly players = new Set<Player>();
  private stalledUntil = 0;
  private source: ChildProcess | null = null;
  private sdp = '';
  /** The counter of the encoder's first frame, and its first video RTP timestamp. */
  private firstCounter = 0;
  private firstTs: number | null = null;
  /** When the last packet of each video frame (by RTP timestamp) was sent to the clients. */
  private readonly sent = new Map<number, number>();

  private constructor(
    private readonly server: Server,
    private readonly tracks: UdpSocket[],
    private readonly dir: string,
    private readonly user: string,
    private readonly password: string,
  ) {}

  /** Starts the encoder and the server on free loopback ports; `firstCounter` follows the epoch. */
  static async start(o: { epoch: number; user: string; password: string }): Promise<RtspCamera> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cc-camera-'));
    const tracks = await Promise.all([0, 1].map(() => new Promise<UdpSocket>((resolve) => {
      const s = createSocket('udp4');
      s.bind(0, '127.0.0.1', () => resolve(s));
    })));
    const server = createServer();
    const camera = new RtspCamera(server, tracks, dir, o.user, o.password);
    server.on('connection', (socket) => camera.serve(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    tracks.forEach((t, track) => t.on('message', (packet) => camera.forward(track, packet)));
    await camera.encode(o.epoch);
    return camera;
  }

  /** The stream's URL without credentials. */
  get url(): string {
    return `rtsp://127.0.0.1:${(this.server.address() as { port: number }).port}/stream1`;
  }

  /** The stream's URL with credentials in it, as a court's configuration would hold it. */
  urlWith(user: string, password: string): string {
    return this.url.replace('rtsp://', `rtsp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`);
  }

  /** Sends nothing for `ms`, connections kept open, as a camera that hangs. */
  stall(ms: number): void {
    this.stalledUntil = Date.now() + ms;
  }

  /** How many clients are playing now. */
  get playing(): number {
    return [...this.players].filter((p) => p.playing).length;
  }

  private closing: Promise<void> | null = null;

  /** Stops the camera; a second call waits for the first. */
  close(): Promise<void> {
    return (this.closing ??= this.shutDown());
  }

  private async shutDown(): Promise<void> {
    this.source?.kill('SIGKILL');
    for (const p of this.players) p.socket.destroy();
    for (const t of this.tracks) t.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }

  private async encode(epoch: number): Promise<void> {
    const sdpFile = path.join(this.dir, 'camera.sdp');
    const ports = { video: this.portOf(0), audio: this.portOf(1) };
    const firstCounter = (this.firstCounter = Math.round((Date.now() - epoch) / FRAME_MS));
    const spec = syntheticRtpSpec({ width: 320, height: 180, fps: TEST_FPS, frameOffset: firstCounter, toneHz: 440, sound: 'timecode', caption: 'RTSP camera', gopFrames: TEST_FPS }, ports);
    this.source = spawn('ffmpeg', [...specToArgs(spec), '-sdp_file', sdpFile], { stdio: ['ignore', 'ignore', 'ignore'] });
    const until = Date.now() + 10_000;
    while (!this.sdp && Date.now() < until) {
      this.sdp = await readFile(sdpFile, 'utf8').catch(() => '');
      if (!this.sdp) await new Promise((r) => setTimeout(r, 50));
    }
    if (!this.sdp) throw new Error('the camera\'s encoder wrote no SDP');
  }

  private portOf(track: number): number {
    return this.tracks[track]!.address().port;
  }

  /** The SDP a client is described: the encoder's, each track named for SETUP, no addresses of ours. */
  private describe(): string {
    let track = -1;
    const lines = this.sdp.split(/\r?\n/).filter((l) => l && !l.startsWith('c=') && !l.startsWith('a=tool'));
    const out: string[] = [];
    for (const line of lines) {
      out.push(line.startsWith('m=') ? line.replace(/^(m=\w+) \d+/, '$1 0') : line);
      if (line.startsWith('m=')) out.push(`a=control:trackID=${++track}`);
    }
    return `${out.join('\r\n')}\r\n`;
  }

  /** When the frame with this counter was sent to the clients (its last packet), if it was. */
  sentAt(counter: number): number | undefined {
    if (this.firstTs === null) return undefined;
    return this.sent.get((this.firstTs + (counter - this.firstCounter) * (90_000 / TEST_FPS)) >>> 0);
  }

  private forward(track: number, packet: Buffer): void {
    // The encoder's first frame carries the first counter, whoever was watching.
    if (track === 0 && packet.length >= 12) this.firstTs ??= packet.readUInt32BE(4);
    if (Date.now() < this.stalledUntil) return;
    if (track === 0 && packet.length >= 12 && this.playing > 0) this.sent.set(packet.readUInt32BE(4), Date.now());
    for (const p of this.players) {
      if (!p.playing) continue;
      const channel = p.tcp.get(track);
      if (channel !== undefined && p.socket.writable) {
        const head = Buffer.from([0x24, channel, packet.length >> 8, packet.length & 0xff]);
        p.socket.write(Buffer.concat([head, packet]));
      }
      const port = p.udp.get(track);
      if (port !== undefined) this.tracks[track]!.send(packet, port, '127.0.0.1');
    }
  }

  private serve(socket: Socket): void {
    const player: Player = { socket, tcp: new Map(), udp: new Map(), playing: false };
    this.players.add(player);
    socket.on('close', () => this.players.delete(player));
    socket.on('error', () => undefined);
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const request = pending.slice(0, end);
        pending = pending.slice(end + 4);
        // A client's interleaved RTCP ($…) may precede a request: skip to the request line.
        const start = request.search(/[A-Z_]+ rtsp:\/\//);
        if (start >= 0) this.answer(player, request.slice(start));
      }
    });
  }

  private answer(player: Player, request: string): void {
    const [first, ...rest] = request.split('\r\n');
    const [method, uri] = (first ?? '').split(' ');
    const headers = new Map(rest.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const cseq = headers.get('cseq') ?? '0';
    const reply = (status: string, extra: string[] = [], body = '') => {
      this.asked.push(`${method} ${status.split(' ')[0]}`);
      const lines = [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, ...extra, ...(body ? ['Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(body)}`] : [])];
      player.socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    };
    const expected = `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`;
    if (method !== 'OPTIONS' && headers.get('authorization') !== expected) return reply('401 Unauthorized', ['WWW-Authenticate: Basic realm="camera"']);
    if (method === 'OPTIONS') return reply('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER']);
    if (method === 'DESCRIBE') return reply('200 OK', [`Content-Base: ${uri}/`], this.describe());
    if (method === 'SETUP') {
      const track = Number(/trackID=(\d+)/.exec(uri ?? '')?.[1] ?? -1);
      const transport = headers.get('transport') ?? '';
      const interleaved = /interleaved=(\d+)/.exec(transport);
      const clientPort = /client_port=(\d+)/.exec(transport);
      if (track < 0 || track > 1) return reply('404 Not Found');
      if (interleaved) player.tcp.set(track, Number(interleaved[1]));
      else if (clientPort) player.udp.set(track, Number(clientPort[1]));
      else return reply('461 Unsupported Transport');
      const answer = interleaved ? `RTP/AVP/TCP;unicast;interleaved=${interleaved[1]}-${Number(interleaved[1]) + 1}` : `RTP/AVP;unicast;client_port=${clientPort![1]}-${Number(clientPort![1]) + 1};server_port=${this.portOf(track)}-${this.portOf(track) + 1}`;
      return reply('200 OK', [`Transport: ${answer}`, 'Session: 12345678;timeout=60']);
    }
    if (method === 'PLAY') {
      player.playing = true;
      return reply('200 OK', ['Session: 12345678', 'Range: npt=0.000-']);
    }
    if (method === 'GET_PARAMETER') return reply('200 OK', ['Session: 12345678']);
    if (method === 'TEARDOWN') {
      player.playing = false;
      return reply('200 OK');
    }
    return reply('405 Method Not Allowed');
  }
}
