import { describe, expect, it } from 'vitest';
import type { Court, Hearing } from '../../server/domain/courts.ts';
import { findPublic, foldText, matchPublic, searchTerms, type SpokenLine } from '../../server/domain/portal-query.ts';

const hearing = (id: string, title: string, over: Partial<Hearing> = {}) =>
  ({ id, courtId: 'c1', courtroomId: 'r1', caseNumber: `(2026)京0105民初${id}号`, title, caseType: 'civil', scheduledStart: `2026-12-0${id}T02:00:00Z`, delaySeconds: 30, isPublic: true, status: 'ended', ...over }) as Hearing;
const courts = new Map([['c1', { id: 'c1', timezone: 'Asia/Shanghai' } as unknown as Court]]);
const line = (lang: string, at: number, text: string): SpokenLine => ({ lang, at, text, folded: foldText(text) });

const hearings = [hearing('1', '张某诉李某买卖合同纠纷'), hearing('2', 'Smith v. Jones'), hearing('3', '王某诉赵某借款合同纠纷'), hearing('4', 'Sealed matter', { isPublic: false })];
const spoken: Record<string, SpokenLine[]> = {
  '1': [line('zh-CN', 12.5, '现在开庭。'), line('zh-CN', 75, '原告请陈述诉讼请求。')],
  '2': [line('en', 3, 'All rise.'), line('en', 64.2, 'The witness may step down.')],
  '4': [line('en', 1, 'The witness may step down.')],
};
const spokenOf = (h: Hearing) => spoken[h.id] ?? [];

describe('the portal’s search', () => {
  it('finds Chinese by substring, without spaces between words', () => {
    expect(matchPublic(hearings, courts, { q: '诉讼请求' }, spokenOf).map((m) => [m.hearing.id, m.spoken?.at])).toEqual([['1', 75]]);
    expect(matchPublic(hearings, courts, { q: '合同纠纷' }, spokenOf).map((m) => [m.hearing.id, m.spoken])).toEqual([['1', undefined], ['3', undefined]]);
  });

  it('folds case and full-width forms, and splits at an ideographic space', () => {
    expect(searchTerms('ＷＩＴＮＥＳＳ　step')).toEqual(['witness', 'step']);
    expect(matchPublic(hearings, courts, { q: 'ＷＩＴＮＥＳＳ　Step' }, spokenOf).map((m) => m.hearing.id)).toEqual(['2']);
  });

  it('needs every term, from the title or the words said, and shows the line that says most', () => {
    expect(matchPublic(hearings, courts, { q: 'jones witness' }, spokenOf).map((m) => [m.hearing.id, m.spoken?.text])).toEqual([['2', 'The witness may step down.']]);
    expect(matchPublic(hearings, courts, { q: 'jones objection' }, spokenOf)).toEqual([]);
    expect(matchPublic(hearings, courts, { q: 'rise witness' }, spokenOf)[0]?.spoken?.text).toBe('All rise.');
  });

  it('never finds a hearing that is not public, whatever its words', () => {
    expect(matchPublic(hearings, courts, { q: 'step down' }, spokenOf).map((m) => m.hearing.id)).toEqual(['2']);
  });

  it('finds by the schedule alone where it is given no words', () => {
    expect(findPublic(hearings, courts, { q: '开庭' })).toEqual([]);
    expect(findPublic(hearings, courts, { q: '(2026)京0105民初3' }).map((h) => h.id)).toEqual(['3']);
    expect(findPublic(hearings, courts, { date: '2026-12-02' }).map((h) => h.id)).toEqual(['2']);
  });
});
