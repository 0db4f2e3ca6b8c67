import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approverOf, clearForBroadcast, startTestServer, type TestServer } from '../support/server.ts';

/**
 * The public portal, server-rendered: filters and search find the right hearings, a hearing that
 * is not public never appears anywhere, pages carry Open Graph and oEmbed discovery, and nothing a
 * court typed becomes markup.
 */
describe('the public portal', () => {
  let s: TestServer;
  const ids: Record<string, string> = {};
  let courtA = '';
  let courtB = '';

  const page = async (p: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${s.base}${p}`, { headers });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  };
  /** The case numbers a listing page shows, in order. */
  const listed = (body: string): string[] => [...body.matchAll(/<tr><td>.*?<\/td><td>([^<]+)<\/td>/g)].map((m) => m[1] as string);

  beforeAll(async () => {
    s = await startTestServer();
    courtA = (await s.api<{ id: string }>('POST', '/api/courts', { name: 'Shanghai First Intermediate Court', timezone: 'Asia/Shanghai' })).body.id;
    courtB = (await s.api<{ id: string }>('POST', '/api/courts', { name: 'Riverside County Court', timezone: 'America/New_York' })).body.id;
    const roomA = (await s.api<{ id: string }>('POST', `/api/courts/${courtA}/courtrooms`, { name: 'No. 3' })).body.id;
    const roomB = (await s.api<{ id: string }>('POST', `/api/courts/${courtB}/courtrooms`, { name: 'Hall B' })).body.id;
    const add = async (key: string, courtroomId: string, caseNumber: string, title: string, caseType: string, at: string, isPublic = true, reviewed = isPublic) => {
      const r = await s.api<{ id: string }>('POST', '/api/hearings', { courtroomId, caseNumber, title, caseType, scheduledStart: at, delaySeconds: 4, isPublic });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ids[key] = r.body.id;
      if (reviewed) await clearForBroadcast(s, courtroomId === roomA ? courtA : courtB, r.body.id);
    };
    await add('civil', roomA, '(2026)沪01民初114号', 'Zhang v. Shanghai Widget Co.', 'civil', '2026-12-03T01:30:00Z');
    await add('criminal', roomA, '(2026)沪01刑初7号', 'People v. Li', 'criminal', '2026-12-03T06:00:00Z');
    await add('appeal', roomB, '2026-AP-55', 'Smith v. Jones appeal', 'appeal', '2026-12-04T15:00:00Z');
    await add('hidden', roomB, '2026-FAM-9', 'Smith family matter', 'family', '2026-12-04T16:00:00Z', false);
    // Heard in public, but nobody has signed off the confidentiality review of its details yet.
    await add('unreviewed', roomB, '2026-CV-77', 'Doe v. Roe', 'civil', '2026-12-04T17:00:00Z', true, false);
    await add('tricky', roomB, '2026-CV-1', '<script>alert(1)</script> & "quotes"', 'civil', '2026-12-05T15:00:00Z');
  }, 60_000);

  afterAll(async () => {
    await s?.close();
  });

  it('filters by court, case type and day (in the court’s time zone), and searches case numbers and title words', async () => {
    expect(listed((await page(`/hearings?court=${courtA}`)).body)).toEqual(['(2026)沪01民初114号', '(2026)沪01刑初7号']);
    expect(listed((await page('/hearings?type=criminal')).body)).toEqual(['(2026)沪01刑初7号']);
    // 01:30Z on the 3rd is the 3rd in Shanghai; 15:00Z on the 4th is the 4th in New York.
    expect(listed((await page('/hearings?date=2026-12-03')).body)).toEqual(['(2026)沪01民初114号', '(2026)沪01刑初7号']);
    expect(listed((await page('/hearings?date=2026-12-04')).body)).toEqual(['2026-AP-55']);
    expect(listed((await page(`/hearings?q=${encodeURIComponent('smith appeal')}`)).body)).toEqual(['2026-AP-55']);
    expect(listed((await page(`/hearings?q=${encodeURIComponent('沪01民初')}`)).body)).toEqual(['(2026)沪01民初114号']);
    expect(listed((await page('/hearings?q=nothing-like-this')).body)).toEqual([]);
    // What was found is said in words, in the reader's language.
    expect((await page('/hearings?type=criminal&lang=en')).body).toContain('<p role="status">1 hearing found</p>');
    expect((await page(`/hearings?court=${courtA}&lang=en`)).body).toContain('<p role="status">2 hearings found</p>');
    expect((await page(`/hearings?court=${courtA}&lang=zh-CN`)).body).toContain('<p role="status">找到 2 场庭审</p>');
    expect((await page('/hearings?q=nothing-like-this&lang=en')).body).toContain('<p role="status">No public hearing matches.</p>');
    // A malformed filter is ignored rather than an error page.
    expect((await page('/hearings?type=<b>&date=tomorrow')).status).toBe(200);
  });

  it('names the time zone beside each time where hearings of courts in several zones are listed together', async () => {
    const both = (await page('/hearings?lang=en')).body;
    expect(both).toMatch(/<span class="zone">GMT\+8<\/span>/);
    expect(both).toMatch(/<span class="zone">EST<\/span>/);
    expect((await page(`/hearings?court=${courtA}&lang=en`)).body).not.toContain('class="zone"');
    // A hearing's own page always names its court's zone.
    expect((await page(`/hearings/${ids.civil}?lang=en`)).body).toMatch(/<span class="zone">GMT\+8<\/span>/);
    // The list of courts says each one's zone and how many public hearings it has.
    const courts = (await page('/courts?lang=en')).body;
    expect(courts).toMatch(/Riverside County Court<\/a><\/td><td>Eastern Standard Time<\/td><td>2<\/td>/);
    expect(courts).toMatch(/Shanghai First Intermediate Court<\/a><\/td><td>China Standard Time<\/td><td>2<\/td>/);
  });

  it('never shows a hearing that is not public, on any page', async () => {
    for (const p of ['/', '/hearings', '/hearings?q=smith', `/courts/${courtB}`, '/replays', '/stats', '/hearings?type=family']) {
      const r = await page(p);
      expect(r.status, p).toBe(200);
      expect(r.body, p).not.toContain('2026-FAM-9');
      expect(r.body, p).not.toContain(ids.hidden);
    }
    expect((await page(`/hearings/${ids.hidden}`)).status).toBe(404);
    expect((await fetch(`${s.base}/public/hearings/${ids.hidden}`)).status).toBe(404);
  });

  it('shows a public hearing only once its confidentiality review is signed off, and hides it again when its details change', async () => {
    const everywhere = async (present: boolean) => {
      for (const p of ['/hearings', `/courts/${courtB}`, '/hearings?q=roe']) expect((await page(p)).body.includes('2026-CV-77'), p).toBe(present);
      expect((await page(`/hearings/${ids.unreviewed}`)).status).toBe(present ? 200 : 404);
      expect((await fetch(`${s.base}/public/hearings/${ids.unreviewed}`)).status).toBe(present ? 200 : 404);
      expect((await fetch(`${s.base}/public/schedule`).then((r) => r.json() as Promise<{ id: string }[]>)).some((h) => h.id === ids.unreviewed)).toBe(present);
      expect((await fetch(`${s.base}/oembed?url=${encodeURIComponent(`${s.base}/hearings/${ids.unreviewed}`)}`)).status).toBe(present ? 200 : 404);
      // The origin follows the same rule, whatever the public store holds for the hearing.
      for (const key of ['master.m3u8', '180p/index.m3u8', '180p/1.ts']) expect((await fetch(`${s.base}/hls/hearings/${ids.unreviewed}/${key}`)).status, key).toBe(present ? 200 : 404);
    };
    // As if it had aired (an approval before the review was required): the store has its media.
    for (const [key, body] of [['master.m3u8', '#EXTM3U\n'], ['180p/index.m3u8', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n'], ['180p/1.ts', 'G'.repeat(188)]] as const) {
      const file = path.join(s.cc.dirs.public, 'hearings', ids.unreviewed as string, key);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, body);
    }
    await everywhere(false);
    const approver = await approverOf(s, courtB);
    // An unchecked box is not a sign-off; a clerk's or an archivist's sign-off is not one either.
    const incomplete = await s.api<{ code: string }>('POST', `/api/hearings/${ids.unreviewed}/reviews`, { checklist: { personalData: true, minors: false, masks: true } }, approver);
    expect([incomplete.status, incomplete.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    await everywhere(false);
    expect((await s.api('POST', `/api/hearings/${ids.unreviewed}/reviews`, { checklist: { personalData: true, minors: true, masks: true }, note: 'names are the parties’ own' }, approver)).status).toBe(201);
    await everywhere(true);
    // The title changes after the review: the page goes until someone reviews the new details.
    expect((await s.api('PATCH', `/api/hearings/${ids.unreviewed}`, { title: 'Doe (a minor) v. Roe' })).status).toBe(200);
    await everywhere(false);
    const trail = await s.api<{ action: string; actor: { username?: string } }[]>('GET', `/api/hearings/${ids.unreviewed}/audit`);
    expect(trail.body.map((e) => e.action)).toEqual(['confidentiality-reviewed', 'hearing-changed']);
  });

  it('gives each hearing a page with the player, Open Graph tags and oEmbed discovery, in the visitor’s language', async () => {
    const en = await page(`/hearings/${ids.civil}`);
    expect(en.type).toContain('text/html');
    expect(en.body).toContain(`<courtcast-player hearing="${ids.civil}" lang="en">`);
    expect(en.body).toContain('<meta property="og:title" content="Zhang v. Shanghai Widget Co.">');
    expect(en.body).toMatch(/<link rel="alternate" type="application\/json\+oembed" href="[^"]*\/oembed\?url=[^"]*hearings%2F/);
    expect(en.body).toContain('Scheduled');
    // A copyable snippet for other sites, escaped as text.
    expect(en.body).toContain(`&lt;courtcast-player hearing=&quot;${ids.civil}&quot;&gt;&lt;/courtcast-player&gt;`);
    const zh = await page(`/hearings/${ids.civil}`, { 'accept-language': 'zh-CN,zh;q=0.9' });
    expect(zh.body).toContain('<html lang="zh-CN"');
    expect(zh.body).toContain('案号');
    expect(zh.body).toContain('已排期');
    expect((await page(`/hearings/${ids.civil}?lang=en`, { 'accept-language': 'zh-CN' })).body).toContain('Case number');
    // A script subtag or another region reads the shipped language it belongs to.
    expect((await page(`/hearings/${ids.civil}`, { 'accept-language': 'zh-Hans-CN,zh;q=0.9' })).body).toContain('<html lang="zh-CN"');
    expect((await page(`/hearings/${ids.civil}`, { 'accept-language': 'fr-FR, en-US;q=0.8, zh;q=0.5' })).body).toContain('<html lang="en"');
    expect((await page(`/hearings/${ids.civil}`, { 'accept-language': 'fr-FR, zh-SG;q=0.8' })).body).toContain('<html lang="zh-CN"');
    // Dates in the court's own zone: 01:30Z is 09:30 in Shanghai.
    expect(en.body).toMatch(/9:30/);
    const oembedHref = /application\/json\+oembed" href="([^"]+)"/.exec(en.body)![1]!.replace(/&amp;/g, '&');
    expect(((await (await fetch(oembedHref)).json()) as { type: string }).type).toBe('video');
  });

  it('escapes whatever a court typed', async () => {
    const r = await page(`/hearings/${ids.tricky}`);
    expect(r.body).not.toContain('<script>alert(1)</script>');
    expect(r.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
  });

  it('counts the hearings streamed, by court and by month, on the statistics page', async () => {
    const r = await page('/stats');
    expect(r.body).toContain('Hearings streamed: <strong>0</strong>');
  });
});
