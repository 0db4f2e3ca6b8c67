/**
 * WCAG 2 contrast between two colours given as #rrggbb: 1 (same) to 21 (black on white). Text
 * needs 4.5 to be readable by most people with low vision (WCAG 1.4.3, level AA).
 */
export function contrastRatio(a: string, b: string): number {
  const luminance = (hex: string): number => {
    const [r, g, bl] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.039_28 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** The contrast text needs (WCAG AA, normal size). */
export const TEXT_CONTRAST = 4.5;
