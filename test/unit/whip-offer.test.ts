import { describe, expect, it } from 'vitest';
import { rtpSdp, whipGatewaySpec } from '../../server/media/rtp-gateway.ts';
import { specToArgs } from '../../server/media/spec.ts';
import { checkOffer, MAX_OFFER_CANDIDATES } from '../../server/webrtc/offer.ts';
import { preferredVideo } from '../../server/webrtc/werift-endpoint.ts';
import { announceAddresses, withoutLoopbackReflexive } from '../../server/webrtc/announce.ts';
import { bindingResponse } from '../../server/webrtc/loopback-stun.ts';
import { RtpArrivals } from '../../server/webrtc/rtp-arrivals.ts';

/** A browser-like offer: one video section (H.264 after VP8) and one audio section (Opus). */
function offer(o: { video?: string[]; audio?: string[] | null; candidates?: number; extra?: string[] } = {}): string {
  const video = o.video ?? ['VP8', 'H264'];
  const cands = Array.from({ length: o.candidates ?? 1 }, (_, i) => `a=candidate:${i} 1 udp 2122260223 10.0.0.${i + 1} 5000${i} typ host`);
  const section = (kind: string, codecs: string[], clock: number) => [
    `m=${kind} 9 UDP/TLS/RTP/SAVPF ${codecs.map((_, i) => 96 + i).join(' ')}`,
    'c=IN IP4 0.0.0.0',
    'a=ice-ufrag:abcd',
    'a=ice-pwd:0123456789abcdef012345',
    'a=fingerprint:sha-256 AA:BB',
    'a=sendonly',
    ...codecs.map((c, i) => `a=rtpmap:${96 + i} ${c}/${clock}`),
  ];
  return [
    'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
    ...section('video', video, 90000), ...cands,
    ...(o.audio === null ? [] : section('audio', o.audio ?? ['opus'], 48000)),
    ...(o.extra ?? []),
    '',
  ].join('\r\n');
}

describe('WHIP offers are checked at the edge', () => {
  it('takes a browser-like offer and says what it sends', () => {
    expect(checkOffer(offer())).toEqual({ video: ['VP8', 'H264'], audio: ['opus'], candidates: 1 });
    expect(checkOffer(offer({ audio: null })).audio).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['not SDP', 'hello'],
    ['neither H.264 nor VP8', offer({ video: ['VP9', 'AV1'] })],
    ['no Opus', offer({ audio: ['PCMU'] })],
    ['too many candidates', offer({ candidates: MAX_OFFER_CANDIDATES + 1 })],
    ['a data channel', offer({ extra: ['m=application 9 UDP/DTLS/SCTP webrtc-datachannel'] })],
    ['two video sections', offer({ extra: ['m=video 9 UDP/TLS/RTP/SAVPF 96', 'a=rtpmap:96 H264/90000'] })],
    ['a line that is not x=…', offer().replace('s=-', 'hello world')],
    ['control characters', offer().replace('s=-', 's=\u0000')],
    ['non-ASCII', offer().replace('s=-', 's=庭审')],
    ['over 32 KB', offer() + `a=x:${'y'.repeat(33 * 1024)}\r\n`],
    ['a receive-only section', offer().replace('a=sendonly', 'a=recvonly')],
    ['no fingerprint', offer().replaceAll('a=fingerprint:sha-256 AA:BB\r\n', '')],
  ])('refuses %s with VALIDATION_FAILED', (_why, sdp) => {
    expect(() => checkOffer(sdp)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('takes a publisher offering only VP8 (it is transcoded), but no such viewer (the preview is H.264 as sent)', () => {
    expect(checkOffer(offer({ video: ['VP8'] })).video).toEqual(['VP8']);
    const viewer = offer({ video: ['VP8'] }).replaceAll('a=sendonly', 'a=recvonly');
    expect(() => checkOffer(viewer, 'viewer')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(checkOffer(offer().replaceAll('a=sendonly', 'a=recvonly'), 'viewer').video).toEqual(['VP8', 'H264']);
  });
});

describe('the picture codec we answer with', () => {
  const h264 = (parameters?: string) => ({ mimeType: 'video/H264', ...(parameters ? { parameters } : {}) });
  const vp8 = { mimeType: 'video/VP8' };

  it('prefers H.264 with packetization mode 1, then constrained baseline', () => {
    const offered = [h264('profile-level-id=42001f;packetization-mode=0'), h264('profile-level-id=640032;packetization-mode=1'), h264('profile-level-id=42e01f;packetization-mode=1'), h264('profile-level-id=42001f;packetization-mode=1')];
    expect(preferredVideo(offered)).toBe(2);
    expect(preferredVideo([h264(), h264('packetization-mode=1')])).toBe(1);
    expect(preferredVideo([h264()])).toBe(0);
  });

  it('answers with any H.264 before VP8, whatever the order, and with VP8 only when there is no H.264', () => {
    expect(preferredVideo([vp8, h264('packetization-mode=0')])).toBe(1);
    expect(preferredVideo([vp8, h264('packetization-mode=1'), vp8])).toBe(1);
    expect(preferredVideo([vp8])).toBe(0);
  });
});

describe('the relay FFmpeg reads', () => {
  const codecs = [
    { kind: 'video' as const, name: 'H264', payloadType: 102, clockRate: 90000, fmtp: 'profile-level-id=42e01f;packetization-mode=1' },
    { kind: 'audio' as const, name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 },
  ];

  it('describes each kind on its port with the negotiated payload type', () => {
    const sdp = rtpSdp(codecs, { video: 5000, audio: 5002 });
    expect(sdp).toContain('m=video 5000 RTP/AVP 102\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 profile-level-id=42e01f;packetization-mode=1');
    expect(sdp).toContain('m=audio 5002 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2');
    expect(rtpSdp(codecs, { video: 5000 })).not.toContain('m=audio');
  });

  it('lets nothing but plain parameters into the file', () => {
    expect(() => rtpSdp([{ ...codecs[0]!, fmtp: 'a=1\r\nm=application 1 x' }], { video: 5000 })).toThrow();
    expect(() => rtpSdp([{ ...codecs[0]!, name: 'H264/1\r\n' }], { video: 5000 })).toThrow();
  });

  it('copies the picture and turns Opus into AAC for the RTMP ingest', () => {
    const args = specToArgs(whipGatewaySpec({ sdpFile: '/tmp/x/in.sdp', publishUrl: 'rtmp://127.0.0.1:1935/live/KEY', audio: true, video: 'H264' }));
    expect(args.join(' ')).toContain('-c:v copy -af asetpts=PTS+1024/(SR*TB) -c:a aac');
    expect(args.slice(-1)).toEqual(['rtmp://127.0.0.1:1935/live/KEY']);
    expect(specToArgs(whipGatewaySpec({ sdpFile: '/x.sdp', publishUrl: 'rtmp://h/live/K', audio: false, video: 'H264' })).join(' ')).not.toContain('0:a');
  });

  it('transcodes a VP8 picture to H.264, frame for frame at its own timestamps', () => {
    const args = specToArgs(whipGatewaySpec({ sdpFile: '/x.sdp', publishUrl: 'rtmp://h/live/K', audio: true, video: 'VP8' })).join(' ');
    expect(args).toContain('-c:v libx264');
    expect(args).toContain('-fps_mode passthrough');
    expect(args).not.toContain('-c:v copy');
  });
});

describe('announced addresses for a server behind a 1:1 NAT', () => {
  const answer = ['v=0', 'a=candidate:1 1 udp 2130706431 10.0.0.5 40000 typ host', 'a=candidate:2 1 udp 2130706175 127.0.0.1 40001 typ host', 'a=end-of-candidates', ''].join('\r\n');

  it('offers each private host candidate again at each public address, same port, lower priority', () => {
    const out = announceAddresses(answer, ['203.0.113.7']);
    expect(out).toContain('a=candidate:1 1 udp 2130706431 10.0.0.5 40000 typ host');
    expect(out).toContain('a=candidate:1a0 1 udp 2130705431 203.0.113.7 40000 typ host');
    // Loopback stays loopback: nothing outside reaches it.
    expect(out.match(/127\.0\.0\.1/g)).toHaveLength(1);
    expect(out.split('\r\n').indexOf('a=end-of-candidates')).toBe(out.split('\r\n').length - 2);
  });

  it('leaves the answer alone without announced addresses', () => {
    expect(announceAddresses(answer, [])).toBe(answer);
  });
});

describe('the loopback STUN server that keeps werift from asking Google', () => {
  const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), Buffer.from('0123456789ab')]);

  it('answers a binding request with the asker\'s address, XORed as RFC 8489 says', () => {
    const reply = bindingResponse(request, { address: '192.0.2.2', port: 50_000 })!;
    expect(reply.readUInt16BE(0)).toBe(0x0101);
    expect(reply.subarray(8, 20).toString()).toBe('0123456789ab');
    expect(reply.readUInt16BE(20)).toBe(0x0020);
    expect(reply.readUInt16BE(26) ^ 0x2112).toBe(50_000);
    expect([...reply.subarray(28, 32)].map((b, i) => b ^ [0x21, 0x12, 0xa4, 0x42][i]!)).toEqual([192, 0, 2, 2]);
  });

  it('ignores what is not a binding request', () => {
    expect(bindingResponse(Buffer.from('hello world, not stun'), { address: '127.0.0.1', port: 1 })).toBeNull();
    expect(bindingResponse(Buffer.concat([Buffer.from([0x01, 0x01]), request.subarray(2)]), { address: '127.0.0.1', port: 1 })).toBeNull();
    expect(bindingResponse(request, { address: '::1', port: 1 })).toBeNull();
  });

  it('leaves no reflexive candidate on loopback in an answer', () => {
    const sdp = ['a=candidate:1 1 udp 2130706431 192.0.2.2 5000 typ host', 'a=candidate:2 1 udp 1694498815 127.0.0.1 5000 typ srflx raddr 192.0.2.2 rport 5000', ''].join('\r\n');
    expect(withoutLoopbackReflexive(sdp)).toBe(['a=candidate:1 1 udp 2130706431 192.0.2.2 5000 typ host', ''].join('\r\n'));
  });
});

describe('when forwarded RTP reached us, by the relay\'s timestamp', () => {
  it('dates a frame by its last packet, from the first packet the reader got, across a wrap', () => {
    const a = new RtpArrivals(90_000, 30_000);
    const base = 2 ** 32 - 3000; // the second frame wraps
    a.add(base, 1000);
    a.add(base, 1010); // the frame's last packet
    a.add((base + 3000) >>> 0, 1040);
    a.add((base + 6000) >>> 0, 1075);
    expect(a.reachedBy(0)).toBe(1010);
    expect(a.reachedBy(33)).toBe(1040); // 33 ms rounds to the frame at 33.3 ms
    expect(a.reachedBy(67)).toBe(1075);
  });

  it('never answers earlier than the media: between frames the next one bounds it, and media not yet come is unknown', () => {
    const a = new RtpArrivals(48_000, 30_000);
    for (let k = 0; k < 10; k++) a.add(7 + k * 960, 2000 + k * 20);
    // An AAC frame stamped 30 ms holds Opus media to 73 ms: the packet after 72 ms (k = 4, 80 ms).
    expect(a.reachedBy(30, 43)).toBe(2080);
    expect(a.reachedBy(400)).toBeNull();
    expect(a.reachedBy(-5)).toBeNull();
  });

  it('forgets what is older than its horizon', () => {
    const a = new RtpArrivals(90_000, 1_000);
    a.add(0, 0);
    a.add(3000, 2_000);
    expect(a.reachedBy(0)).toBeNull();
    expect(a.reachedBy(33)).toBe(2_000);
  });
});
