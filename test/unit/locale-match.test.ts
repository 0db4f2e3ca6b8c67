import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bestLocale, SHIPPED_LOCALES } from '../../player/locale-match.js';

/** One reading of a reader's languages for the player and the portal. */
describe('the shipped language a reader gets', () => {
  it('lists exactly the locale files the player ships', () => {
    const files = readdirSync(path.resolve(import.meta.dirname, '../../player/locales')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
    expect([...SHIPPED_LOCALES].sort()).toEqual(files.sort());
  });

  it('matches by tag, then by language and script, then by language, most wanted first', () => {
    const cases: [string[], string][] = [
      [['zh-CN'], 'zh-CN'],
      [['zh-Hans-CN'], 'zh-CN'],
      [['zh'], 'zh-CN'],
      [['zh-SG'], 'zh-CN'],
      [['en-US'], 'en'],
      [['EN-gb'], 'en'],
      [['fr-FR', 'zh-CN'], 'zh-CN'],
      // Traditional script: English if the reader also reads it, else Chinese before nothing.
      [['zh-TW', 'en'], 'en'],
      [['zh-TW'], 'zh-CN'],
      [['de'], 'en'],
      [['*'], 'en'],
      [['not a tag!'], 'en'],
      [[], 'en'],
    ];
    for (const [wanted, shipped] of cases) expect(bestLocale(wanted), wanted.join(',')).toBe(shipped);
  });
});
