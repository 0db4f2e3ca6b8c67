/**
 * Captions on the capture timeline: what a cue is, and whether and how it may air under a
 * program. Pure. A cue is media like a frame: the words spoken over [start, end), and the program
 * decides it as it decides a segment, whole (words cannot be cut at an edge as a picture can).
 */
import { decide, type BroadcastProgram } from './program.ts';
import { maskOverlaps, maskPolicy, type Mask } from './masks.ts';

/** The languages cues may be sent in (BCP 47), each its own subtitle rendition. */
export const CAPTION_LANGUAGES = ['zh-CN', 'en'] as const;
export type CaptionLanguage = (typeof CAPTION_LANGUAGES)[number];

/** Whether a tag is one of the caption languages. */
export const isCaptionLanguage = (tag: string): tag is CaptionLanguage => (CAPTION_LANGUAGES as readonly string[]).includes(tag);

/** Each caption language's name in itself, as a player's subtitle menu lists it. */
export const LANGUAGE_NAMES: Readonly<Record<CaptionLanguage, string>> = { 'zh-CN': '中文', en: 'English' };

/** Who speaks, as the court's speech-to-text engine or stenographer says. */
export const SPEAKER_ROLES = ['presiding-judge', 'judge', 'juror', 'clerk', 'prosecutor', 'plaintiff', 'defendant', 'counsel', 'witness', 'expert', 'interpreter', 'other'] as const;
export type SpeakerRole = (typeof SPEAKER_ROLES)[number];

/** Longest cue text, in characters: two subtitle lines, generously. */
export const MAX_CUE_CHARS = 300;
/** Longest cue: a caption held longer than this is not a caption. */
export const MAX_CUE_MS = 20_000;

/** One caption cue, as the court sent it (or last corrected it). Times are capture instants (ms). */
export interface Cue {
  /** The sender's id for it: a correction names it. */
  readonly id: string;
  readonly lang: CaptionLanguage;
  readonly text: string;
  readonly speaker?: SpeakerRole;
  readonly start: number;
  readonly end: number;
  /** How many times it has been corrected (0: as first sent). */
  readonly revision: number;
  /** When the newest version reached us. */
  readonly receivedAt: number;
}

/**
 * What a court does with the words of speech a mask hides: air a marker in their place or nothing
 * at all, and whether a distorted voice's words count as hidden.
 */
export interface CaptionPolicy {
  readonly hidden: 'marker' | 'drop';
  readonly voiceHidesText: boolean;
}

/** Until a court says otherwise: hidden words air as the marker; a distorted voice's words air. */
export const DEFAULT_CAPTION_POLICY: CaptionPolicy = { hidden: 'marker', voiceHidesText: false };

/** What replaces hidden words, per caption language (a language without its marker does not compile). */
export const HIDDEN_WORDS: Readonly<Record<CaptionLanguage, string>> = { 'zh-CN': '［声音已屏蔽］', en: '[inaudible]' };

/** A cue as it airs: its words (or the marker in their place) and who spoke. */
export type AiredCue = Pick<Cue, 'id' | 'lang' | 'speaker' | 'start' | 'end'> & {
  readonly text: string;
  /** Its words were hidden by a mask and the marker airs instead. */
  readonly hidden: boolean;
};

/** Whether a mask hides the words spoken under it, by its kind's declared policy and the court's. */
export function hidesText(mask: Pick<Mask, 'kind'>, policy: CaptionPolicy): boolean {
  const text = maskPolicy(mask.kind).text;
  return text === 'hide' || (text === 'court' && policy.voiceHidesText);
}

/**
 * How a cue airs under a program, or null when it must not. It airs only when its whole span is
 * on the air, touches no dumped or withdrawn span and no no-broadcast card (the gate's decision
 * over the span, as for a segment: a cue straddling an edge never airs, since its words cannot be
 * split at the edge); a mask that hides words over any part of it puts the marker in its place,
 * or drops it, as the court chose. Pure.
 */
export function airedCue(cue: Cue, program: BroadcastProgram, policy: CaptionPolicy = DEFAULT_CAPTION_POLICY): AiredCue | null {
  const span = { start: cue.start, end: cue.end };
  if (decide(program, span).action !== 'air') return null;
  const hidden = (program.masks ?? []).some((m) => maskOverlaps(m, span) && hidesText(m, policy));
  if (hidden && policy.hidden === 'drop') return null;
  return { id: cue.id, lang: cue.lang, text: hidden ? HIDDEN_WORDS[cue.lang] : cue.text, ...(cue.speaker ? { speaker: cue.speaker } : {}), start: cue.start, end: cue.end, hidden };
}

/** Control characters (a NUL, a tab, a bare CR) and the Unicode line and paragraph separators; a newline is a line break. */
const isControl = (ch: string): boolean => {
  const c = ch.codePointAt(0) as number;
  return (c < 0x20 && ch !== '\n') || (c >= 0x7f && c < 0xa0) || c === 0x2028 || c === 0x2029;
};

/**
 * Why a cue's text is refused, or null: plain text only (no markup, which a player would render,
 * and no character that could end a WebVTT cue or smuggle another), at most two lines.
 */
export function cueTextProblem(text: string): string | null {
  if (text.trim().length === 0) return 'a cue needs words';
  if (text.length > MAX_CUE_CHARS) return `a cue has at most ${MAX_CUE_CHARS} characters`;
  if (/[<>]|&[#A-Za-z0-9]+;/.test(text)) return 'a cue is plain text: no markup';
  if ([...text].some(isControl)) return 'a cue may not contain control characters';
  if (text.split('\n').length > 2) return 'a cue has at most two lines';
  if (/\n\s*\n|^\n|\n$/.test(text)) return 'a cue may not contain an empty line';
  return null;
}

/** How a speaker is named on screen, per caption language (a role or a language left out does not compile). */
export const SPEAKER_WORDS: Readonly<Record<CaptionLanguage, Readonly<Record<SpeakerRole, string>>>> = {
  'zh-CN': {
    'presiding-judge': '审判长',
    judge: '审判员',
    juror: '人民陪审员',
    clerk: '书记员',
    prosecutor: '公诉人',
    plaintiff: '原告',
    defendant: '被告',
    counsel: '代理人',
    witness: '证人',
    expert: '鉴定人',
    interpreter: '翻译',
    other: '其他',
  },
  en: {
    'presiding-judge': 'Presiding judge',
    judge: 'Judge',
    juror: 'Juror',
    clerk: 'Clerk',
    prosecutor: 'Prosecutor',
    plaintiff: 'Plaintiff',
    defendant: 'Defendant',
    counsel: 'Counsel',
    witness: 'Witness',
    expert: 'Expert',
    interpreter: 'Interpreter',
    other: 'Other',
  },
};
