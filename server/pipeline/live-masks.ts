import type { Mask } from '../domain/masks.ts';
import { liveSlotName } from '../media/args.ts';
import type { MediaLogger } from '../media/ffmpeg-process.ts';
import { ZmqCommandClient } from '../media/zmq-client.ts';

/** One use of a slot in one FFmpeg run: when FFmpeg acknowledged switching it on and off. */
interface SlotUse {
  readonly run: number;
  readonly slot: number;
  readonly maskId: string;
  on: number | null;
  off: number | null;
}

/** How a slot stood over a segment, by DESIGN.md's three cases. */
export type SlotCoverage = 'full' | 'none' | 'mixed';

const pct = (v: number): string => v.toFixed(4);

/**
 * Live black-box masks through FFmpeg's zmq filter. A mask gets a free slot, its region is set
 * and the slot enabled; the reply's arrival time A is recorded. Every frame filtered after A has
 * the box, and a frame cannot be filtered before it is captured, nor after its segment completes,
 * so a segment whose capture starts at or after A is wholly boxed, one completed by A is wholly
 * clear, and anything else is mixed (the gate then re-renders or slates it).
 */
export class LiveMaskSlots {
  private client: ZmqCommandClient | null = null;
  private run = 0;
  private readonly uses: SlotUse[] = [];
  /** Masks that hold a slot now, by slot. */
  private readonly held = new Map<number, Mask>();

  constructor(
    readonly port: number,
    readonly slots: number,
    private readonly logger: MediaLogger,
  ) {}

  /**
   * A new FFmpeg run started: its filter answers once the input is open. Slots start disabled,
   * so every held mask is switched on again.
   */
  async newRun(run: number, timeoutMs = 20_000): Promise<void> {
    this.client?.close();
    this.run = run;
    const client = new ZmqCommandClient(this.port);
    this.client = client;
    const deadline = Date.now() + timeoutMs;
    while (this.client === client && Date.now() < deadline) {
      const r = await client.send(`${liveSlotName(0)} enable 0`).catch(() => null);
      if (r?.code === 0) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    if (this.client !== client) return;
    for (const [slot, mask] of this.held) await this.switchOn(slot, mask);
  }

  /** The run ended: slots are gone with it. */
  endRun(run: number, at: number): void {
    for (const u of this.uses) if (u.run === run && u.off === null) u.off = at;
  }

  /** Takes a slot for a live black mask, if one is free. Returns whether it did. */
  async apply(mask: Mask): Promise<boolean> {
    if (mask.kind !== 'black' || !mask.region || mask.end !== null) return false;
    const slot = [...Array(this.slots).keys()].find((i) => !this.held.has(i));
    if (slot === undefined) return false;
    this.held.set(slot, mask);
    await this.switchOn(slot, mask);
    return true;
  }

  /** Frees a mask's slot. */
  async lift(maskId: string): Promise<void> {
    for (const [slot, m] of this.held) {
      if (m.id !== maskId) continue;
      this.held.delete(slot);
      const use = this.uses.find((u) => u.run === this.run && u.slot === slot && u.maskId === maskId && u.off === null);
      try {
        const r = await this.client?.send(`${liveSlotName(slot)} enable 0`);
        if (use) use.off = r?.code === 0 ? r.ackedAt : Number.POSITIVE_INFINITY;
      } catch (err) {
        // Unknown state: the box may still be on, which only masks more; never claim it is off.
        if (use) use.off = Number.POSITIVE_INFINITY;
        this.logger.warn({ err, slot }, 'could not switch a live mask slot off');
      }
    }
  }

  private async switchOn(slot: number, mask: Mask): Promise<void> {
    const r = mask.region!;
    const name = liveSlotName(slot);
    const use: SlotUse = { run: this.run, slot, maskId: mask.id, on: null, off: null };
    this.uses.push(use);
    try {
      for (const cmd of [`w max(2\\,trunc(iw*${pct(r.w)}/2)*2)`, `h max(2\\,trunc(ih*${pct(r.h)}/2)*2)`, `x trunc(iw*${pct(r.x)}/2)*2`, `y trunc(ih*${pct(r.y)}/2)*2`, 'enable 1']) {
        const reply = await this.client!.send(`${name} ${cmd}`);
        if (reply.code !== 0) throw new Error(`FFmpeg refused "${name} ${cmd}": ${reply.code} ${reply.message}`);
        if (cmd === 'enable 1') use.on = reply.ackedAt;
      }
    } catch (err) {
      // Without an ack nothing is proven: the gate re-renders or slates these segments.
      this.logger.warn({ err, slot, maskId: mask.id }, 'live mask slot could not be set');
    }
  }

  /**
   * How the slot that carried `maskId` stood over a segment of `run` captured over
   * [start, end) and completed at `end`.
   */
  coverage(maskId: string, run: number, span: { start: number; end: number }): SlotCoverage {
    const uses = this.uses.filter((u) => u.run === run && u.maskId === maskId);
    if (uses.length === 0) return 'none';
    for (const u of uses) {
      if (u.on !== null && u.on <= span.start && (u.off === null || u.off >= span.end)) return 'full';
    }
    const clear = uses.every((u) => u.on === null ? false : u.on >= span.end || (u.off !== null && u.off <= span.start));
    return clear ? 'none' : 'mixed';
  }

  /** Closes the zmq connection. */
  close(): void {
    this.client?.close();
    this.client = null;
  }
}
