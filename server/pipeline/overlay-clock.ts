import { renameSync, writeFileSync } from 'node:fs';
import { overlayText, zoneAt } from '../media/time-overlay.ts';
import type { CaptureClock } from './capture-dating.ts';

/** Samples of the clock's offset kept for the median: a few seconds of arrivals. */
const SAMPLES = 5;
/** A change smaller than this is jitter in packet arrival, not a change of offset. */
const REWRITE_MS = 40;

/**
 * Keeps the overlay's text file in step with the ingest clock: capture instant = PTS + offset,
 * where the offset is the median of recent (arrival - timestamp) readings of the newest media,
 * so one late packet does not move the time on the picture. Until the clock has seen media the
 * file is empty and nothing is drawn. Writes are atomic (write, then rename), so drawtext, which
 * re-reads the file every frame, never reads half a file.
 */
export class OverlayClock {
  private samples: number[] = [];
  private sampled: CaptureClock | null = null;
  private written: { offsetMs: number; label: string } | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly o: {
      readonly file: string;
      readonly timeZone: string;
      readonly clock: () => CaptureClock | null;
      readonly now?: () => number;
      readonly everyMs?: number;
    },
  ) {
    this.write('');
  }

  start(): this {
    this.timer ??= setInterval(() => this.tick(), this.o.everyMs ?? 500);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Takes one reading and rewrites the file when the offset or the zone changed. */
  tick(): void {
    const clock = this.o.clock();
    if (!clock || clock.latest === null || clock.latestAt === null) return;
    // A new connection has a clock of its own, with its own offset.
    if (clock !== this.sampled) this.samples = [];
    this.sampled = clock;
    this.samples.push(clock.latestAt - clock.latest);
    if (this.samples.length > SAMPLES) this.samples.shift();
    const sorted = [...this.samples].sort((a, b) => a - b);
    const offsetMs = sorted[Math.floor(sorted.length / 2)] as number;
    const zone = zoneAt(this.o.timeZone, (this.o.now ?? Date.now)());
    const w = this.written;
    if (w && Math.abs(w.offsetMs - offsetMs) < REWRITE_MS && w.label === zone.label) return;
    this.written = { offsetMs, label: zone.label };
    this.write(overlayText((offsetMs + zone.offsetMs) / 1000, zone.label));
  }

  private write(text: string): void {
    const tmp = `${this.o.file}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.o.file);
  }
}
