import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** One accessibility violation axe-core rates serious or critical, with where it is. */
export interface Violation {
  readonly id: string;
  readonly impact: string;
  readonly help: string;
  readonly targets: string[];
}

/** Runs axe-core in the page (open shadow roots included) and returns its serious and critical violations. */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact ?? '', help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
}

/**
 * Words of Latin letters a reader meets on the page (visible text and the names of controls), but
 * for names that are not English (the products, people's user names, the seeded hearing, units,
 * zones, hex digits of hashes and keys) and what people wrote themselves, which the pages quote
 * (“…”): on a page in Chinese, anything left is an untranslated string.
 */
export function englishWords(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const allowed = new Set(['Courtcast', 'Test', 'admin', 'archivist', 'approver', 'kbps', 'fps', 'English', 'MP4', 'MB', 'GMT', 'UTC', 'FFmpeg', 'WebRTC', 'HLS', 'WebVTT', 'JSON']);
    const texts: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      // Words marked as another language's (a transcript's lines) are the court's, not the page's.
      const marked = el?.closest('[lang]');
      if (el && el.checkVisibility() && !el.closest('option:not(:checked)') && (!marked || marked === document.documentElement)) texts.push(n.textContent ?? '');
    }
    for (const el of Array.from(document.querySelectorAll('[aria-label], [placeholder]'))) if (el.checkVisibility()) texts.push(el.getAttribute('aria-label') ?? '', el.getAttribute('placeholder') ?? '');
    texts.push(document.title);
    return texts.flatMap((t) => t.replace(/“[^”]*”/g, '').match(/[A-Za-z]{3,}/g) ?? []).filter((w) => !allowed.has(w) && !/^[a-f]+$/.test(w));
  });
}
