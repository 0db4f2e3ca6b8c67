import { createSocket, type Socket } from 'node:dgram';
import type { RTCPeerConnection } from 'werift';

/** A UDP socket bound to a free loopback port: where local RTP comes in or goes out. */
export async function loopbackSocket(): Promise<Socket> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return sock;
}

/** Waits until a peer connection's candidates are gathered, or `ms` have passed (then it has what it has). */
export async function gathered(pc: RTCPeerConnection, ms: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    const { unSubscribe } = pc.iceGatheringStateChange.subscribe((s) => {
      if (s === 'complete') done();
    });
    function done() {
      clearTimeout(timer);
      unSubscribe();
      resolve();
    }
  });
}
