/**
 * Says what of the sound a hearing's archive aired lay outside its program, from the as-aired
 * files and the record alone, for archives finalized before their records said so (issue 22):
 *
 *   npx tsx scripts/sound-exposure.ts <hearing directory> [--json]
 *
 * The directory is a hearing's folder of a local archive (manifest.json, record.json, aired/…).
 * Nothing is changed. Exit status: 0 when nothing aired outside the program, 1 when something did,
 * 2 on bad usage or an archive that cannot be read.
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { listenToAired } from '../recorder/aired-sound.ts';
import { parseManifest } from '../recorder/verify.ts';
import type { BroadcastProgram } from '../server/domain/program.ts';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { json: { type: 'boolean' }, ffmpeg: { type: 'string' } } });
  const dir = positionals[0];
  if (!dir) {
    console.error('usage: sound-exposure <hearing directory> [--json] [--ffmpeg PATH]');
    return 2;
  }
  const manifest = parseManifest(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
  const record = JSON.parse(await readFile(path.join(dir, 'record.json'), 'utf8')) as { program?: BroadcastProgram | null };
  if (!record.program) {
    console.error('the record holds no program to hold the sound to');
    return 2;
  }
  const rungs = [...new Set(manifest.entries.flatMap((e) => (e.kind === 'aired' && e.rung ? [e.rung] : [])))];
  const work = await mkdtemp(path.join(os.tmpdir(), 'courtcast-listen-'));
  try {
    // The top rung is the one whose slots carry the largest files: the most picture.
    const size = (rung: string) => manifest.entries.filter((e) => e.kind === 'aired' && e.rung === rung).reduce((n, e) => n + e.size, 0);
    const topRung = [...rungs].sort((a, b) => size(b) - size(a))[0] ?? '';
    let copies = 0;
    const report = await listenToAired(manifest.entries, record.program, {
      rungs,
      topRung,
      // A copy, since listening deletes what it has read.
      copy: async (key) => {
        const dest = path.join(work, `${copies++}.ts`);
        await copyFile(path.join(dir, key), dest);
        return dest;
      },
      ffmpegPath: values.ffmpeg ?? 'ffmpeg',
      logger: pino({ level: 'warn' }),
      hearingId: path.basename(path.resolve(dir)),
    });
    if (values.json) console.log(JSON.stringify(report, null, 1));
    else {
      console.log(`${report.listenedSlots} slots listened to; ${(report.exposedMs / 1000).toFixed(2)} s of sound aired outside the program`);
      for (const x of report.exposed) console.log(`${new Date(x.from).toISOString()} – ${new Date(x.to).toISOString()}: ${(x.ms / 1000).toFixed(2)} s on ${x.rung} (slot ${x.seq})`);
    }
    return report.exposed.length === 0 ? 0 : 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  },
);
