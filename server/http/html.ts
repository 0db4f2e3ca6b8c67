/** Markup that is already safe to put in a page. */
export class Raw {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c] as string);

/** Trusted markup, passed through as is. */
export const raw = (html: string): Raw => new Raw(html);

/**
 * A template for server-rendered pages: every interpolated value is escaped unless it is `Raw`
 * (another `html` result); arrays are joined. Nothing a court or a visitor typed can become markup.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    const parts = Array.isArray(v) ? v : [v];
    for (const p of parts) out += p instanceof Raw ? p.html : p === null || p === undefined || p === false ? '' : escape(String(p));
    out += strings[i + 1] ?? '';
  });
  return new Raw(out);
}
