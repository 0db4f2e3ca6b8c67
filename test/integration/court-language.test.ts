import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLATE_WORDS } from '../../server/delay/slates.ts';
import { SLATE_COLOR } from '../../server/media/args.ts';
import { chineseFontFile } from '../../server/media/fonts.ts';
import { decodeFrames, strictParse } from '../support/public-feed.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);

/** Text drawn on the slate colour as grey 640x360, the way a reader would expect the card to look. */
async function drawn(text: string, fontFile: string | null): Promise<Uint8Array> {
  const font = fontFile ? `:fontfile=${fontFile}` : '';
  const vf = `drawtext=text='${text}'${font}:fontcolor=white:fontsize=30:x=(w-text_w)/2:y=(h-text_h)/2,format=gray`;
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `color=c=${SLATE_COLOR}:s=640x360:r=1`, '-vf', vf, '-frames:v', '1', '-f', 'rawvideo', '-'], { encoding: 'buffer', maxBuffer: 1 << 24 });
  return new Uint8Array(stdout);
}

/**
 * How far apart two pictures are where a single-line card's text sits (the middle band), compared
 * in 8 × 8 blocks: an encoded, upscaled slate blurs every stroke, so exact pixels cannot be matched,
 * but how much ink each block holds can.
 */
function bandDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  let n = 0;
  for (let by = 144; by < 216; by += 8) {
    for (let bx = 0; bx < 640; bx += 8) {
      let d = 0;
      for (let y = by; y < by + 8; y++) for (let x = bx; x < bx + 8; x++) d += a[y * 640 + x]! - b[y * 640 + x]!;
      sum += Math.abs(d / 64);
      n++;
    }
  }
  return sum / n;
}

/** The first picture of the newest public segment of a hearing's 180p rung, with its bytes. */
async function publicSlate(s: TestServer, hearingId: string): Promise<{ bytes: Buffer; frame: Uint8Array }> {
  const url = `${s.base}/hls/hearings/${hearingId}/180p/index.m3u8`;
  let uri = '';
  await waitFor(async () => {
    const res = await fetch(url);
    if (res.status !== 200) return false;
    const list = strictParse(await res.text()) as { segments?: { uri: string }[] };
    uri = list.segments?.at(-1)?.uri ?? '';
    return uri !== '';
  }, 'the public playlist to carry a slate', 20_000, 200);
  const bytes = Buffer.from(await (await fetch(new URL(uri, url))).arrayBuffer());
  return { bytes, frame: (await decodeFrames(bytes))[0]! };
}

describe("slates in the court's language", () => {
  let s: TestServer;
  const hearings: Record<'en' | 'zh-CN' | 'bilingual', string> = { en: '', 'zh-CN': '', bilingual: '' };

  beforeAll(async () => {
    s = await startTestServer();
    for (const language of ['en', 'zh-CN', 'bilingual'] as const) {
      const h = await seedHearing(s, { language });
      hearings[language] = h.hearingId;
      const open = await s.api('POST', `/api/hearings/${h.hearingId}/broadcast/open`, {});
      expect(open.status, JSON.stringify(open.body)).toBe(200);
    }
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  it('shows a Chinese court the Chinese card, drawn with a font that has the characters, and an English court the English one', async () => {
    const font = await chineseFontFile();
    expect(font, 'the test machine has a Chinese font (scripts/ensure-deps.sh installs one)').not.toBeNull();
    const zh = await publicSlate(s, hearings['zh-CN']);
    const en = await publicSlate(s, hearings.en);
    // Exactly the library's slate for that language, copied as it was rendered.
    expect(zh.bytes.equals(await readFile((await s.cc.slates.of('zh-CN')).file('starting', '180p')))).toBe(true);
    expect(en.bytes.equals(await readFile(s.cc.slates.file('starting', '180p')))).toBe(true);
    // The two cards differ where the words are.
    expect(bandDiff(zh.frame, en.frame)).toBeGreaterThan(4);
    // The Chinese card reads the Chinese words in a Chinese face: nearer to them than to the same
    // words in the default face (boxes for every character) or to the English words.
    const words = SLATE_WORDS['zh-CN'].starting;
    const right = bandDiff(zh.frame, await drawn(words, font));
    expect(right).toBeLessThan(bandDiff(zh.frame, await drawn(words, null)) / 2);
    expect(right).toBeLessThan(bandDiff(zh.frame, await drawn(SLATE_WORDS.en.starting, null)) / 2);
    expect(bandDiff(en.frame, await drawn(SLATE_WORDS.en.starting, null))).toBeLessThan(bandDiff(en.frame, await drawn(words, font)) / 2);
  });

  it('shows a bilingual court both lines, Chinese above English', async () => {
    const both = await publicSlate(s, hearings.bilingual);
    const zh = await publicSlate(s, hearings['zh-CN']);
    const en = await publicSlate(s, hearings.en);
    expect(both.bytes.equals(await readFile((await s.cc.slates.of('bilingual')).file('starting', '180p')))).toBe(true);
    expect(bandDiff(both.frame, zh.frame)).toBeGreaterThan(4);
    expect(bandDiff(both.frame, en.frame)).toBeGreaterThan(4);
    // Text above the middle and below it: a row is lit where a glyph stroke is near white.
    const lit = (y0: number, y1: number) => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = 0; x < 640; x++) if (both.frame[y * 640 + x]! > 160) n++;
      return n;
    };
    expect(lit(120, 178)).toBeGreaterThan(200);
    expect(lit(182, 240)).toBeGreaterThan(200);
  });

  it('refuses a language it does not speak, with a problem', async () => {
    const res = await s.api<{ type?: string }>('POST', '/api/courts', { name: 'X', timezone: 'UTC', language: 'fr' });
    expect(res.status).toBe(400);
  });
});
