import pLimit from 'p-limit';
import { parseSync } from 'subtitle';
import type { ManifestEntry } from './manifest.ts';
import { airedCaptionLanguages, airedInOrder, subtitlesRung } from './vod-playlist.ts';

/** A caption the public was shown, on the as-aired recording's clock (seconds from its start). */
export interface AiredCaption {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** The speaker as the caption named them, in its language's words. */
  readonly speaker?: string;
}

/**
 * What the public was shown as captions, per language: made from the slots' WebVTT exactly as
 * they were served, so words a cut, a pause or a mask kept off the air are not in it. This, not
 * the court's transcript, is what a public search may look into.
 */
export interface AiredCaptions {
  readonly format: 'courtcast-aired-captions/1';
  readonly languages: Readonly<Record<string, readonly AiredCaption[]>>;
}

/** One slot's WebVTT and where the slot starts on the as-aired clock (s). */
export interface SlotText {
  readonly offset: number;
  readonly vtt: string;
}

/** A cue carried on into the next slot starts where it left off, give or take a frame. */
const CONTINUES_WITHIN_S = 0.25;
/** Captions shown at once (speakers over each other) that a continued cue may be behind. */
const LOOK_BACK = 8;

const ms = (s: number): number => Math.round(s * 1000) / 1000;

/** A payload's words and its voice tag's name, markup and the escapes our writer puts in undone. */
function wordsOf(payload: string): { text: string; speaker?: string } {
  const speaker = /^<v(?:\.[^ >]*)? ([^>]+)>/.exec(payload)?.[1]?.trim();
  const text = payload.replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim();
  return { text, ...(speaker ? { speaker } : {}) };
}

/**
 * One language's captions from its slots' WebVTT in order. A cue that ran over several slots is in
 * each of them (HLS subtitle segments repeat it), and is one caption here. Pure.
 */
export function mergeSlotCaptions(slots: readonly SlotText[]): AiredCaption[] {
  const out: AiredCaption[] = [];
  for (const slot of slots) {
    for (const node of parseSync(slot.vtt)) {
      if (node.type !== 'cue') continue;
      const { text, speaker } = wordsOf(node.data.text);
      if (!text) continue;
      const start = ms(slot.offset + node.data.start / 1000);
      const end = ms(slot.offset + node.data.end / 1000);
      let k = out.length - 1;
      while (k >= Math.max(0, out.length - LOOK_BACK) && !(out[k]!.text === text && out[k]!.speaker === speaker && Math.abs(start - out[k]!.end) <= CONTINUES_WITHIN_S)) k--;
      if (k >= Math.max(0, out.length - LOOK_BACK)) out[k] = { ...out[k]!, end: Math.max(out[k]!.end, end) };
      else out.push({ start, end, text, ...(speaker ? { speaker } : {}) });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * The captions an archive's as-aired recording carried, per language, each placed by its slot's
 * start on the top rung's clock (the replay's and the as-aired MP4's). Slots that aired a slate
 * carry none and are not read; `read` fetches an archived object (spool or store).
 */
export async function airedCaptions(entries: readonly ManifestEntry[], topRung: string, read: (key: string) => Promise<Buffer>): Promise<AiredCaptions> {
  const offsets = new Map<number, number>();
  let at = 0;
  for (const e of airedInOrder(entries, topRung)) {
    offsets.set(e.seq ?? 0, at);
    at += e.durationSec ?? 0;
  }
  const limit = pLimit(8);
  const languages: Record<string, AiredCaption[]> = {};
  for (const lang of airedCaptionLanguages(entries)) {
    const slots = airedInOrder(entries, subtitlesRung(lang)).filter((e) => e.outcome === 'aired' && offsets.has(e.seq ?? 0));
    const texts = await Promise.all(slots.map((e) => limit(async () => ({ offset: offsets.get(e.seq ?? 0) as number, vtt: (await read(e.key)).toString('utf8') }))));
    languages[lang] = mergeSlotCaptions(texts);
  }
  return { format: 'courtcast-aired-captions/1', languages };
}
