import { parseSync } from 'subtitle';
import { cueTextProblem, SPEAKER_ROLES, SPEAKER_WORDS, type CaptionLanguage, type SpeakerRole } from '../domain/captions.ts';
import type { Logger } from '../domain/logger.ts';

/** One cue of a subtitle file: its times from the file's start (ms), its words, who speaks. */
export interface FileCue {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly speaker?: SpeakerRole;
}

/** A speaker as a file names it in a WebVTT voice tag: a role (`presiding-judge`) or its English words (`Presiding judge`). */
function speakerOf(name: string): SpeakerRole | undefined {
  const n = name.trim().toLowerCase();
  return SPEAKER_ROLES.find((r) => r === n || SPEAKER_WORDS.en[r].toLowerCase() === n);
}

/**
 * The cues of an SRT or WebVTT file, as a caption feed sends them: markup dropped (a voice tag
 * names the speaker), and cues Courtcast would refuse left out with the reason. Pure.
 */
export function readSubtitleFile(text: string): { cues: FileCue[]; skipped: { at: number; why: string }[] } {
  const cues: FileCue[] = [];
  const skipped: { at: number; why: string }[] = [];
  for (const node of parseSync(text)) {
    if (node.type !== 'cue') continue;
    const { start, end } = node.data;
    const voice = /<v(?:\.[^ >]*)? ([^>]+)>/.exec(node.data.text)?.[1];
    const words = node.data.text.replace(/<[^>]*>/g, '').replace(/&amp;/g, '&').replace(/&nbsp;/g, ' ').trim();
    const why = cueTextProblem(words) ?? (end <= start ? 'ends before it starts' : null);
    if (why) {
      skipped.push({ at: start, why });
      continue;
    }
    const speaker = voice ? speakerOf(voice) : undefined;
    cues.push({ start, end, text: words, ...(speaker ? { speaker } : {}) });
  }
  return { cues: cues.sort((a, b) => a.start - b.start), skipped };
}

/** Where and as whom a feed sends its cues. */
export interface CaptionFeedOptions {
  /** The server's base URL (http://host:port). */
  readonly base: string;
  readonly hearingId: string;
  /** A bearer token of a captioner (or a clerk) of the hearing's courtroom. */
  readonly token: string;
  readonly lang: CaptionLanguage;
  readonly cues: readonly FileCue[];
  /** Starts over after the last cue (the demo's endless hearing). */
  readonly loop?: boolean;
  readonly logger: Logger;
  /** Cue ids are `${idPrefix}-${round}-${index}`: unique per run, so a restarted feed corrects nothing by chance. */
  readonly idPrefix?: string;
}

/**
 * Sends a subtitle file's cues to a live hearing in real time, as a court's speech-to-text engine
 * would: each when its words have been spoken (at its end), dated on arrival with its duration.
 */
export class CaptionFeed {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private finish: (() => void) | null = null;
  private readonly prefix: string;

  constructor(private readonly o: CaptionFeedOptions) {
    this.prefix = o.idPrefix ?? `feed${Date.now().toString(36)}`;
  }

  /** Starts sending from now; resolves once the last cue is sent (never, with `loop`). */
  run(): Promise<void> {
    return new Promise((resolve) => {
      this.finish = resolve;
      this.round(0, Date.now(), resolve);
    });
  }

  private round(round: number, t0: number, done: () => void): void {
    const last = this.o.cues.at(-1);
    if (!last || this.stopped) return done();
    const next = (k: number): void => {
      if (this.stopped) return done();
      const cue = this.o.cues[k];
      if (!cue) return this.o.loop ? this.round(round + 1, t0 + last.end + 1_000, done) : done();
      this.timer = setTimeout(() => {
        void this.send(cue, `${this.prefix}-${round}-${k}`).finally(() => next(k + 1));
      }, Math.max(0, t0 + cue.end - Date.now()));
    };
    next(0);
  }

  private async send(cue: FileCue, id: string): Promise<void> {
    const body = { id, lang: this.o.lang, text: cue.text, ...(cue.speaker ? { speaker: cue.speaker } : {}), durationMs: Math.min(20_000, cue.end - cue.start) };
    try {
      const res = await fetch(`${this.o.base}/api/hearings/${encodeURIComponent(this.o.hearingId)}/captions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.o.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      });
      if (res.status !== 200) this.o.logger.warn({ hearingId: this.o.hearingId, id, status: res.status, answer: (await res.text()).slice(0, 300) }, 'a cue was refused');
    } catch (err) {
      this.o.logger.warn({ hearingId: this.o.hearingId, id, err }, 'a cue could not be sent');
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.finish?.();
  }
}
