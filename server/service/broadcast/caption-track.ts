import { MAX_CUE_MS, type CaptionLanguage, type Cue } from '../../domain/captions.ts';
import { cueCodec } from '../../domain/codecs.ts';
import type { CueRequest } from '../../domain/cue-request.ts';
import { CourtcastError } from '../../domain/errors.ts';
import type { Logger } from '../../domain/logger.ts';
import type { StateStore } from '../../store/state-store.ts';
import { LatestWriter } from '../../store/latest-writer.ts';

/** A cue may be dated this far ahead of our clock (a feed's clock a little fast). */
const FUTURE_SLACK_MS = 1_000;
/** Beyond the delay, a cue this old is refused: no segment it belongs to is still to come. */
const FAR_PAST_MS = 5 * 60_000;
/** Most cues (versions included) one hearing takes: about one every two seconds for a day. */
const MAX_ENTRIES = 50_000;

/** The log of everything a hearing's feeds sent, every version in arrival order: the transcript with its corrections. */
export const captionLog = (hearingId: string): string => `captions:${hearingId}`;


/** A cue as a feed is answered: its capture times as ISO instants. */
export type CueView = Omit<Cue, 'start' | 'end' | 'receivedAt'> & { readonly start: string; readonly end: string; readonly receivedAt: string };

/** A cue as answered to its feed. Pure. */
export function cueView(cue: Cue): CueView {
  const iso = (ms: number) => new Date(ms).toISOString();
  return { ...cue, start: iso(cue.start), end: iso(cue.end), receivedAt: iso(cue.receivedAt) };
}

/**
 * A hearing's transcript as its caption log holds it: every version received, in arrival order,
 * with capture times as ISO instants (a malformed line is left out). What the archive's record
 * carries.
 */
export async function transcriptOf(state: StateStore, hearingId: string): Promise<CueView[]> {
  return (await state.readLog(captionLog(hearingId))).flatMap((line) => {
    const cue = parseLogged(line);
    return cue ? [cueView(cue)] : [];
  });
}

/** A logged cue, or null when the line is not one. */
function parseLogged(line: string): Cue | null {
  try {
    const parsed = cueCodec.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** What receiving a cue answers. */
export interface CueAnswer {
  readonly cue: Cue;
  /** Whether any of it is still to be released (it can still air, and be corrected). */
  readonly inWindow: boolean;
  /** Whether the log has it already (it is kept either way and retried). */
  readonly recorded: boolean;
}

export interface CaptionTrackOptions {
  readonly hearingId: string;
  /** The languages the court publishes: a cue in another is refused, not kept where nobody sees it. */
  readonly languages: readonly CaptionLanguage[];
  readonly state: StateStore;
  readonly delayMs: number;
  /** Where the public timeline has been released to: a cue before it has aired, or never will. */
  readonly releasedUntil: () => number;
  readonly now: () => number;
  readonly logger: Logger;
}

/**
 * One live hearing's captions: the newest version of every cue, which the delay line reads at each
 * release, and the log of every version received. A cue takes effect here at once; the log is
 * written behind it and retried while the store is down, so a feed never waits on the store and
 * no cue is lost to an outage.
 */
export class CaptionTrack {
  private readonly cues = new Map<string, Cue>();
  private readonly entries: string[] = [];
  private saved = 0;
  /** Entries the log held before this track took over (counted towards the bound). */
  private restored = 0;
  private readonly writer: LatestWriter<number>;

  constructor(private readonly o: CaptionTrackOptions) {
    this.writer = new LatestWriter(
      async (upTo) => {
        const todo = this.entries.slice(this.saved, upTo);
        if (todo.length > 0) await o.state.appendAll(todo.map((entry) => ({ log: captionLog(o.hearingId), entry })));
        this.saved = Math.max(this.saved, upTo);
      },
      { onFault: (err) => (err ? o.logger.error({ hearingId: o.hearingId, err }, 'could not log captions; retrying') : o.logger.info({ hearingId: o.hearingId }, 'captions are logged again')) },
    );
  }

  /**
   * Takes in what the log already holds (a restart or a takeover), behind anything received
   * meanwhile: of two versions of a cue the one received later stands.
   */
  async restore(): Promise<void> {
    const raw = await this.o.state.readLog(captionLog(this.o.hearingId));
    for (const line of raw) {
      const cue = parseLogged(line);
      if (!cue) {
        this.o.logger.error({ hearingId: this.o.hearingId }, 'a logged cue is malformed; left out');
        continue;
      }
      const known = this.cues.get(cue.id);
      if (!known || known.receivedAt < cue.receivedAt) this.cues.set(cue.id, cue);
    }
    // What the log held is not appended again; what came meanwhile is still to be written.
    this.restored = raw.length;
  }

  /** Every cue in its newest version. */
  all(): readonly Cue[] {
    return [...this.cues.values()];
  }

  /** Takes a cue (or a correction of one) from a caption feed; refuses what cannot be a caption now. */
  async receive(req: CueRequest): Promise<CueAnswer> {
    if (!this.o.languages.includes(req.lang)) throw new CourtcastError('VALIDATION_FAILED', `this court publishes no captions in ${req.lang}: only ${this.o.languages.join(', ')}`);
    const now = this.o.now();
    const end = req.end === undefined ? now : Date.parse(req.end);
    const start = req.start === undefined ? end - (req.durationMs as number) : Date.parse(req.start);
    if (end <= start) throw new CourtcastError('VALIDATION_FAILED', 'a cue must end after it starts');
    if (end - start > MAX_CUE_MS) throw new CourtcastError('VALIDATION_FAILED', `a cue lasts at most ${MAX_CUE_MS / 1000} s`);
    if (end > now + FUTURE_SLACK_MS) throw new CourtcastError('VALIDATION_FAILED', 'a cue cannot end in the future');
    if (start < now - this.o.delayMs - FAR_PAST_MS) throw new CourtcastError('VALIDATION_FAILED', 'a cue that old belongs to no segment still to come');
    const known = this.cues.get(req.id);
    const releasedUntil = this.o.releasedUntil();
    if (known) {
      if (known.lang !== req.lang) throw new CourtcastError('VALIDATION_FAILED', 'a correction keeps its cue’s language');
      // Words already released cannot be taken back from viewers: the record keeps both versions,
      // but the public keeps what it saw.
      if (known.start < releasedUntil) throw new CourtcastError('CONFLICT', 'the cue has been released: it can no longer be corrected');
    }
    if (this.restored + this.entries.length >= MAX_ENTRIES) throw new CourtcastError('CONFLICT', 'this hearing has taken as many cues as it can');
    const cue: Cue = { id: req.id, lang: req.lang, text: req.text.trim(), ...(req.speaker ? { speaker: req.speaker } : {}), start, end, revision: known ? known.revision + 1 : 0, receivedAt: now };
    this.cues.set(cue.id, cue);
    this.entries.push(JSON.stringify(cue));
    const recorded = await this.writer.submit(this.entries.length, 1_000);
    return { cue, inWindow: end > releasedUntil, recorded };
  }

  /** Gives the store a bounded last chance for what is not yet logged. */
  async close(): Promise<void> {
    await this.writer.flush(2_000);
    this.writer.close();
  }
}
