import type { Mask } from '../domain/masks.ts';
import type { Logger } from '../domain/logger.ts';
import { isAudioSlot, liveSlotOf, slotOffCommand, slotOnCommands, slotWindowCommand, type LiveSlotPlan, type SlotKind } from '../media/live-slots.ts';
import { ZmqCommandClient } from '../media/zmq-client.ts';
import type { CaptureClock } from './capture-dating.ts';
import type { CompletedSegment } from './segment-watcher.ts';
import { maskWindow, stampOf, type SlotStamp, type SlotUse } from './slot-proof.ts';


/**
 * How long a finished slot use is kept for proofs: longer than the longest delay, after which
 * every segment it could prove has been released.
 */
const RETAIN_MS = 40 * 60_000;

/**
 * Live masks through FFmpeg's zmq filters. A mask gets a free slot of its kind and its commands
 * go as one batch. On an input with an ingest clock (RTMP) the slot is switched on for a window
 * of media time, from the frame captured at the mask's start (and, once lifted, to the frame
 * captured at its end), so it acts on exactly those frames however far behind the transcoder
 * runs; slot-proof.ts proves each segment frame by frame. Without a clock the slot acts on
 * whatever FFmpeg processes after the ack, and segments are proven by when they were produced.
 * Anything unproven is re-rendered or carded by the gate.
 */
export class LiveMaskSlots {
  private video: ZmqCommandClient | null = null;
  private audio: ZmqCommandClient | null = null;
  private run = 0;
  private clock: CaptureClock | null = null;
  private readonly uses: SlotUse[] = [];
  /** The same uses by mask: the gate asks for every pending segment at every tick. */
  private readonly usesOf = new Map<string, SlotUse[]>();
  /** Masks that hold a slot now, by `kind:slot`. */
  private readonly held = new Map<string, { kind: SlotKind; slot: number; mask: Mask }>();
  /** When each use stopped changing (lifted, reassigned, or its run ended): kept RETAIN_MS after. */
  private readonly retiredAt = new Map<SlotUse, number>();
  /** When each slot was last given up, by `kind:slot`: the longest-free slot is reused first. */
  private readonly freedAt = new Map<string, number>();

  constructor(
    readonly plan: LiveSlotPlan,
    private readonly logger: Logger,
    private readonly fps: number,
    private readonly now: () => number = Date.now,
  ) {}

  private client(kind: SlotKind): ZmqCommandClient | null {
    return isAudioSlot(kind) ? this.audio : this.video;
  }

  /**
   * A new FFmpeg run started, reading an input with `clock` (or none): its filters answer once
   * the input is open. Slots start disabled, so every held mask is switched on again.
   */
  async newRun(run: number, clock: CaptureClock | null = null, timeoutMs = 20_000): Promise<void> {
    this.close();
    this.run = run;
    this.clock = clock;
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
    for (const u of this.uses) {
      if (u.run !== run) continue;
      if (u.off === null) u.off = at;
      if (!this.retiredAt.has(u)) this.retiredAt.set(u, at);
    }
  }

  /** Takes a slot for a live mask, if its kind has one free. Returns whether it did. */
  async apply(mask: Mask): Promise<boolean> {
    const kind = liveSlotOf(mask.kind);
    if (kind === null || mask.end !== null) return false;
    const free = [...Array(this.plan.perKind).keys()].filter((i) => !this.held.has(`${kind}:${i}`));
    const slot = free.sort((a, b) => (this.freedAt.get(`${kind}:${a}`) ?? 0) - (this.freedAt.get(`${kind}:${b}`) ?? 0))[0];
    if (slot === undefined) return false;
    this.held.set(`${kind}:${slot}`, { kind, slot, mask });
    await this.switchOn(kind, slot, mask);
    return true;
  }

  /** Frees a mask's slot; `end` is the capture instant of the lift (the mask's end). */
  async lift(maskId: string, end: number): Promise<void> {
    for (const [key, h] of this.held) {
      if (h.mask.id !== maskId) continue;
      this.held.delete(key);
      this.freedAt.set(key, this.now());
      const use = this.uses.find((u) => u.run === this.run && u.kind === h.kind && u.slot === h.slot && u.maskId === maskId && u.off === null && u.until === null);
      if (use) this.retiredAt.set(use, this.now());
      const window = use?.window && use.clock ? maskWindow(use.clock, h.mask.start, end, h.kind, this.fps) : null;
      try {
        if (use && window) {
          // The slot stays on for media up to the lift, which the transcoder may not have read
          // yet; whatever happens to this command, the slot masks at least the narrowed window.
          use.window = window;
          const r = await this.client(h.kind)?.send(slotWindowCommand(h.kind, h.slot, window));
          if (r?.code !== 0) this.logger.warn({ kind: h.kind, slot: h.slot, reply: r }, 'FFmpeg refused to narrow a live mask slot');
          continue;
        }
        // A windowed slot whose end cannot be placed is switched off: frames read after that prove nothing.
        if (use?.window) use.until = this.now();
        const r = await this.client(h.kind)?.send(slotOffCommand(h.kind, h.slot));
        if (use) use.off = r?.code === 0 ? r.ackedAt : Number.POSITIVE_INFINITY;
      } catch (err) {
        // Unknown state: the slot may still be on, which only masks more; never claim it is off.
        if (use && !use.window) use.off = Number.POSITIVE_INFINITY;
        this.logger.warn({ err, kind: h.kind, slot: h.slot }, 'could not switch a live mask slot off');
      }
    }
  }

  private async switchOn(kind: SlotKind, slot: number, mask: Mask): Promise<void> {
    const at = this.now();
    // Whatever this slot carried before is gone for frames read from now on.
    for (const u of this.uses) {
      if (u.kind !== kind || u.slot !== slot || u.until !== null) continue;
      u.until = at;
      if (!this.retiredAt.has(u)) this.retiredAt.set(u, at);
    }
    this.prune(at);
    const window = this.clock ? maskWindow(this.clock, mask.start, null, kind, this.fps) : null;
    const use: SlotUse = { run: this.run, kind, slot, maskId: mask.id, on: null, window, off: null, until: null, clock: window ? this.clock : null };
    this.uses.push(use);
    this.usesOf.set(mask.id, [...(this.usesOf.get(mask.id) ?? []), use]);
    try {
      const client = this.client(kind);
      if (!client) throw new Error('no FFmpeg run to command');
      const commands = slotOnCommands(kind, slot, mask.region ? { region: mask.region } : {}, window);
      const replies = await client.sendBatch(commands);
      const refused = replies.findIndex((r) => r.code !== 0);
      if (refused >= 0) throw new Error(`FFmpeg refused "${commands[refused]}": ${replies[refused]!.code} ${replies[refused]!.message}`);
      use.on = replies.at(-1)!.ackedAt;
    } catch (err) {
      // Without an ack nothing is proven: the gate re-renders or slates these segments.
      this.logger.warn({ err, kind, slot, maskId: mask.id }, 'live mask slot could not be set');
    }
  }

  /** How many slot uses are kept for proofs (bounded: retired ones are forgotten after RETAIN_MS). */
  get retained(): number {
    return this.uses.length;
  }

  /** Forgets uses retired longer ago than any segment they could prove can still be pending. */
  private prune(now: number): void {
    const stale = (u: SlotUse): boolean => (this.retiredAt.get(u) ?? now) < now - RETAIN_MS;
    if (!this.uses.some(stale)) return;
    const kept = this.uses.filter((u) => !stale(u));
    for (const u of this.uses) if (stale(u)) this.retiredAt.delete(u);
    this.uses.splice(0, this.uses.length, ...kept);
    this.usesOf.clear();
    for (const u of kept) this.usesOf.set(u.maskId, [...(this.usesOf.get(u.maskId) ?? []), u]);
  }

  /**
   * What the slots did to a segment that just completed, by mask (pipeline/slot-proof.ts): every
   * frame of it has been read, so this is final, and the gate decides from the segment alone.
   */
  stamp(segment: CompletedSegment): Record<string, SlotStamp> {
    const out: Record<string, SlotStamp> = {};
    for (const u of this.uses) {
      if (u.run !== segment.run) continue;
      const st = stampOf(u, segment, this.fps);
      const prev = out[u.maskId];
      if (!prev) out[u.maskId] = st;
      else if (st.whole || prev.whole) out[u.maskId] = { whole: true };
      else if (st.frames || prev.frames) out[u.maskId] = { frames: (st.frames ?? prev.frames ?? []).map((v, k) => v || prev.frames?.[k] === true) };
    }
    return out;
  }

  /** Closes the zmq connections. */
  close(): void {
    this.video?.close();
    this.audio?.close();
    this.video = null;
    this.audio = null;
  }
}
