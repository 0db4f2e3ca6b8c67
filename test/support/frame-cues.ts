import type { ShownFrame } from './counter-probe.ts';
import { FRAME_MS, type TestEncoder } from './encoder.ts';
import type { TestServer } from './server.ts';

/** A cue sent over a known run of the test encoder's frames: its text and its first and last frame's counters. */
export interface FrameCue {
  readonly text: string;
  readonly first: number;
  readonly last: number;
  /** Sent as a draft first, then corrected to `text`. */
  readonly drafted?: boolean;
}

/** The words every draft starts with: a viewer must never be shown one. */
export const DRAFT = 'draft';

/**
 * Captions a hearing from the encoder's own frames, every `everyMs`: a cue over the newest 0.8 s
 * the ingest has, from the capture instant of its first frame to that of the frame after its last,
 * as the ingest dated them, so the frames a player paints with each cue showing can be judged.
 * With `draftEvery`, every so many cues go first as a draft (`DRAFT …`) and are corrected at once,
 * as a stenographer fixes a word: only the correction may ever show.
 */
export function sendFrameCues(s: TestServer, hearingId: string, courtroomId: string, encoder: TestEncoder, o: { everyMs?: number; draftEvery?: number } = {}): { cues: FrameCue[]; drafted: number; refused: string[]; skipped: number; stop: () => void } {
  const cues: FrameCue[] = [];
  /** Why cues were refused (status and problem), and how often the ingest had no newer frames to caption: a failing test says which. */
  const refused: string[] = [];
  const out = { cues, drafted: 0, refused, skipped: 0, stop: () => clearInterval(timer) };
  let sent = 0;
  const counterAt = (ts: number) => encoder.firstFrame + Math.round(ts / FRAME_MS);
  const send = async () => {
    const c = s.cc.ingest.clockOf(courtroomId);
    if (!c?.latest) return void out.skipped++;
    const last = counterAt(c.latest) - 1;
    const first = last - 23;
    // A frame's timestamp is whole milliseconds in the stream (33, 67, 100…), a third of a
    // millisecond either side of k × 33.33: rounded up it names that frame (the clock takes the
    // frame at or before a time), and the newest can be no later than the newest seen. Unrounded,
    // a third of the sends fell past the newest frame and were skipped (ci84 took 3 cues in 30 s).
    const tsOf = (counter: number) => Math.min(Math.ceil((counter - encoder.firstFrame) * FRAME_MS), c.latest as number);
    const [start, end] = [c.captureOf(tsOf(first)), c.captureOf(tsOf(last + 1))];
    if (start === null || end === null) return void out.skipped++;
    const text = `frames ${first} to ${last}`;
    const cue = async (words: string) => {
      const res = await s.api('POST', `/api/hearings/${hearingId}/captions`, { id: `f${first}`, lang: 'en', text: words, start: new Date(start).toISOString(), end: new Date(end).toISOString() });
      if (res.status !== 200) refused.push(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      return res;
    };
    const drafted = o.draftEvery !== undefined && sent++ % o.draftEvery === 0 && (await cue(`${DRAFT} ${text}`)).status === 200;
    if (drafted) out.drafted++;
    if ((await cue(text)).status === 200) cues.push({ text, first, last, ...(drafted ? { drafted } : {}) });
  };
  const timer = setInterval(() => void send(), o.everyMs ?? 1_000);
  return out;
}

/** How a painted cue lined up with its frames: in frames (counters) and in paint time (ms), at each edge. */
export interface CueAlignment {
  readonly cue: FrameCue;
  /** The first and last frame painted with the cue showing. */
  readonly shownFirst: number;
  readonly shownLast: number;
  /** When the cue first showed minus when its first frame was painted (ms): early is negative. */
  readonly onMs: number;
  /** When the cue stopped showing minus when the frame after its last was painted (ms). */
  readonly offMs: number;
}

/**
 * Each cue whose frames the page painted in full (with some before and after), and how it showed
 * against them; cues it painted only in part are left out. A cue that never showed has no
 * alignment and is listed in `unseen`.
 */
export function alignCues(frames: readonly ShownFrame[], cues: readonly FrameCue[]): { aligned: CueAlignment[]; unseen: FrameCue[] } {
  const painted = frames.filter((f) => f.counter > 0);
  const aligned: CueAlignment[] = [];
  const unseen: FrameCue[] = [];
  for (const cue of cues) {
    const during = painted.filter((f) => f.counter >= cue.first && f.counter <= cue.last);
    if (during.length < 20 || !painted.some((f) => f.counter < cue.first) || !painted.some((f) => f.counter > cue.last)) continue;
    const k = painted.findIndex((f) => f.cues?.includes(cue.text));
    if (k < 0) {
      unseen.push(cue);
      continue;
    }
    const gone = painted.findIndex((f, i) => i > k && !f.cues?.includes(cue.text));
    const shown = painted.slice(k, gone < 0 ? undefined : gone);
    const frameOn = painted.find((f) => f.counter >= cue.first)!;
    const frameOff = painted.find((f) => f.counter > cue.last)!;
    aligned.push({
      cue,
      shownFirst: Math.min(...shown.map((f) => f.counter)),
      shownLast: Math.max(...shown.map((f) => f.counter)),
      onMs: painted[k]!.at - frameOn.at,
      offMs: (gone < 0 ? painted.at(-1)!.at : painted[gone]!.at) - frameOff.at,
    });
  }
  return { aligned, unseen };
}
