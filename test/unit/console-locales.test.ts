import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CASE_TYPES } from '../../server/domain/courts.ts';
import { BLOCKER_MESSAGES } from '../../server/domain/governance.ts';
import { MASK_KINDS } from '../../server/domain/masks.ts';
import { PROGRAM_PHASES } from '../../server/domain/program.ts';
import { ROLES } from '../../server/domain/users.ts';

const dir = path.resolve(import.meta.dirname, '../../console');
const locales = Object.fromEntries(readdirSync(path.join(dir, 'locales')).map((f) => [f.slice(0, -5), JSON.parse(readFileSync(path.join(dir, 'locales', f), 'utf8')) as Record<string, string>]));
const en = locales.en!;
// i18n.js itself only names the markers, in its comments.
const sources = readdirSync(dir).filter((f) => /\.(js|html)$/.test(f) && f !== 'i18n.js').map((f) => [f, readFileSync(path.join(dir, f), 'utf8')] as const);
const placesOf = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

/** The staff pages' strings: every language says everything, and nothing the pages ask for is missing. */
describe("the console's and archive's locale files", () => {
  it('ship the languages the pages offer, each with the same keys and the same places to fill', () => {
    const offered = /export const LANGUAGES = \{([^}]*)\}/.exec(readFileSync(path.join(dir, 'i18n.js'), 'utf8'))![1]!;
    expect(Object.keys(locales).sort()).toEqual([...offered.matchAll(/'?([\w-]+)'?:/g)].map((m) => m[1]).sort());
    for (const [lang, strings] of Object.entries(locales)) {
      expect(Object.keys(strings).sort(), lang).toEqual(Object.keys(en).sort());
      for (const [key, text] of Object.entries(strings)) expect(placesOf(text), `${lang} ${key}`).toEqual(placesOf(en[key]!));
    }
  });

  it('have every key the pages name in their markup and their scripts', () => {
    const wanted = new Set<string>();
    for (const [, text] of sources) {
      for (const m of text.matchAll(/data-t="([^"]+)"/g)) wanted.add(m[1]!);
      for (const m of text.matchAll(/data-t-attr="([^"]+)"/g)) for (const pair of m[1]!.split(';')) wanted.add(pair.split(':')[1]!);
      for (const m of text.matchAll(/\bt\('([^']+)'/g)) wanted.add(m[1]!);
      for (const m of text.matchAll(/\btn\('([^']+)'/g)) for (const form of ['one', 'other']) wanted.add(`${m[1]}.${form}`);
      if (/\bt\(`gov\.\$\{[^}]+\}-by`/.test(text)) for (const o of ['approved', 'refused', 'upheld', 'dismissed']) wanted.add(`gov.${o}-by`);
      for (const m of text.matchAll(/\blabel\('([\w-]+)', '([^']+)'/g)) wanted.add(`${m[1]}.${m[2]}`);
    }
    expect([...wanted].filter((k) => !(k in en))).toEqual([]);
  });

  it('name every phase, role, blocker, mask kind and case type the server can send', () => {
    const needs = [
      ...PROGRAM_PHASES.map((p) => `phase.${p}`),
      ...ROLES.map((r) => `role.${r}`),
      ...Object.keys(BLOCKER_MESSAGES).map((b) => `blocker.${b}`),
      ...MASK_KINDS.map((k) => `mask.${k}`),
      ...CASE_TYPES.map((c) => `case.${c}`),
      ...['recording', 'finalizing', 'complete'].map((s) => `archive-status.${s}`),
    ];
    expect(needs.filter((k) => !(k in en))).toEqual([]);
  });
});
