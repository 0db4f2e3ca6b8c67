import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archivePrefix, HearingArchive } from '../../recorder/hearing-archive.ts';
import type { Manifest } from '../../recorder/manifest.ts';
import { archiveRecords, type ArchiveRecord } from '../../recorder/archive-record.ts';
import type { RecordingLog } from '../../recorder/recording-log.ts';
import { Spool } from '../../recorder/spool.ts';
import { Uploader } from '../../recorder/uploader.ts';
import { launchChromium } from '../support/browser.ts';
import { ADMIN, seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const exec = promisify(execFile);
const quiet = pino({ level: 'silent' });

/**
 * A node recorded four master segments of a hearing and died for good before uploading the third:
 * finalizing cannot finish, and says why. An admin on the archive page sees which part it waits
 * for and declares it lost; the archive then completes without it, verifies (naming the lost
 * part), and the recording log names the hole. Nobody else may declare it (the API says so), nor
 * declare anything of an archive that is not waiting for a part.
 */
describe('archive: a part declared lost', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'cc-lost-'));
  let s: TestServer;
  let browser: Browser | null = null;
  let hearingId = '';
  const keys = [0, 1, 2, 3].map((i) => `master/m0001/${String(i).padStart(6, '0')}.ts`);
  const lostKey = keys[2] as string;
  const epoch = Date.parse('2026-12-01T09:00:00Z');

  beforeAll(async () => {
    s = await startTestServer();
    hearingId = (await seedHearing(s)).hearingId;
    const segs = path.join(work, 'segs');
    mkdirSync(segs);
    await exec('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=64x36:r=10', '-f', 'lavfi', '-i', 'sine=f=440', '-t', '4', '-c:v', 'libx264', '-g', '10', '-c:a', 'aac', '-f', 'segment', '-segment_time', '1', path.join(segs, 's%d.ts')]);
    const files = readdirSync(segs).sort().slice(0, 4);
    // The node that recorded them, through the shared state store and archive store.
    const spool = new Spool(path.join(work, 'a', 'spool'));
    const uploader = new Uploader({ store: s.cc.archiveStore, spool, logger: quiet });
    const a = await HearingArchive.open({ hearingId, journalFile: path.join(work, 'a', 'journal.jsonl'), state: s.cc.state, logger: quiet, spool, enqueue: (i) => uploader.add(i), key: s.cc.signingKey, now: Date.now });
    for (const [i, f] of files.entries()) {
      await a.addFile({ kind: 'master', key: keys[i] as string, run: 1, index: i, durationSec: 1, captureStart: epoch + i * 1_000, captureEnd: epoch + (i + 1) * 1_000 }, path.join(segs, f));
    }
    expect(await a.sync()).toBe(true);
    await uploader.idle(20_000);
    await uploader.close();
    // Its third upload never happened: the object is nowhere.
    await s.cc.archiveStore.delete(`${archivePrefix(hearingId)}/${lostKey}`);
    await s.cc.state.put('archives', hearingId, { hearingId, status: 'recording', startedAt: new Date(epoch).toISOString(), finalizedAt: null, entries: 0, bytes: 0, files: {}, masterSegments: 0, airedSegments: 0, masterFrom: null, masterTo: null } satisfies ArchiveRecord);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
    await rm(work, { recursive: true, force: true });
  });

  const lost = (body: unknown, token?: string) => s.api<{ keys?: string[]; code?: string; detail?: string }>('POST', `/api/archive/hearings/${hearingId}/lost-parts`, body, token);

  it('refuses to declare anything lost before finalizing has shown something missing', async () => {
    const early = await lost({ reason: 'node-a was destroyed' });
    expect(early.status).toBe(409);
    expect(early.type).toContain('application/problem+json');
  });

  it('finalizing names the missing part and keeps trying', async () => {
    await s.cc.recorder.finalize(hearingId);
    const rec = await archiveRecords(s.cc.state).get(hearingId);
    expect(rec?.status).toBe('finalizing');
    expect(rec?.error).toContain(lostKey);
  });

  it('lets only a supervisor or admin declare it, with a reason', async () => {
    for (const [username, role] of [['clerk-l', 'clerk'], ['archivist-l', 'archivist']] as const) {
      expect((await s.api('POST', '/api/users', { username, password: `${username}-password`, roles: [role], ...(role === 'clerk' ? { courtroomIds: [] } : {}) })).status).toBe(201);
      expect((await lost({ reason: 'gone' }, await s.login(username, `${username}-password`))).status).toBe(403);
    }
    for (const bad of [{}, { reason: '   ' }, { reason: 'x', keys: [lostKey] }, 'not json']) expect((await lost(bad)).status).toBe(400);
    expect((await archiveRecords(s.cc.state).get(hearingId))?.status).toBe('finalizing');
  });

  it('shows an admin on the archive page what finalizing waits for, and takes the declaration there', async () => {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${s.base}/console/archive.html`);
    await page.fill('#username', ADMIN.username);
    await page.fill('#password', ADMIN.password);
    await page.click('#login-form button');
    await page.waitForSelector('#search-view:not([hidden])');
    await page.fill('#q-case', 'T-1');
    await page.click('#search-form button');
    await page.click('#results tbody tr');
    await page.waitForSelector('#stuck:not([hidden])');
    expect(await page.textContent('#stuck-why')).toContain(lostKey);
    await page.fill('#lost-reason', 'node-a was destroyed with its disk (ticket 4411)');
    await page.click('#lost-form button');
    await page.waitForFunction(() => document.getElementById('lost-result')?.textContent?.startsWith('Declared lost'), undefined, { timeout: 10_000 });
    expect(await page.textContent('#lost-result')).toContain(lostKey);
    expect(pageErrors).toEqual([]);
  });

  it('completes without the part once it is declared lost, and says so everywhere', async () => {
    const rec = await waitFor(async () => {
      const r = await archiveRecords(s.cc.state).get(hearingId);
      return r?.status === 'complete' ? r : null;
    }, 'the archive to complete', 60_000);
    expect(rec).toMatchObject({ masterSegments: 3, lostParts: 1 });
    await s.cc.recorder.uploader.idle(20_000);

    // Verified: every object there matches, and the one that is not there is named as lost.
    const v = await s.api<{ ok: boolean; findings: unknown[]; lost: { key: string }[] }>('POST', `/api/archive/hearings/${hearingId}/verify`);
    expect(v.body).toMatchObject({ ok: true, findings: [] });
    expect(v.body.lost.map((l) => l.key)).toEqual([lostKey]);
    // The signed manifest still lists all four as recorded, then the declaration.
    const manifest = JSON.parse((await s.cc.archiveStore.get(`${archivePrefix(hearingId)}/manifest.json`))?.toString() ?? 'null') as Manifest;
    expect(manifest.seal.final).toBe(true);
    expect(manifest.entries.filter((e) => e.kind === 'master').map((e) => e.key)).toEqual(keys);
    const declaration = manifest.entries.find((e) => e.kind === 'lost');
    expect(declaration?.lostKeys).toEqual([lostKey]);
    const text = JSON.parse((await s.cc.archiveStore.get(`${archivePrefix(hearingId)}/${declaration?.key}`))?.toString() ?? 'null') as { reason: string; declaredBy: { username: string } };
    expect(text).toMatchObject({ reason: 'node-a was destroyed with its disk (ticket 4411)', declaredBy: { username: 'admin' } });

    // The record page: the hole, with its cause; the trail: who declared it.
    const page = await s.api<{ recording: RecordingLog; audit: { action: string; params: { keys?: string[] } }[] }>('GET', `/api/archive/hearings/${hearingId}`);
    expect(page.body.recording.gaps.map((g) => [g.from, g.to, g.cause])).toEqual([[epoch + 2_000, epoch + 3_000, 'part lost']]);
    expect(page.body.audit.find((e) => e.action === 'archive-parts-declared-lost')?.params.keys).toEqual([lostKey]);

    // So does the archived record, made after the declaration.
    const archived = JSON.parse((await s.cc.archiveStore.get(`${archivePrefix(hearingId)}/record.json`))?.toString() ?? 'null') as { recording: RecordingLog; audit: { action: string }[] };
    expect(archived.recording.gaps.map((g) => g.cause)).toEqual(['part lost']);
    expect(archived.audit.map((e) => e.action)).toContain('archive-parts-declared-lost');

    // The MP4 is the three parts there are.
    const mp4 = path.join(work, 'master.mp4');
    const body = await s.cc.archiveStore.get(`${archivePrefix(hearingId)}/master.mp4`);
    expect(body).not.toBeNull();
    await writeFile(mp4, body as Buffer);
    const probe = await exec('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', mp4]);
    expect(Number(probe.stdout.trim())).toBeGreaterThan(2.5);
    expect(Number(probe.stdout.trim())).toBeLessThan(3.5);

    // Nothing more can be declared of a finished archive.
    expect((await lost({ reason: 'again' })).status).toBe(409);
  });
});
