import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { PUBLIC_SLATES, SlateLibrary } from '../../server/delay/slates.ts';
import { decodeCounters } from '../support/public-feed.ts';

describe('the slate cache shared by several servers', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lets two servers render the same slates at once, and leaves every slate whole with no half-written file', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cc-slate-cache-'));
    const ladder = [{ name: '144p', height: 144, videoKbps: 150, audioKbps: 48 }];
    const make = () => new SlateLibrary({ cacheDir: dir, ladder, segmentSeconds: 1, fps: 15, ffmpegPath: 'ffmpeg', logger: pino({ level: 'silent' }) });
    const [a, b] = [make(), make()];
    // Before the fix both wrote one temporary name: the second rename found it gone (ENOENT).
    await Promise.all([a.prepare(), b.prepare()]);
    for (const kind of PUBLIC_SLATES) {
      const frames = await decodeCounters(await readFile(a.file(kind, '144p')));
      expect(frames.length, kind).toBeGreaterThanOrEqual(14);
      // A slate carries no counter: it is a card, not a captured frame.
      expect(frames.every((c) => c === 0), kind).toBe(true);
    }
    const left = (await readdir(path.dirname(path.dirname(a.file('standby', '144p'))), { recursive: true })).filter((f) => String(f).includes('.part'));
    expect(left).toEqual([]);
  });
});
