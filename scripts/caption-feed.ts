/**
 * Captions a live hearing from a subtitle file, in real time, as a court's speech-to-text engine or
 * stenographer would: each cue is sent when its words have been spoken, dated on arrival.
 *
 *   npx tsx scripts/caption-feed.ts --server http://localhost:8080 --hearing hg_… --file hearing.srt \
 *     (--token TOKEN | --user steno --password …) [--lang en|zh-CN] [--loop]
 *
 * The account is a captioner (or a clerk) of the hearing's courtroom; its court must publish
 * subtitles in the language. Exit status: 0 once the file is sent, 2 on bad usage.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { CAPTION_LANGUAGES, type CaptionLanguage } from '../server/domain/captions.ts';
import { CaptionFeed, readSubtitleFile } from '../server/demo/caption-feed.ts';

async function tokenOf(server: string, user: string, password: string): Promise<string> {
  const res = await fetch(`${server}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password }) });
  if (res.status !== 200) throw new Error(`signing in as ${user} failed: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { server: { type: 'string' }, hearing: { type: 'string' }, file: { type: 'string' }, token: { type: 'string' }, user: { type: 'string' }, password: { type: 'string' }, lang: { type: 'string', default: 'en' }, loop: { type: 'boolean' } },
  });
  const lang = values.lang as CaptionLanguage;
  if (!values.server || !values.hearing || !values.file || !(values.token || (values.user && values.password)) || !CAPTION_LANGUAGES.includes(lang)) {
    process.stderr.write('usage: caption-feed --server URL --hearing ID --file FILE.srt|.vtt (--token T | --user U --password P) [--lang en|zh-CN] [--loop]\n');
    return 2;
  }
  const { cues, skipped } = readSubtitleFile(await readFile(values.file, 'utf8'));
  for (const s of skipped) process.stderr.write(`skipped the cue at ${(s.at / 1000).toFixed(3)} s: ${s.why}\n`);
  const server = values.server.replace(/\/$/, '');
  const token = values.token ?? (await tokenOf(server, values.user!, values.password!));
  const feed = new CaptionFeed({ base: server, hearingId: values.hearing, token, lang, cues, loop: values.loop === true, logger: pino({ level: 'info' }) });
  process.on('SIGINT', () => feed.stop());
  process.stdout.write(`sending ${cues.length} cues to ${values.hearing}${values.loop ? ', over and over' : ''}\n`);
  await feed.run();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
