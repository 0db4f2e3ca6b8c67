/** Seconds from the NTP epoch (1900) to the Unix epoch. */
const NTP_UNIX_OFFSET_S = 2_208_988_800n;
const FRACTION = 1n << 32n;

/**
 * An NTP timestamp (64-bit, 32.32 fixed point) for `ticks` of a `clockRate` clock after the
 * instant `originMs` (ms since the Unix epoch). Counted from the origin in whole ticks, so that a
 * reader who subtracts two of them and rescales to the clock gets the ticks back exactly.
 */
export function ntpAfter(originMs: number, ticks: number, clockRate: number): bigint {
  const origin = ((BigInt(Math.round(originMs)) + NTP_UNIX_OFFSET_S * 1000n) * FRACTION) / 1000n;
  return origin + (BigInt(Math.round(ticks)) * FRACTION) / BigInt(clockRate);
}

/**
 * An RTCP sender report (RFC 3550 §6.4.1) with no reception blocks: the stream `ssrc` was at RTP
 * timestamp `rtp` at the NTP instant `ntp`. The packet and octet counts are not ours to know.
 */
export function senderReport(ssrc: number, ntp: bigint, rtp: number): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt8(0x80, 0); // version 2, no padding, no reception blocks
  b.writeUInt8(200, 1); // SR
  b.writeUInt16BE(28 / 4 - 1, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  b.writeBigUInt64BE(ntp & 0xffff_ffff_ffff_ffffn, 8);
  b.writeUInt32BE(rtp >>> 0, 16);
  return b;
}
