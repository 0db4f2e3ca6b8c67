import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CueAck, CuePayload } from '../../server/control/types.ts';
import { archiveRecords } from '../../recorder/archive-record.ts';
import type { ReleaseRecord } from '../../server/delay/delay-line.ts';
import { TestEncoder } from '../support/encoder.ts';
import { PublicFeed, strictParse } from '../support/public-feed.ts';
import { seedHearing, startTestServer, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

const D = 4_000;
/** A slot is held to a cue only where they overlap by more than a few frames (a slot's span reaches past its frames). */
const MARGIN_MS = 100;

/** A cue as the server took it. */
interface Taken {
  cue: { id: string; text: string; start: string; end: string; revision: number };
  inWindow: boolean;
  recorded: boolean;
}

/**
 * A hearing whose court publishes English and Chinese subtitles, captioned by a feed while a clerk
 * starts, pauses, resumes, mutes, cuts and ends it. What the public subtitle rendition carries is
 * read over HTTP, file by file, beside what the delay line released in each slot: words never air
 * from a span the program kept off the air, and every slot that aired media over a cue's span
 * carries it.
 */
describe('captions through the delay line', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let hearingId = '';
  let captionerToken = '';
  let strangerToken = '';
  /** A hearing of another court, made without captions. */
  let other: Awaited<ReturnType<typeof seedHearing>>;
  const records: ReleaseRecord[] = [];
  /** The cues sent, as the server dated them, by id. */
  const sent = new Map<string, { text: string; start: number; end: number }>();
  /** The ids of cues the program must keep off the air, and those it must air (as sent, or as the marker). */
  const never: string[] = [];
  const airs = new Map<string, string>();
  const vtt = new Map<number, string>();
  let feed: PublicFeed;
  let lateCorrection: { status: number; body: unknown } = { status: 0, body: null };

  const cue = async (id: string, text: string, durationMs: number, token = captionerToken) => {
    const res = await s.api<Taken>('POST', `/api/hearings/${hearingId}/captions`, { id, lang: 'en', text, durationMs }, token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    sent.set(id, { text, start: Date.parse(res.body.cue.start), end: Date.parse(res.body.cue.end) });
    return res.body;
  };
  let socket: Socket;
  const socketCue = (payload: unknown) => new Promise<CueAck>((resolve) => socket.emit('cue', payload as CuePayload, resolve));
  const command = async (cmd: string) => expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/${cmd}`, { reason: 'captions test' })).status).toBe(200);

  beforeAll(async () => {
    s = await startTestServer();
    const seeded = await seedHearing(s, { delaySeconds: D / 1000, captions: { languages: ['en', 'zh-CN'] } });
    hearingId = seeded.hearingId;
    other = await seedHearing(s, { delaySeconds: D / 1000 });
    await s.api('POST', '/api/users', { username: 'steno', password: 'steno-long-password', roles: ['captioner'], courtroomIds: [seeded.courtroomId] });
    await s.api('POST', '/api/users', { username: 'steno2', password: 'steno-long-password', roles: ['captioner'], courtroomIds: [other.courtroomId] });
    captionerToken = await s.login('steno', 'steno-long-password');
    socket = connect(`${s.base}/control`, { auth: { token: captionerToken }, transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
    strangerToken = await s.login('steno2', 'steno-long-password');
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/open`, {})).status).toBe(200);
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now()).start();
    await waitFor(() => s.cc.broadcasts.live(hearingId) !== null && s.cc.ingest.clockOf(seeded.courtroomId) !== null, 'the encoder to publish', 20_000, 20);
    s.cc.broadcasts.live(hearingId)!.on('released', (r) => records.push(r));
    feed = new PublicFeed(`${s.base}/hls/hearings/${hearingId}/subtitles/en/index.m3u8`).start(250);
    await elapse(1_000);
    await command('start');
    // On the air: one cue corrected while still in the window, one left as sent.
    await elapse(2_500);
    await cue('opening', 'Court is in sesion.', 1_500);
    await cue('opening', 'Court is in session.', 1_500);
    airs.set('opening', 'Court is in session.');
    never.push('opening-typo');
    sent.set('opening-typo', { text: 'Court is in sesion.', start: 0, end: 0 });
    await elapse(1_500);
    await cue('seated', 'Please be seated.', 1_000);
    airs.set('seated', 'Please be seated.');
    const zh = await s.api('POST', `/api/hearings/${hearingId}/captions`, { id: 'zh-seated', lang: 'zh-CN', text: '请坐。现在开庭。', durationMs: 1_000 }, captionerToken);
    expect(zh.status, JSON.stringify(zh.body)).toBe(200);
    // A pause: words that straddle it and words inside it never air.
    await elapse(500);
    await command('pause');
    await cue('straddles', 'spoken across the pause', 1_000);
    never.push('straddles');
    await elapse(1_500);
    await cue('paused', 'spoken while paused', 1_000);
    never.push('paused');
    await elapse(500);
    await command('resume');
    // A mute: its words air as the marker.
    await elapse(2_500);
    const mute = await s.api<{ mask: { id: string } }>('POST', `/api/hearings/${hearingId}/masks`, { kind: 'mute', reason: 'a minor is named' });
    expect(mute.status).toBe(201);
    await elapse(1_200);
    await cue('muted', 'the child lives at', 800);
    never.push('muted');
    airs.set('muted', '[inaudible]');
    await elapse(300);
    expect((await s.api('POST', `/api/hearings/${hearingId}/masks/${mute.body.mask.id}/lift`, { reason: 'done' })).status).toBe(200);
    await elapse(2_500);
    // Over the control channel, as a stenographer's tool would send it.
    const ack = await socketCue({ hearingId, id: 'thanks', lang: 'en', text: 'Thank you, counsel.', speaker: 'presiding-judge', durationMs: 1_000 });
    expect(ack.ok, JSON.stringify(ack)).toBe(true);
    if (ack.ok) sent.set('thanks', { text: 'Thank you, counsel.', start: Date.parse(ack.cue.start), end: Date.parse(ack.cue.end) });
    airs.set('thanks', '<v Presiding judge>Thank you, counsel.');
    // The no-broadcast card: its words never air, not even as the marker.
    await elapse(1_500);
    const card = await s.api<{ mask: { id: string } }>('POST', `/api/hearings/${hearingId}/masks`, { kind: 'card', reason: 'a protected witness' });
    expect(card.status).toBe(201);
    await elapse(1_200);
    await cue('carded', 'the protected witness said', 800);
    never.push('carded');
    await elapse(300);
    expect((await s.api('POST', `/api/hearings/${hearingId}/masks/${card.body.mask.id}/lift`, { reason: 'done' })).status).toBe(200);
    // Too late to correct what has been released.
    await elapse(D + 2_500);
    lateCorrection = await s.api('POST', `/api/hearings/${hearingId}/captions`, { id: 'seated', lang: 'en', text: 'Please sit.', durationMs: 1_000 }, captionerToken);
    // A cut dumps what is still in the window, words included.
    await cue('dumped', 'words the cut dumps', 1_000);
    never.push('dumped');
    await command('cut');
    await elapse(1_000);
    await command('resume');
    await elapse(3_000);
    await command('end');
    await feed.untilEnded(30_000);
    for (const e of feed.entries.values()) vtt.set(e.seq, await (await fetch(e.uri)).text());
    await waitFor(async () => (await archiveRecords(s.cc.state).get(hearingId))?.status === 'complete', 'the archive to be finalized', 60_000);
    await s.cc.recorder.uploader.idle(60_000);
  }, 180_000);

  afterAll(async () => {
    feed?.stop();
    socket?.disconnect();
    await encoder?.kill();
    await s?.close();
  });

  it('offers each of the court’s caption languages as a subtitle rendition, a WebVTT file for every public slot', async () => {
    const master = await (await fetch(`${s.base}/hls/hearings/${hearingId}/master.m3u8`)).text();
    expect(master).toMatch(/TYPE=SUBTITLES.*LANGUAGE="en"/);
    expect(master).toMatch(/TYPE=SUBTITLES.*LANGUAGE="zh-CN"/);
    const media = strictParse(await (await fetch(`${s.base}/hls/hearings/${hearingId}/180p/index.m3u8`)).text());
    expect('segments' in media && media.segments.length).toBeGreaterThan(0);
    expect(feed.errors).toEqual([]);
    expect(vtt.size).toBeGreaterThanOrEqual(records.length - 1);
    for (const text of vtt.values()) expect(text.split('\n')[0]).toBe('WEBVTT');
  });

  it('never airs words from a span the program kept off the air, nor a first version corrected in time, nor words under a mute', () => {
    const all = [...vtt.values()].join('\n');
    for (const id of never) expect(all, id).not.toContain(sent.get(id)!.text);
    // The marker airs once, for the mute; the card hides even that.
    const marked = records.filter((r) => vtt.get(r.seq)?.includes('[inaudible]')).map((r) => r.seq);
    const carded = sent.get('carded')!;
    expect(records.filter((r) => marked.includes(r.seq) && r.captureStart < carded.end && carded.start < r.captureEnd)).toEqual([]);
  });

  it('airs every cue with each slot that aired media over its span: as sent, corrected, or as the marker', () => {
    const checked = new Set<string>();
    for (const [id, text] of airs) {
      const c = sent.get(id)!;
      for (const r of records.filter((x) => x.outcome === 'aired' && !x.spliced && x.captureStart + MARGIN_MS < c.end && c.start < x.captureEnd - MARGIN_MS)) {
        expect(vtt.get(r.seq), `${id} in slot ${r.seq}`).toContain(text);
        checked.add(id);
      }
    }
    // Most cues aired somewhere, or this proves nothing. On a loaded machine one may fall in a
    // slot that aired as a slate (a mute's render too late for its release): that is the picture
    // failing closed, and its words with it.
    expect(checked.size, `cues whose slots aired: ${[...checked].join(', ')}`).toBeGreaterThanOrEqual(airs.size - 1);
  });

  it('archives the captions aired, slot by slot as served, as the replay’s subtitle rendition, and the transcript with every version in the signed record', async () => {
    const archive = `/api/archive/hearings/${hearingId}`;
    const master = await s.api<string>('GET', `${archive}/aired/index.m3u8`);
    expect(String(master.body)).toMatch(/TYPE=SUBTITLES.*LANGUAGE="en".*URI="subtitles\/en\/index.m3u8"/);
    const listed = await fetch(`${s.base}${archive}/aired/subtitles/en/index.m3u8`, { headers: { authorization: `Bearer ${s.token}` } });
    expect(listed.status).toBe(200);
    const seqs = (await listed.text()).split('\n').filter((l) => l.endsWith('.vtt')).map((l) => Number(l.replace('.vtt', '')));
    expect(seqs.length).toBeGreaterThan(0);
    let compared = 0;
    for (const seq of seqs) {
      const res = await fetch(`${s.base}${archive}/aired/subtitles/en/${seq}.vtt`, { headers: { authorization: `Bearer ${s.token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/vtt');
      const served = vtt.get(seq);
      if (served !== undefined) {
        expect(await res.text(), `slot ${seq}`).toBe(served);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5);
    const page = await s.api<{ record: { transcript: { id: string; text: string; revision: number }[] } }>('GET', archive);
    const transcript = page.body.record.transcript;
    // Everything the feed sent, words the public never saw included: it is the court's record.
    expect(transcript.filter((c) => c.id === 'opening').map((c) => [c.revision, c.text])).toEqual([
      [0, 'Court is in sesion.'],
      [1, 'Court is in session.'],
    ]);
    for (const id of ['straddles', 'paused', 'muted', 'dumped', 'thanks']) expect(transcript.some((c) => c.id === id), id).toBe(true);
    // And as WebVTT, each cue in its last version, on the as-aired recording's clock.
    const vttTranscript = await s.api<string>('GET', `${archive}/download/transcript-en.vtt`);
    expect(vttTranscript.status).toBe(200);
    expect(vttTranscript.body).toContain('Court is in session.');
    expect(vttTranscript.body).not.toContain('sesion');
    expect((await s.api<{ ok: boolean }>('POST', `${archive}/verify`)).body.ok).toBe(true);
  });

  it('finds the published replay on the portal by words its captions showed, in English and Chinese, and never by words kept off the air', async () => {
    const search = async (q: string) => (await fetch(`${s.base}/hearings?lang=en&q=${encodeURIComponent(q)}`)).text();
    const finds = (page: string) => page.includes(`href="/hearings/${hearingId}?lang=en"`);
    // The archive keeps what the captions showed, in the signed record.
    const aired = await s.api<{ languages: Record<string, { start: number; text: string }[]> }>('GET', `/api/archive/hearings/${hearingId}/download/aired-captions.json`);
    expect(aired.status).toBe(200);
    const shown = Object.values(aired.body.languages).flat().map((c) => c.text);
    expect(shown).toEqual(expect.arrayContaining(['Please be seated.', '请坐。现在开庭。']));
    for (const id of never) expect(shown, id).not.toContain(sent.get(id)!.text);
    // Not searched before its replay is published.
    expect(finds(await search('seated'))).toBe(false);
    expect((await s.api('POST', `/api/hearings/${hearingId}/replay`, { decision: 'published' })).status).toBe(200);
    // The public replay carries the subtitles as they aired.
    const replayMaster = await (await fetch(`${s.base}/public/hearings/${hearingId}/replay/index.m3u8`)).text();
    expect(replayMaster).toMatch(/TYPE=SUBTITLES.*LANGUAGE="en".*URI="subtitles\/en\/index.m3u8"/);
    const replayVtt = strictParse(await (await fetch(`${s.base}/public/hearings/${hearingId}/replay/subtitles/en/index.m3u8`)).text());
    const replaySlots = 'segments' in replayVtt ? replayVtt.segments.map((x) => Number(x.uri.replace('.vtt', ''))) : [];
    const seatedSeq = Math.min(...[...vtt].filter(([, text]) => text.includes('Please be seated.')).map(([k]) => k));
    expect(replaySlots).toContain(seatedSeq);
    expect(await (await fetch(`${s.base}/public/hearings/${hearingId}/replay/subtitles/en/${seatedSeq}.vtt`)).text()).toBe(vtt.get(seatedSeq));
    const page = await search('SEATED please');
    expect(finds(page)).toBe(true);
    expect(page).toContain('Please be seated.');
    // The line links into the replay where it was said: its slot's place in the replay's playlist
    // and the cue's place in that slot's WebVTT as served.
    const t = Number(/href="\/hearings\/[^"?]+\?lang=en&amp;t=(\d+)"/.exec(page)?.[1]);
    const replay = strictParse(await (await fetch(`${s.base}/public/hearings/${hearingId}/replay/180p/index.m3u8`)).text());
    const segments = 'segments' in replay ? replay.segments : [];
    const seq = Math.min(...[...vtt].filter(([, text]) => text.includes('Please be seated.')).map(([k]) => k));
    const k = segments.findIndex((x) => x.uri === `${seq}.ts`);
    expect(k).toBeGreaterThanOrEqual(0);
    const [, hh, mm, ss] = /(\d\d):(\d\d):(\d\d\.\d{3}) --> [^\n]*\nPlease be seated\./.exec(vtt.get(seq)!)!;
    const expected = segments.slice(0, k).reduce((n, x) => n + x.duration, 0) + Number(hh) * 3600 + Number(mm) * 60 + Number(ss);
    expect(Math.abs(t - expected), `t=${t}, the line is at ${expected}`).toBeLessThanOrEqual(1);
    // Chinese by substring, without spaces.
    expect(finds(await search('开庭'))).toBe(true);
    // Words a pause, a mute, a cut or a correction kept off the air find nothing, though the transcript has them.
    for (const id of never) expect(finds(await search(sent.get(id)!.text)), id).toBe(false);
    // Withheld, it is not searched by its words any more.
    expect((await s.api('POST', `/api/hearings/${hearingId}/replay`, { decision: 'withheld', reason: 'captions test' })).status).toBe(200);
    expect(finds(await search('seated'))).toBe(false);
    // Both decisions are in the public transparency log, after the archive's seal and its audit head.
    const head = (await (await fetch(`${s.base}/transparency/head`)).json()) as { treeSize: number };
    const { entries } = (await (await fetch(`${s.base}/transparency/entries?start=0&end=${head.treeSize}`)).json()) as { entries: { kind: string; hearingId: string; decision?: string }[] };
    const ours = entries.filter((e) => e.hearingId === hearingId).map((e) => e.decision ?? e.kind);
    expect(ours).toEqual(['seal', 'audit', 'published', 'withheld']);
  });

  it('refuses to correct a cue once released, and takes cues only from those who caption the courtroom', async () => {
    expect(lateCorrection.status).toBe(409);
    expect(JSON.stringify(lateCorrection.body)).toMatch(/released/);
    const res = await s.api('POST', `/api/hearings/${hearingId}/captions`, { id: 'x', lang: 'en', text: 'hello', durationMs: 500 }, strangerToken);
    expect(res.status).toBe(403);
  });

  it('answers a malformed cue on the control channel with an error ack, and takes the right away the moment the account loses the courtroom', async () => {
    const bad = await socketCue({ hearingId, id: 'x', lang: 'en', text: '<i>x</i>', durationMs: 500 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const users = (await s.api<{ id: string; username: string }[]>('GET', '/api/users')).body;
    const steno = users.find((u) => u.username === 'steno')!;
    expect((await s.api('PATCH', `/api/users/${steno.id}`, { courtroomIds: [] })).status).toBe(200);
    const after = await socketCue({ hearingId, id: 'y', lang: 'en', text: 'anything', durationMs: 500 });
    expect(after).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('refuses malformed cues with a clear problem', async () => {
    const bad: [unknown, RegExp][] = [
      [{ id: 'm1', lang: 'en', text: '<b>guilty</b>', durationMs: 500 }, /markup/],
      [{ id: 'm2', lang: 'fr', text: 'bonjour', durationMs: 500 }, /lang/],
      [{ id: 'm3', lang: 'en', text: 'x'.repeat(301), durationMs: 500 }, /300/],
      [{ id: 'm4', lang: 'en', text: 'late', durationMs: 500, start: new Date().toISOString() }, /start or its duration/],
      [{ id: 'bad id!', lang: 'en', text: 'x', durationMs: 500 }, /id/],
      [{ id: 'm5', lang: 'en', text: 'x', durationMs: 60_000 }, /durationMs/],
    ];
    for (const [body, why] of bad) {
      const res = await s.api('POST', `/api/hearings/${hearingId}/captions`, body, captionerToken);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect(JSON.stringify(res.body), JSON.stringify(body)).toMatch(why);
    }
  });

  it('lets an admin give a court captions later, taken by hearings that go live from then on, with hidden words dropped where the court says so', async () => {
    const put = (body: unknown, token?: string) => s.api<{ captions?: unknown }>('PUT', `/api/courts/${other.courtId}/captions`, body, token);
    expect((await put({ captions: { languages: ['zh-CN'] } }, captionerToken)).status).toBe(403);
    for (const bad of [{}, { captions: { languages: ['fr'] } }, { captions: { languages: [] } }, { captions: { languages: ['en'], hidden: 'blank' } }]) {
      const res = await put(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.type).toContain('application/problem+json');
    }
    const set = await put({ captions: { languages: ['zh-CN'], hidden: 'drop' } });
    expect(set.status).toBe(200);
    expect(set.body.captions).toEqual({ languages: ['zh-CN'], hidden: 'drop', voiceHidesText: false });
    const id = other.hearingId;
    expect((await s.api('POST', `/api/hearings/${id}/broadcast/open`, {})).status).toBe(200);
    const room = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${other.streamKey}`, 'flv', Date.now()).start();
    try {
      await waitFor(() => s.cc.ingest.clockOf(other.courtroomId) !== null, 'the other encoder to publish', 20_000, 20);
      const zh = new PublicFeed(`${s.base}/hls/hearings/${id}/subtitles/zh-CN/index.m3u8`).start(250);
      expect((await s.api('POST', `/api/hearings/${id}/broadcast/start`, {})).status).toBe(200);
      const say = async (cueId: string, text: string, durationMs: number) => expect((await s.api('POST', `/api/hearings/${id}/captions`, { id: cueId, lang: 'zh-CN', text, durationMs })).status).toBe(200);
      await elapse(2_500);
      await say('seated', '请坐。', 1_000);
      // English is not the court's: refused, not kept where nobody sees it.
      const english = await s.api('POST', `/api/hearings/${id}/captions`, { id: 'en', lang: 'en', text: 'Please be seated.', durationMs: 500 });
      expect(english.status).toBe(400);
      expect(JSON.stringify(english.body)).toMatch(/no captions in en/);
      const mute = await s.api<{ mask: { id: string } }>('POST', `/api/hearings/${id}/masks`, { kind: 'mute', reason: 'an address' });
      expect(mute.status).toBe(201);
      await elapse(1_200);
      await say('hushed', '证人住在北京路', 800);
      await elapse(300);
      expect((await s.api('POST', `/api/hearings/${id}/masks/${mute.body.mask.id}/lift`, { reason: 'done' })).status).toBe(200);
      await elapse(2_500);
      expect((await s.api('POST', `/api/hearings/${id}/broadcast/end`, {})).status).toBe(200);
      await zh.untilEnded(30_000);
      zh.stop();
      const served = (await Promise.all([...zh.entries.values()].map(async (e) => (await fetch(e.uri)).text()))).join('\n');
      expect(served).toContain('请坐。');
      // Dropped: neither the words nor the court's marker.
      expect(served).not.toContain('证人住在');
      expect(served).not.toContain('［声音已屏蔽］');
    } finally {
      await room.kill();
    }
    // And taken away again: the court publishes none from now on.
    const removed = await put({ captions: null });
    expect(removed.status).toBe(200);
    expect(removed.body.captions).toBeUndefined();
  });
});
