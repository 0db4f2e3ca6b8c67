/**
 * The court's date and time drawn on the public picture. The transcoder keeps the encoder's
 * timestamps, so a frame's capture instant is its PTS plus the ingest clock's offset; drawtext
 * adds that offset to each frame's PTS itself. The offset lives in a small text file that
 * drawtext re-reads on every frame, so the pipeline can correct it (clock drift, a daylight-saving
 * change) without restarting the transcoder. Pure builders; no I/O here.
 */

/** Where the time sits on the picture. */
export const OVERLAY_POSITIONS = ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const;
export type OverlayPosition = (typeof OVERLAY_POSITIONS)[number];

/** How the overlay looks. Sizes are fractions of the picture height, so every rung agrees. */
export interface OverlayStyle {
  readonly position: OverlayPosition;
  /** Text height as a fraction of the picture height. */
  readonly size: number;
}

/** Escapes a value for a filtergraph option (quotes, colons, backslashes). */
function escapeOption(v: string): string {
  return v.replace(/[\\':,;[\]]/g, (c) => `\\${c}`);
}

/** The drawtext filter that shows the text file's contents: white on an opaque black box. */
export function timeOverlayFilter(textFile: string, style: OverlayStyle): string {
  const margin = 'h*0.03';
  const x = style.position.endsWith('left') ? margin : `w-tw-${margin}`;
  const y = style.position.startsWith('top') ? margin : `h-th-${margin}`;
  return [
    `drawtext=textfile=${escapeOption(textFile)}`,
    'reload=1',
    'fontcolor=white',
    `fontsize=h*${style.size}`,
    `x=${x}`,
    `y=${y}`,
    'box=1',
    'boxcolor=black',
    'boxborderw=6',
  ].join(':');
}

/**
 * The text file's contents: a drawtext expansion that renders PTS + `offsetSeconds` as a date and
 * time (in UTC, so the offset carries the zone's own offset too), then the zone's label.
 */
export function overlayText(offsetSeconds: number, zoneLabel: string): string {
  const label = zoneLabel.replace(/[^A-Za-z0-9+\-:. ]/g, '');
  return `%{pts:gmtime:${offsetSeconds.toFixed(3)}:%Y-%m-%d %H\\:%M\\:%S} ${label}`;
}

/** A zone's offset from UTC at an instant, in ms, and its label ("GMT+8"). */
export function zoneAt(timeZone: string, atMs: number): { offsetMs: number; label: string } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(new Date(atMs));
  const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  const offsetMs = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3_600_000 + Number(m[3]) * 60_000) : 0;
  const short = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'shortOffset' }).formatToParts(new Date(atMs)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  return { offsetMs, label: short };
}
