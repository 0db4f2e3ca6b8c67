import type { Page } from 'playwright-core';
import { COUNTER_BITS, COUNTER_LAYOUT } from '../../server/media/synthetic.ts';

/** A frame a page showed: the counter drawn in it and when it was shown (wall clock, ms). */
export interface ShownFrame {
  readonly counter: number;
  readonly at: number;
  /** With `captions`: the text of every cue the video's showing text tracks had active then. */
  readonly cues?: readonly string[];
}

/**
 * Reads the frame counter from every frame a page's video element shows, for `ms`: each frame is
 * drawn on a canvas at the pattern's reference size and its counter blocks read at their centres,
 * in the frame callback, so `at` is when the frame was handed to the compositor. `select` is the
 * video element's CSS selector, inside the shadow root of `o.shadowHost` when given (a player
 * element); with `o.captions`, each frame also carries the captions showing with it.
 */
export async function shownFrames(page: Page, select: string, ms: number, o: { readonly shadowHost?: string; readonly captions?: boolean } = {}): Promise<ShownFrame[]> {
  // Under tsx (the benches), named functions come out wrapped in esbuild's __name, which the page lacks.
  await page.evaluate('window.__name ??= (f) => f');
  return page.evaluate(
    async ({ select, ms, layout, bits, shadowHost, captions }) => {
      const root = shadowHost ? document.querySelector(shadowHost)!.shadowRoot! : document;
      const video = root.querySelector(select) as HTMLVideoElement;
      const canvas = document.createElement('canvas');
      canvas.width = layout.refWidth;
      canvas.height = layout.stripHeight;
      const g = canvas.getContext('2d', { willReadFrequently: true })!;
      const out: { counter: number; at: number; cues?: string[] }[] = [];
      const showing = () => Array.from({ length: video.textTracks.length }, (_, i) => video.textTracks[i]!).filter((t) => t.mode === 'showing').flatMap((t) => Array.from({ length: t.activeCues?.length ?? 0 }, (_, i) => (t.activeCues![i] as VTTCue).text));
      const until = Date.now() + ms;
      await new Promise<void>((resolve) => {
        const read = () => {
          const at = Date.now();
          g.drawImage(video, 0, 0, layout.refWidth, (layout.refWidth * video.videoHeight) / video.videoWidth);
          const strip = g.getImageData(0, 0, layout.refWidth, layout.stripHeight).data;
          let counter = 0;
          for (let k = 0; k < bits; k++) {
            const x = Math.round(layout.x0 + k * layout.pitch + layout.size / 2);
            const y = Math.round(layout.y0 + layout.size / 2);
            if (strip[(y * layout.refWidth + x) * 4]! > 128) counter += 2 ** k;
          }
          out.push({ counter, at, ...(captions ? { cues: showing() } : {}) });
          if (Date.now() < until) video.requestVideoFrameCallback(read);
          else resolve();
        };
        video.requestVideoFrameCallback(read);
      });
      return out;
    },
    { select, ms, layout: COUNTER_LAYOUT, bits: COUNTER_BITS, shadowHost: o.shadowHost ?? null, captions: o.captions === true },
  );
}
