import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CaptionLanguage } from '../../server/domain/captions.ts';
import { captionLog, CaptionTrack } from '../../server/service/broadcast/caption-track.ts';
import { MemoryStateStore } from '../../server/store/memory-state-store.ts';
import { waitFor } from '../support/wait.ts';

/** A real memory store whose log writes can be switched off, as Redis going away would. */
class FlakyStore extends MemoryStateStore {
  down = false;
  override async appendAll(entries: readonly { log: string; entry: string }[]): Promise<void> {
    if (this.down) throw new Error('store down');
    return super.appendAll(entries);
  }
}

const H = 'hg_captiontest0001';
const logger = pino({ level: 'silent' });

function track(state: MemoryStateStore, now: { t: number }, releasedUntil = { t: 0 }, languages: readonly CaptionLanguage[] = ['en', 'zh-CN']) {
  return new CaptionTrack({ hearingId: H, languages, state, delayMs: 10_000, releasedUntil: () => releasedUntil.t, now: () => now.t, logger });
}

describe('a hearing’s caption track', () => {
  it('takes cues at once while the store is down, logs them in order when it is back, and a new track reads them back', async () => {
    const store = new FlakyStore();
    const now = { t: 1_000_000 };
    const t = track(store, now);
    store.down = true;
    const first = await t.receive({ id: 'a', lang: 'en', text: 'All rise.', durationMs: 1_500 });
    expect(first).toMatchObject({ recorded: false, inWindow: true, cue: { start: 998_500, end: 1_000_000, revision: 0 } });
    expect(t.all().map((c) => c.text)).toEqual(['All rise.']);
    now.t += 500;
    await t.receive({ id: 'a', lang: 'en', text: 'All rise!', durationMs: 2_000 });
    store.down = false;
    await waitFor(async () => (await store.readLog(captionLog(H))).length === 2, 'the log to take both versions', 10_000, 50);
    const again = track(store, now);
    await again.restore();
    expect(again.all()).toEqual([expect.objectContaining({ id: 'a', text: 'All rise!', revision: 1 })]);
    await t.close();
  });

  it('refuses a cue in a language the court does not publish', async () => {
    const t = track(new MemoryStateStore(), { t: 5_000_000 }, { t: 0 }, ['zh-CN']);
    await expect(t.receive({ id: 'e', lang: 'en', text: 'All rise.', durationMs: 1_000 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/no captions in en/) });
    expect(t.all()).toEqual([]);
    await t.close();
  });

  it('refuses what cannot be a caption now, and a correction once its cue is released', async () => {
    const now = { t: 5_000_000 };
    const released = { t: 4_999_000 };
    const t = track(new MemoryStateStore(), now, released);
    const refused = async (req: Parameters<CaptionTrack['receive']>[0]) => t.receive(req).then(() => null, (err: { code: string; message: string }) => `${err.code}: ${err.message}`);
    expect(await refused({ id: 'f', lang: 'en', text: 'x', start: new Date(now.t + 500).toISOString(), end: new Date(now.t + 2_000).toISOString() })).toMatch(/VALIDATION_FAILED: .*future/);
    expect(await refused({ id: 'p', lang: 'en', text: 'x', start: new Date(now.t - 20 * 60_000).toISOString(), end: new Date(now.t - 20 * 60_000 + 1_000).toISOString() })).toMatch(/VALIDATION_FAILED: .*old/);
    expect(await refused({ id: 'l', lang: 'en', text: 'x', start: new Date(now.t - 30_000).toISOString(), end: new Date(now.t).toISOString() })).toMatch(/at most 20 s/);
    expect(await refused({ id: 'b', lang: 'en', text: 'x', start: new Date(now.t - 1_000).toISOString(), end: new Date(now.t - 2_000).toISOString() })).toMatch(/after it starts/);
    // Sent while its words were still to be released; corrected once they were.
    await t.receive({ id: 'c', lang: 'en', text: 'Please be seated.', durationMs: 800 });
    expect(await refused({ id: 'c', lang: 'zh-CN', text: '请坐。', durationMs: 800 })).toMatch(/language/);
    released.t = now.t;
    expect(await refused({ id: 'c', lang: 'en', text: 'Please sit.', durationMs: 800 })).toMatch(/CONFLICT: .*released/);
    expect(t.all().map((c) => c.text)).toEqual(['Please be seated.']);
    await t.close();
  });
});
