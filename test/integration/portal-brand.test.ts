import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.ts';
import { EMBLEM_MAX_BYTES, loadBrand } from '../../server/http/portal-brand.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const run = promisify(execFile);

/**
 * A court's own portal: its name in each language, its emblem, its colours, its contact, legal
 * notice and accessibility statement, from configuration; a search box on the home page; and
 * settings that would make the pages unreadable or broken refused at start.
 */
describe("the portal in a court's colours", () => {
  let s: TestServer;
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cc-brand-'));
    const emblem = path.join(dir, 'emblem.png');
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=64x64', '-frames:v', '1', '-y', emblem]);
    s = await startTestServer({
      portal: {
        name: { en: 'Shanghai Courts Online', 'zh-CN': '上海法院庭审直播' },
        emblemFile: emblem,
        colours: { header: '#5a0f12', accent: '#7a1d21' },
        contact: { en: 'Press office: +86 21 0000 0000', 'zh-CN': '新闻办公室：021-0000 0000' },
        legalNotice: 'Published by the Shanghai High People’s Court under its broadcasting rules.',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const page = async (p: string) => (await fetch(`${s.base}${p}`)).text();

  it("names the court's site in the reader's language, with its emblem, colours and footer", async () => {
    const en = await page('/?lang=en');
    expect(en).toContain('<title>Home · Shanghai Courts Online</title>');
    expect(en).toMatch(/<a class="site" href="\/\?lang=en"><img src="\/brand\/emblem\.png" alt=""><span>Shanghai Courts Online<\/span><\/a>/);
    expect(en).toContain('header { background: #5a0f12;');
    expect(en).toContain('Contact: Press office: +86 21 0000 0000');
    expect(en).toMatch(/<a href="\/legal\?lang=en">Legal notice<\/a><a href="\/accessibility\?lang=en">Accessibility<\/a>/);
    const zh = await page('/?lang=zh-CN');
    expect(zh).toContain('上海法院庭审直播</span>');
    expect(zh).toContain('新闻办公室：021-0000 0000');
    const emblem = await fetch(`${s.base}/brand/emblem.png`);
    expect([emblem.status, emblem.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(emblem.headers.get('content-security-policy')).toContain('sandbox');
  });

  it('offers a search of the schedule on the home page, and the legal notice and accessibility statement', async () => {
    const home = await page('/?lang=en');
    expect(home).toMatch(/<form class="search" method="get" action="\/hearings" role="search">.*<input type="search" name="q">/s);
    // One text for every language: the same notice in each.
    expect(await page('/legal?lang=zh-CN')).toContain('Published by the Shanghai High People’s Court');
    // None configured: Courtcast's own statement, in the reader's language, with the site's name.
    expect(await page('/accessibility?lang=en')).toContain('Shanghai Courts Online aims to meet WCAG 2.1 level AA.');
    expect(await page('/accessibility?lang=zh-CN')).toContain('上海法院庭审直播力求符合 WCAG 2.1 AA 级标准');
  });

  it('refuses colours that would make text unreadable, and an emblem that is missing or too large', async () => {
    expect(() => loadConfig({ env: {}, overrides: { portal: { colours: { header: '#9ab0c4' } } } })).toThrow(/portal\.colours\.header.*contrast with white header text is \d\.\d\d:1; text needs 4\.5:1/s);
    expect(() => loadConfig({ env: {}, overrides: { portal: { colours: { accent: '#ffffff' } } } })).toThrow(/accent/);
    expect(() => loadConfig({ env: {}, overrides: { portal: { emblemFile: '/etc/passwd' } } })).toThrow(/png/);
    await expect(loadBrand(loadConfig({ env: {}, overrides: { portal: { emblemFile: path.join(dir, 'gone.png') } } }).portal)).rejects.toThrow(/no file/);
    const big = path.join(dir, 'big.svg');
    await writeFile(big, Buffer.alloc(EMBLEM_MAX_BYTES + 1, 32));
    await expect(loadBrand(loadConfig({ env: {}, overrides: { portal: { emblemFile: big } } }).portal)).rejects.toThrow(/bytes/);
  });
});
