import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { appendEntry, emptyTimeline, type EntrySource, type PublicTimeline } from '../../server/delay/playlist.ts';
import { PublicWriter, type DelayLineState } from '../../server/delay/public-writer.ts';
import { LocalObjectStore } from '../../server/store/local-object-store.ts';
import { keyIdOf } from '../../server/domain/key-id.ts';
import type { LiveCheckpoint } from '../../server/domain/live-checkpoint.ts';
import { checkCheckpoint, importArchiveKey, segmentMatches } from '../../player/seal-check.js';

const court = generateKeyPairSync('ed25519');

/** The real local store, with writes that can fail as a full or read-only disk makes them. */
class FailingStore extends LocalObjectStore {
  refuse: 'nothing' | 'media' | 'everything' = 'nothing';
  /** Refuses the next WebVTT file only (a store that fails one write). */
  refuseNextCaptions = false;
  refuseCheckpoint = false;
  /** Keys written whole, in order. */
  readonly written: string[] = [];
  override async put(key: string, body: Buffer | string): Promise<void> {
    if (this.refuseCheckpoint && key.endsWith('checkpoint.json')) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    if (this.refuse === 'everything') throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    if (this.refuseNextCaptions && key.endsWith('.vtt')) {
      this.refuseNextCaptions = false;
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    }
    await super.put(key, body);
    this.written.push(key);
  }
  override async putFile(key: string, source: string): Promise<void> {
    if (this.refuse !== 'nothing') throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    await super.putFile(key, source);
    this.written.push(key);
  }
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'courtcast-writer-'));
  dirs.push(dir);
  const store = new FailingStore(path.join(dir, 'public'));
  const media = path.join(dir, 'media.ts');
  writeFileSync(media, 'program media');
  const substituted: number[] = [];
  const saved: DelayLineState[] = [];
  const writer = new PublicWriter({
    hearingId: 'hg_writertest0001',
    publicStore: store,
    publicPrefix: 'hearings/hg_writertest0001',
    rungs: ['a', 'b'],
    languages: ['en'],
    window: 30,
    segmentSeconds: 2,
    slates: { file: () => '/nonexistent', standby: (r) => Buffer.from(`standby ${r}`), card: () => [{ text: 'Please stand by' }], cameraUnavailable: { text: 'Camera unavailable' } },
    persist: async (s) => void saved.push(s),
    onSubstitute: (seq) => substituted.push(seq),
    checkpoints: { keyId: keyIdOf(court.publicKey), sign: (data) => sign(null, data, court.privateKey).toString('base64') },
    logger: pino({ level: 'silent' }),
  });
  let timeline: PublicTimeline = emptyTimeline();
  const program: EntrySource = { kind: 'program', run: 1 };
  /** Appends a slot and releases it through the writer, as the delay line does. */
  const next = async () => {
    const a = appendEntry(timeline, { durationSec: 2, programDateTime: Date.now(), source: program }, 30);
    timeline = a.timeline;
    return writer.release(a.entry.seq, { a: media, b: media }, { en: `WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nslot ${a.entry.seq}\n` }, { releasedUntil: 0, timeline }, []);
  };
  const playlist = async () => (await store.get('hearings/hg_writertest0001/a/index.m3u8'))?.toString() ?? '';
  const listedFiles = async () => (await playlist()).split('\n').filter((l) => l.endsWith('.ts'));
  return { store, writer, next, playlist, listedFiles, substituted, saved, dir };
}

describe('public writer: publish, then list', () => {
  it('lists a slot only after its files are stored', async () => {
    const w = setup();
    expect(await w.next()).toBe('own');
    expect(await w.listedFiles()).toEqual(['0.ts']);
    expect((await w.store.get('hearings/hg_writertest0001/a/0.ts'))?.toString()).toBe('program media');
    expect(w.writer.fault).toBeNull();
  });

  it('publishes each slot’s captions beside its media, listed by the same timeline', async () => {
    const w = setup();
    await w.next();
    await w.next();
    expect((await w.store.get('hearings/hg_writertest0001/subtitles/en/1.vtt'))?.toString()).toContain('slot 1');
    const subs = (await w.store.get('hearings/hg_writertest0001/subtitles/en/index.m3u8'))?.toString() ?? '';
    expect(subs.split('\n').filter((l) => !l.startsWith('#') && l.length > 0)).toEqual(['0.vtt', '1.vtt']);
    expect(subs.replace(/\.vtt/g, '.ts')).toBe(await w.playlist());
  });

  it('airs the standby slate from memory when the store refuses the media', async () => {
    const w = setup();
    await w.next();
    w.store.refuse = 'media';
    expect(await w.next()).toBe('standby');
    expect(w.substituted).toEqual([1]);
    expect((await w.store.get('hearings/hg_writertest0001/b/1.ts'))?.toString()).toBe('standby b');
    expect(await w.playlist()).toContain('#EXT-X-DISCONTINUITY');
    expect(w.writer.fault).toMatch(/ENOSPC/);
  });

  it('airs the standby slate, without cues, when the store refuses a slot’s captions: never the picture without its words', async () => {
    const w = setup();
    await w.next();
    w.store.refuseNextCaptions = true;
    expect(await w.next()).toBe('standby');
    expect((await w.store.get('hearings/hg_writertest0001/a/1.ts'))?.toString()).toBe('standby a');
    expect((await w.store.get('hearings/hg_writertest0001/subtitles/en/1.vtt'))?.toString()).not.toContain('slot 1');
    const subs = (await w.store.get('hearings/hg_writertest0001/subtitles/en/index.m3u8'))?.toString() ?? '';
    expect(subs.replace(/\.vtt/g, '.ts')).toBe(await w.playlist());
    expect(await w.next()).toBe('own');
  });

  it('holds the playlist while a slot has no file, then fills it and lists again', async () => {
    const w = setup();
    await w.next();
    w.store.refuse = 'everything';
    expect(await w.next()).toBe('held');
    expect(await w.next()).toBe('held');
    expect(w.writer.holding).toBe(true);
    // Nothing the old playlist does not name was listed, and every name it has is there.
    expect(await w.listedFiles()).toEqual(['0.ts']);
    w.store.refuse = 'nothing';
    expect(await w.writer.repair()).not.toBeNull();
    const listed = await w.listedFiles();
    expect(listed).toEqual(['0.ts', '1.ts', '2.ts']);
    for (const f of listed) expect(await w.store.head(`hearings/hg_writertest0001/a/${f}`)).not.toBeNull();
    expect((await readFile(path.join(w.dir, 'public/hearings/hg_writertest0001/a/2.ts'))).toString()).toBe('standby a');
    expect(w.writer.fault).toBeNull();
    expect(await w.next()).toBe('own');
  });

  it('writes, before each playlist, the court’s signed checkpoint of every file it names, as the player checks it', async () => {
    const w = setup();
    const key = (await importArchiveKey(court.publicKey.export({ type: 'spki', format: 'pem' }).toString()))!;
    const prefix = 'hearings/hg_writertest0001';
    const checkpoint = async () => JSON.parse((await w.store.get(`${prefix}/checkpoint.json`))!.toString()) as LiveCheckpoint;
    await w.next();
    await w.next();
    // The checkpoint that lists slot 1 was written after its files and before its playlists.
    const order = (k: string) => w.store.written.lastIndexOf(k);
    expect(order(`${prefix}/checkpoint.json`)).toBeGreaterThan(order(`${prefix}/b/1.ts`));
    expect(order(`${prefix}/checkpoint.json`)).toBeLessThan(order(`${prefix}/a/index.m3u8`));
    const first = await checkpoint();
    const v = await checkCheckpoint(first, key, 'hg_writertest0001');
    expect(v.ok).toBe(true);
    expect(first.checkpoint).toMatchObject({ count: 6, keyId: keyIdOf(court.publicKey) });
    expect(first.entries.map((e) => e.key)).toEqual(['a/0.ts', 'b/0.ts', 'subtitles/en/0.vtt', 'a/1.ts', 'b/1.ts', 'subtitles/en/1.vtt']);
    for (const e of first.entries) expect(await segmentMatches(e, (await w.store.get(`${prefix}/${e.key}`))!), e.key).toBe(true);
    // Another hearing's name, another key, a changed entry or a cut chain: refused.
    expect((await checkCheckpoint(first, key, 'hg_other')).ok).toBe(false);
    const theirs = (await importArchiveKey(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString()))!;
    expect(await checkCheckpoint(first, theirs, 'hg_writertest0001')).toMatchObject({ ok: false, why: 'signature' });
    expect(await checkCheckpoint({ ...first, entries: first.entries.map((e, i) => (i === 4 ? { ...e, size: e.size + 1 } : e)) }, key, 'hg_writertest0001')).toMatchObject({ ok: false, why: 'chain' });
    expect(await checkCheckpoint({ ...first, entries: first.entries.slice(0, -1) }, key, 'hg_writertest0001')).toMatchObject({ ok: false, why: 'chain' });
    // Entries hashed for an earlier checkpoint are not hashed again, and cannot be changed under their hash.
    const known = new Map<string, string>();
    expect((await checkCheckpoint(first, key, 'hg_writertest0001', known)).ok).toBe(true);
    expect(known.size).toBe(6);
    expect(await checkCheckpoint({ ...first, entries: first.entries.map((e, i) => (i === 4 ? { ...e, sha256: 'ff'.repeat(32) } : e)) }, key, 'hg_writertest0001', known)).toMatchObject({ ok: false, why: 'chain' });
    // A slot the store refused airs the standby slate: the checkpoint lists the slate's bytes.
    w.store.refuse = 'media';
    expect(await w.next()).toBe('standby');
    const after = await checkpoint();
    expect((await checkCheckpoint(after, key, 'hg_writertest0001')).ok).toBe(true);
    expect(after.entries.find((e) => e.key === 'b/2.ts')).toMatchObject({ size: Buffer.byteLength('standby b') });
    w.store.refuse = 'nothing';
    // A checkpoint the store refuses leaves players unable to check, never the playlist held.
    w.store.refuseCheckpoint = true;
    expect(await w.next()).toBe('own');
    expect(await w.listedFiles()).toContain('3.ts');
    w.store.refuseCheckpoint = false;
    expect(await w.next()).toBe('own');
    expect((await checkpoint()).entries.map((e) => e.key)).toEqual(expect.arrayContaining(['a/3.ts', 'a/4.ts']));
  });
});
