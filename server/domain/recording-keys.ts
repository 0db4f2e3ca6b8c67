/**
 * The names of a hearing's archived objects that may be handed out: one place, so the replay's
 * route, the archivist's routes and the catalogue cannot drift apart (the master is never here:
 * it goes out only behind an unsealing order, by its own pattern). Pure.
 */
import { CAPTION_LANGUAGES } from './captions.ts';

/** A caption rendition's object below a recording (`subtitles/<lang>/index.m3u8`, `…/<seq>.vtt`). */
const SUBTITLE_OBJECT = `subtitles/(?:${CAPTION_LANGUAGES.join('|')})/(?:index\\.m3u8|\\d{1,9}\\.vtt)`;

/**
 * An object of the as-aired recording, below its folder (`aired/`): the master playlist, a rung's
 * playlist or segment, a caption rendition's playlist or WebVTT.
 */
export const AIRED_OBJECT = new RegExp(`^(?:index\\.m3u8|[a-z0-9_-]{1,16}/(?:index\\.m3u8|\\d{1,9}\\.ts)|${SUBTITLE_OBJECT})$`);

/** The archive's transcript files, one WebVTT per caption language (recorder/transcript.ts). */
export const TRANSCRIPT_FILES = CAPTION_LANGUAGES.map((lang) => `transcript-${lang}.vtt`);

/** The captions the public was shown, merged per language on the as-aired clock (recorder/aired-captions.ts). */
export const AIRED_CAPTIONS_FILE = 'aired-captions.json';

/** The record's files: what the archivist downloads beside the recordings. */
export const RECORD_FILES = ['record.json', 'manifest.json', AIRED_CAPTIONS_FILE, ...TRANSCRIPT_FILES] as const;

/** What an archivist may download by name (the master MP4 behind an order covering all of it). */
export const DOWNLOADS = ['aired.mp4', 'master.mp4', ...RECORD_FILES] as [string, ...string[]];

/** Whether an archived object is open (the as-aired recording and the record), never the master. */
export const isOpenObject = (key: string): boolean =>
  (key.startsWith('aired/') && AIRED_OBJECT.test(key.slice('aired/'.length))) || key === 'aired.mp4' || (RECORD_FILES as readonly string[]).includes(key);
