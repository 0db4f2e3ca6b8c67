import { CourtcastError } from '../domain/errors.ts';

/** Offers larger than this are refused before any parser sees them (a browser's is 4–8 KB). */
export const MAX_OFFER_BYTES = 32 * 1024;
/** ICE candidates one offer may carry: a host with many interfaces has a dozen at most. */
export const MAX_OFFER_CANDIDATES = 32;
const MAX_LINE = 1024;

/** What a WHIP offer asks to send, as far as the gateway cares. */
export interface OfferSummary {
  /** Video codecs offered, by name (H264, VP8, …), in the offer's order. */
  readonly video: readonly string[];
  /** Audio codecs offered, by name (opus, PCMU, …). */
  readonly audio: readonly string[];
  readonly candidates: number;
}

const bad = (why: string) => new CourtcastError('VALIDATION_FAILED', `not a WHIP offer we can take: ${why}`);

/**
 * Checks an offer at the edge, before werift parses it: size, plain text, the lines a WebRTC
 * offer must have, one video and at most one audio section that send (a publisher's) or receive
 * (a viewer's), and few enough candidates.
 * Werift's own parser is lenient and throws odd errors deep inside on odd input; what passes here
 * it parses as intended. Pure.
 */
export function checkOffer(sdp: string, role: 'publisher' | 'viewer' = 'publisher'): OfferSummary {
  if (Buffer.byteLength(sdp) > MAX_OFFER_BYTES) throw bad(`larger than ${MAX_OFFER_BYTES} bytes`);
  // Printable ASCII and line ends only: SDP is ASCII, and nothing else reaches the parser or a log.
  if (!/^[\x20-\x7e\r\n]*$/.test(sdp)) throw bad('characters outside printable ASCII');
  const lines = sdp.split(/\r?\n/).filter((l) => l !== '');
  if (lines[0] !== 'v=0') throw bad('it does not start with v=0');
  if (lines.some((l) => l.length > MAX_LINE || !/^[a-z]=/.test(l))) throw bad('a line is not of the form x=…');
  const sections: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) sections.push([line]);
    else sections.at(-1)?.push(line);
  }
  const firstMedia = lines.findIndex((l) => l.startsWith('m='));
  const session = firstMedia < 0 ? lines : lines.slice(0, firstMedia);
  const kinds = sections.map((s) => /^m=(\w+) /.exec(s[0]!)?.[1] ?? '');
  if (kinds.some((k) => k !== 'video' && k !== 'audio')) throw bad('only audio and video sections are taken (no data channels)');
  if (kinds.filter((k) => k === 'video').length !== 1) throw bad('it needs exactly one video section');
  if (kinds.filter((k) => k === 'audio').length > 1) throw bad('it has more than one audio section');
  const has = (section: string[], attr: string) => section.some((l) => l.startsWith(`a=${attr}`)) || session.some((l) => l.startsWith(`a=${attr}`));
  for (const [i, section] of sections.entries()) {
    for (const attr of ['ice-ufrag:', 'ice-pwd:', 'fingerprint:']) if (!has(section, attr)) throw bad(`section ${i} has no a=${attr.slice(0, -1)}`);
    if (has(section, 'inactive')) throw bad(`section ${i} is inactive`);
    if (role === 'publisher' && has(section, 'recvonly')) throw bad(`section ${i} does not send`);
    if (role === 'viewer' && has(section, 'sendonly')) throw bad(`section ${i} does not receive`);
  }
  const candidates = lines.filter((l) => l.startsWith('a=candidate:')).length;
  if (candidates > MAX_OFFER_CANDIDATES) throw bad(`more than ${MAX_OFFER_CANDIDATES} ICE candidates`);
  const codecs = (kind: string) =>
    sections
      .filter((s) => s[0]!.startsWith(`m=${kind} `))
      .flatMap((s) => s.map((l) => /^a=rtpmap:\d+ ([\w-]+)\//.exec(l)?.[1]).filter((n): n is string => n !== undefined));
  const video = codecs('video');
  const audio = codecs('audio');
  const offers = (name: string) => video.some((c) => c.toUpperCase() === name);
  // A publisher's H.264 is kept as sent; VP8, from a browser that offers nothing else, is
  // transcoded to H.264. A viewer is sent the courtroom's H.264 as it is.
  if (role === 'viewer' && !offers('H264')) throw bad('the video section offers no H.264 (the preview is sent as the courtroom encoded it, in H.264)');
  if (!offers('H264') && !offers('VP8')) throw bad('the video section offers neither H.264 nor VP8');
  if (kinds.includes('audio') && !audio.some((c) => c.toLowerCase() === 'opus')) throw bad('the audio section offers no Opus');
  return { video, audio, candidates };
}
