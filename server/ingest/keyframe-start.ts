import type { RtmpMediaMessage } from './rtmp-media-hook.ts';

/** What the gate switches on a node-media-server player session. */
export interface PlayerSwitches {
  isReceiveAudio: boolean;
  isReceiveVideo: boolean;
}

/** Where one held player stands: waiting for a keyframe, or started at one (its timestamp). */
type Hold = { readonly waiting: true } | { readonly waiting: false; readonly from: number };

/** Once audio this far past the keyframe has gone through, the player needs no more gating. */
const SETTLED_MS = 2_000;

/**
 * Starts a player at a keyframe of its publisher's, sound and picture together: the one in progress
 * when the ingest hands it over (see GopInProgress), or else the next. NMS relays every
 * message from the moment a player joins, but a decoder can only start its picture at a keyframe,
 * so the transcoder would otherwise get up to a GOP of sound from before its first picture. That
 * sound would lead every rung's first segment and shift the audio-only rung's segment boundaries
 * off the video rungs' (an audio-only HLS rung is cut from its first packet), so slot N of two
 * rungs would hold media captured at different times. Held here, every rung starts on the same
 * frame: sound older than the keyframe never reaches the transcoder.
 */
export class KeyframeStart {
  private readonly holds = new Map<string, Hold>();

  /** Holds a player's sound and picture until its publisher's next keyframe. */
  hold(playerId: string, player: PlayerSwitches): void {
    player.isReceiveAudio = false;
    player.isReceiveVideo = false;
    this.holds.set(playerId, { waiting: true });
  }

  /** Whether a player is held, waiting for a keyframe. */
  waiting(playerId: string): boolean {
    return this.holds.get(playerId)?.waiting === true;
  }

  /**
   * A held player was handed the publisher's GOP in progress (GopInProgress), from a keyframe
   * stamped `fromMs`: its picture flows from now on, and its sound from that keyframe on.
   */
  startedAt(playerId: string, player: PlayerSwitches, fromMs: number): void {
    player.isReceiveVideo = true;
    this.holds.set(playerId, { waiting: false, from: fromMs });
  }

  /** Whether any player is still gated (a cheap check before looking at a publisher's players). */
  get active(): boolean {
    return this.holds.size > 0;
  }

  /**
   * Decides, before NMS relays one message of a publisher, whether each held player gets it: a
   * keyframe starts the picture, and from then on sound stamped before that keyframe is left out.
   */
  beforeRelay(message: Pick<RtmpMediaMessage, 'kind' | 'timestampMs' | 'keyframe'>, players: Iterable<[string, PlayerSwitches]>): void {
    for (const [id, player] of players) {
      const hold = this.holds.get(id);
      if (!hold) continue;
      if (hold.waiting) {
        if (message.kind !== 'video' || !message.keyframe) continue;
        player.isReceiveVideo = true;
        this.holds.set(id, { waiting: false, from: message.timestampMs });
        continue;
      }
      if (message.kind !== 'audio') continue;
      player.isReceiveAudio = message.timestampMs >= hold.from;
      if (message.timestampMs >= hold.from + SETTLED_MS) this.holds.delete(id);
    }
  }

  /** Forgets a player that went away. */
  forget(playerId: string): void {
    this.holds.delete(playerId);
  }
}
