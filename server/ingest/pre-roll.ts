/** One media message of a publish, kept for a reader that joins after it was relayed. */
export interface HeldMessage {
  readonly kind: 'audio' | 'video';
  readonly timestampMs: number;
  readonly keyframe: boolean;
  readonly payload: Buffer;
}

/** How much a pre-roll keeps at most. */
export interface PreRollLimits {
  /** Media time, first held message to last. */
  readonly maxMs: number;
  readonly maxBytes: number;
}

/**
 * The media of one publish from its first message, held until the master's reader joins. The
 * reader connects only after the ingest has announced the publish and the pipeline has spawned its
 * FFmpeg, by which time the encoder's first frames have been relayed to nobody; the master is
 * every frame the ingest accepted, so they are handed to it first. Held by whole GOPs: when the
 * reader joins later than the limits allow (an encoder connected long before the hearing opened),
 * the oldest GOPs go, so the master still starts on a keyframe. Handed over once per publish:
 * a master reader restarted later must not record the same frames twice.
 */
export class PreRoll {
  private gops: HeldMessage[][] = [];
  private bytes = 0;
  private taken = false;

  constructor(private readonly limits: PreRollLimits) {}

  /** Keeps a message (a copy: the parser reuses its buffer). Sequence headers are not media: the reader gets the current ones on joining. */
  add(m: Omit<HeldMessage, 'payload'> & { readonly payload: Buffer; readonly sequenceHeader: boolean }): void {
    if (this.taken || m.sequenceHeader) return;
    if (m.keyframe || this.gops.length === 0) this.gops.push([]);
    (this.gops.at(-1) as HeldMessage[]).push({ kind: m.kind, timestampMs: m.timestampMs, keyframe: m.keyframe, payload: Buffer.from(m.payload) });
    this.bytes += m.payload.length;
    this.trim();
  }

  private trim(): void {
    while (this.gops.length > 1 && (this.spanMs() > this.limits.maxMs || this.bytes > this.limits.maxBytes)) this.dropOldest();
    // One GOP larger than the whole bound (an encoder that sends no keyframes) is not kept either.
    if (this.bytes > this.limits.maxBytes) this.dropOldest();
  }

  private dropOldest(): void {
    for (const m of this.gops.shift() ?? []) this.bytes -= m.payload.length;
  }

  private spanMs(): number {
    const first = this.gops[0]?.[0];
    const last = this.gops.at(-1)?.at(-1);
    return first && last ? last.timestampMs - first.timestampMs : 0;
  }

  /** Everything held, oldest first, once; from then on nothing is kept. */
  take(): HeldMessage[] {
    if (this.taken) return [];
    this.taken = true;
    const out = this.gops.flat();
    this.gops = [];
    this.bytes = 0;
    return out;
  }

  /** Bytes held now. */
  get heldBytes(): number {
    return this.bytes;
  }
}
