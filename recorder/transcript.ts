import { CAPTION_LANGUAGES, isCaptionLanguage, SPEAKER_WORDS, type CaptionLanguage, type SpeakerRole } from '../server/domain/captions.ts';
import { vttTime } from '../server/delay/vtt.ts';

/** A transcript entry as the hearing's record carries it (service/broadcast/caption-track.ts `CueView`). */
export interface TranscriptEntry {
  readonly id: string;
  readonly lang: string;
  readonly text: string;
  readonly speaker?: string;
  readonly start: string;
  readonly end: string;
  readonly revision: number;
}

/**
 * The transcript of one language as WebVTT, on the as-aired recording's clock (`origin`: the
 * capture instant its first slot stands for): each cue in its last version, as the court sent it
 * (what aired of it is in the as-aired captions). Cues before the origin start at zero. Pure.
 */
export function transcriptVtt(entries: readonly TranscriptEntry[], lang: CaptionLanguage, origin: number): string {
  const newest = new Map<string, TranscriptEntry>();
  for (const e of entries) if (e.lang === lang) newest.set(e.id, e);
  const cues = [...newest.values()].sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.id.localeCompare(b.id));
  const at = (iso: string) => vttTime(Math.max(0, (Date.parse(iso) - origin) / 1000));
  const blocks = cues.map((c) => {
    const who = c.speaker && c.speaker in SPEAKER_WORDS[lang] ? `<v ${SPEAKER_WORDS[lang][c.speaker as SpeakerRole]}>` : '';
    return `${c.id}\n${at(c.start)} --> ${at(c.end)}\n${who}${c.text.replace(/&/g, '&amp;')}`;
  });
  return ['WEBVTT', '', ...blocks.flatMap((b) => [b, ''])].join('\n');
}

/** The caption languages a transcript has entries in, in the order Courtcast lists them. */
export function transcriptLanguages(entries: readonly TranscriptEntry[]): CaptionLanguage[] {
  return CAPTION_LANGUAGES.filter((l) => entries.some((e) => e.lang === l && isCaptionLanguage(e.lang)));
}
