/**
 * Candidates for a server behind NAT: each host candidate of ours (not loopback) is offered again
 * at each announced address, same port, at a lower priority, as a 1:1 NAT or a cloud's public IP
 * maps it (mediasoup calls these announced addresses). Publishers on the court's network still
 * reach the private address first. Pure: SDP in, SDP out.
 */
export function announceAddresses(sdp: string, announced: readonly string[]): string {
  if (announced.length === 0) return sdp;
  const lines = sdp.split('\r\n');
  const out: string[] = [];
  for (const line of lines) {
    out.push(line);
    const m = /^a=candidate:(\S+) (\d) (udp|UDP) (\d+) (\d{1,3}(?:\.\d{1,3}){3}) (\d+) typ host(.*)$/.exec(line);
    if (!m || m[5]!.startsWith('127.') || announced.includes(m[5]!)) continue;
    announced.forEach((address, i) => {
      // A foundation of its own (the pair is a different path) and a priority below the private one.
      out.push(`a=candidate:${m[1]}a${i} ${m[2]} ${m[3]} ${Math.max(0, Number(m[4]) - 1000 * (i + 1))} ${address} ${m[6]} typ host${m[7]}`);
    });
  }
  return out.join('\r\n');
}

/**
 * The answer without reflexive candidates on loopback: our own STUN server (LoopbackStun) sees
 * every query come from 127.0.0.1, and a peer elsewhere has nothing to gain from that address.
 */
export function withoutLoopbackReflexive(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((l) => !/^a=candidate:\S+ \d \S+ \d+ 127\.\d+\.\d+\.\d+ \d+ typ srflx/.test(l))
    .join('\r\n');
}
