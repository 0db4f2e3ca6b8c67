import type { Mask } from '../domain/masks.ts';
import type { MediaLogger } from '../media/ffmpeg-process.ts';
import { isAudioSlot, SLOT_KINDS, slotOffCommand, slotOnCommands, type LiveSlotPlan, type SlotKind } from '../media/live-slots.ts';
import { ZmqCommandClient } from '../media/zmq-client.ts';

/** One use of a slot in one FFmpeg run: when FFmpeg acknowledged switching it on and off. */
interface SlotUse {
  readonly run: number;
  readonly kind: SlotKind;
  readonly slot: number;
  readonly maskId: string;
  on: number | null;
  off: number | null;
}

/** How a slot stood over a segment, by DESIGN.md's three cases. */
export type SlotCoverage = 'full' | 'none' | 'mixed';

/**
 * How much earlier than a segment's capture start a slot must have been on (and how much after
 * its end it must still be on) for the proof to hold. Pictures need none: a frame is filtered
 * after it is captured and before its segment completes. Sound gets a margin: the muxer may file
 * a few audio packets captured just before a segment's first frame into it.
 */
const MARGIN_MS: Record<SlotKind, number> = { black: 0, blur: 0, pixelate: 0, mute: 300 };

const isSlotKind = (k: string): k is SlotKind => (SLOT_KINDS as readonly string[]).includes(k);

/**
 * Live masks through FFmpeg's zmq filters. A mask gets a free slot of its kind, its commands go
 * as one batch, and the arrival time A of the reply to the last one (the switch) is recorded.
 * Every frame filtered after A carries the mask, and a frame cannot be filtered before it is
 * captured, nor after its segment completes, so a segment whose capture starts at or after A is
 * wholly masked, one completed by A is wholly clear, and anything else is mixed (the gate then
 * re-renders or slates it).
 */
export class LiveMaskSlots {
  private video: ZmqCommandClient | null = null;
  private audio: ZmqCommandClient | null = null;
  private run = 0;
  private readonly uses: SlotUse[] = [];
  /** Masks that hold a slot now, by `kind:slot`. */
  private readonly held = new Map<string, { kind: SlotKind; slot: number; mask: Mask }>();

  constructor(
    readonly plan: LiveSlotPlan,
    private readonly logger: MediaLogger,
  ) {}

  private client(kind: SlotKind): ZmqCommandClient | null {
    return isAudioSlot(kind) ? this.audio : this.video;
  }

  /**
   * A new FFmpeg run started: its filters answer once the input is open. Slots start disabled,
   * so every held mask is switched on again.
   */
  async newRun(run: number, timeoutMs = 20_000): Promise<void> {
    this.close();
    this.run = run;
    const video = new ZmqCommandClient(this.plan.videoPort);
    const audio = new ZmqCommandClient(this.plan.audioPort);
    this.video = video;
    this.audio = audio;
    const deadline = Date.now() + timeoutMs;
    const current = () => this.video === video;
    // Switching slot 0 off is a no-op on a fresh run, so it serves as the readiness probe.
    for (const [client, kind] of [[video, 'black'], [audio, 'mute']] as const) {
      while (current() && Date.now() < deadline) {
        const r = await client.send(slotOffCommand(kind, 0)).catch(() => null);
        if (r?.code === 0) break;
        await new Promise((res) => setTimeout(res, 200));
      }
    }
    if (!current()) return;
    for (const h of this.held.values()) await this.switchOn(h.kind, h.slot, h.mask);
  }

  /** The run ended: slots are gone with it. */
  endRun(run: number, at: number): void {
    for (const u of this.uses) if (u.run === run && u.off === null) u.off = at;
  }

  /** Takes a slot for a live mask, if its kind has one free. Returns whether it did. */
  async apply(mask: Mask): Promise<boolean> {
    if (!isSlotKind(mask.kind) || mask.end !== null) return false;
    const kind = mask.kind;
    const slot = [...Array(this.plan.perKind).keys()].find((i) => !this.held.has(`${kind}:${i}`));
    if (slot === undefined) return false;
    this.held.set(`${kind}:${slot}`, { kind, slot, mask });
    await this.switchOn(kind, slot, mask);
    return true;
  }

  /** Frees a mask's slot. */
  async lift(maskId: string): Promise<void> {
    for (const [key, h] of this.held) {
      if (h.mask.id !== maskId) continue;
      this.held.delete(key);
      const use = this.uses.find((u) => u.run === this.run && u.kind === h.kind && u.slot === h.slot && u.maskId === maskId && u.off === null);
      try {
        const r = await this.client(h.kind)?.send(slotOffCommand(h.kind, h.slot));
        if (use) use.off = r?.code === 0 ? r.ackedAt : Number.POSITIVE_INFINITY;
      } catch (err) {
        // Unknown state: the slot may still be on, which only masks more; never claim it is off.
        if (use) use.off = Number.POSITIVE_INFINITY;
        this.logger.warn({ err, kind: h.kind, slot: h.slot }, 'could not switch a live mask slot off');
      }
    }
  }

  private async switchOn(kind: SlotKind, slot: number, mask: Mask): Promise<void> {
    const use: SlotUse = { run: this.run, kind, slot, maskId: mask.id, on: null, off: null };
    this.uses.push(use);
    try {
      const client = this.client(kind);
      if (!client) throw new Error('no FFmpeg run to command');
      const commands = slotOnCommands(kind, slot, mask.region ? { region: mask.region } : {});
      const replies = await client.sendBatch(commands);
      const refused = replies.findIndex((r) => r.code !== 0);
      if (refused >= 0) throw new Error(`FFmpeg refused "${commands[refused]}": ${replies[refused]!.code} ${replies[refused]!.message}`);
      use.on = replies.at(-1)!.ackedAt;
    } catch (err) {
      // Without an ack nothing is proven: the gate re-renders or slates these segments.
      this.logger.warn({ err, kind, slot, maskId: mask.id }, 'live mask slot could not be set');
    }
  }

  /**
   * How the slot that carried `maskId` stood over a segment of `run` captured over
   * [start, end) and completed at `end`.
   */
  coverage(maskId: string, run: number, span: { start: number; end: number }): SlotCoverage {
    const uses = this.uses.filter((u) => u.run === run && u.maskId === maskId);
    if (uses.length === 0) return 'none';
    const m = MARGIN_MS[uses[0]!.kind];
    for (const u of uses) {
      if (u.on !== null && u.on <= span.start - m && (u.off === null || u.off >= span.end + m)) return 'full';
    }
    const clear = uses.every((u) => (u.on === null ? false : u.on >= span.end + m || (u.off !== null && u.off <= span.start - m)));
    return clear ? 'none' : 'mixed';
  }

  /** Closes the zmq connections. */
  close(): void {
    this.video?.close();
    this.audio?.close();
    this.video = null;
    this.audio = null;
  }
}
