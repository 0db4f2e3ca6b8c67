import type { Socket } from 'node:dgram';
import { loopbackSocket } from './werift-util.ts';

const MAGIC = 0x2112a442;

/**
 * The answer to a STUN Binding Request (RFC 8489): a success response with the request's
 * transaction id and the sender's address as XOR-MAPPED-ADDRESS. Null for anything else. Pure.
 */
export function bindingResponse(request: Buffer, from: { address: string; port: number }): Buffer | null {
  if (request.length < 20 || request.readUInt16BE(0) !== 0x0001 || request.readUInt32BE(4) !== MAGIC) return null;
  const octets = from.address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return null;
  const out = Buffer.alloc(32);
  out.writeUInt16BE(0x0101, 0);
  out.writeUInt16BE(12, 2);
  out.writeUInt32BE(MAGIC, 4);
  request.copy(out, 8, 8, 20);
  out.writeUInt16BE(0x0020, 20);
  out.writeUInt16BE(8, 22);
  out.writeUInt16BE(0x0001, 24);
  out.writeUInt16BE(from.port ^ (MAGIC >>> 16), 26);
  const address = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  out.writeUInt32BE((address ^ MAGIC) >>> 0, 28);
  return out;
}

/**
 * A STUN server on loopback that tells each asker its own address. werift asks a STUN server for
 * a reflexive candidate whenever it gathers and, given none, asks Google's: a court's server would
 * call out to Google at every WebRTC session, and where it cannot (a closed network) every answer
 * waits five seconds for the query to time out. Ours answers at once and says nothing new (our
 * own address is already a host candidate); a configured STUN server takes its place.
 */
export class LoopbackStun {
  private constructor(private readonly socket: Socket) {}

  static async start(): Promise<LoopbackStun> {
    const socket = await loopbackSocket();
    socket.on('message', (msg, rinfo) => {
      const reply = bindingResponse(msg, rinfo);
      if (reply) socket.send(reply, rinfo.port, rinfo.address);
    });
    socket.on('error', () => undefined);
    return new LoopbackStun(socket);
  }

  get url(): string {
    return `stun:127.0.0.1:${this.socket.address().port}`;
  }

  close(): void {
    this.socket.close();
  }
}
