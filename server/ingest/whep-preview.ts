import { CourtcastError } from '../domain/errors.ts';
import type { Logger } from '../domain/logger.ts';
import { FfmpegProcess } from '../media/ffmpeg-process.ts';
import { previewFeedSpec } from '../media/rtp-gateway.ts';
import type { Feed, Subscriber, WebRtcEndpoint } from '../webrtc/endpoint.ts';
import type { Ingest } from './ingest.ts';

export interface WhepPreviewOptions {
  readonly endpoint: WebRtcEndpoint;
  readonly ingest: Pick<Ingest, 'pullUrl' | 'isPublishing' | 'secrets'>;
  readonly ffmpegPath: string;
  readonly logger: Logger;
  /** Viewers of previews on this node at most. */
  readonly maxViewers: number;
  /** A courtroom's feed with no viewer this long is stopped. */
  readonly idleMs?: number;
}

/** One courtroom's feed: an FFmpeg pulling the ingest into a WebRTC feed, and who watches it. */
interface CourtroomFeed {
  readonly courtroomId: string;
  readonly feed: Feed;
  relay: FfmpegProcess | null;
  readonly viewers: Map<string, { readonly subscriber: Subscriber; readonly allowed: () => boolean }>;
  idleSince: number;
  closing: boolean;
}

/**
 * WHEP previews for staff: the courtroom as ingested (undelayed, never public), over WebRTC, for
 * RTMP, SRT and WHIP sources alike since all come through the RTMP ingest. One FFmpeg per
 * courtroom feeds every viewer of it; it starts with the first viewer and stops a little after
 * the last. Each viewer's right is asked again every second, so a clerk whose account ends or
 * who no longer serves the courtroom loses the picture at once.
 */
export class WhepPreview {
  private readonly feeds = new Map<string, CourtroomFeed>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly o: WhepPreviewOptions) {
    this.timer = setInterval(() => this.sweep(), 1_000);
    this.timer.unref();
  }

  /** Viewers of previews on this node now. */
  get viewerCount(): number {
    let n = 0;
    for (const f of this.feeds.values()) n += f.viewers.size;
    return n;
  }

  /** Answers a viewer's offer with the courtroom's picture and sound; its rights already checked. */
  async subscribe(courtroomId: string, offer: string, allowed: () => boolean): Promise<{ readonly sessionId: string; readonly answer: string }> {
    if (this.closed) throw new CourtcastError('BUSY', 'the server is shutting down');
    if (!this.o.ingest.isPublishing(courtroomId)) throw new CourtcastError('CONFLICT', 'the camera is not sending: nothing to preview');
    if (this.viewerCount >= this.o.maxViewers) throw new CourtcastError('BUSY', 'this server takes no more WebRTC previews now');
    const f = await this.feedOf(courtroomId);
    const subscriber = await this.o.endpoint.subscribe(offer, f.feed);
    f.viewers.set(subscriber.id, { subscriber, allowed });
    subscriber.onEnded(() => void this.end(subscriber.id));
    return { sessionId: subscriber.id, answer: subscriber.answer };
  }

  belongsTo(sessionId: string, courtroomId: string): boolean {
    return this.feeds.get(courtroomId)?.viewers.has(sessionId) ?? false;
  }

  /** Ends one viewer's session; safe to call twice. */
  async end(sessionId: string): Promise<void> {
    for (const f of this.feeds.values()) {
      const v = f.viewers.get(sessionId);
      if (!v) continue;
      f.viewers.delete(sessionId);
      if (f.viewers.size === 0) f.idleSince = Date.now();
      await v.subscriber.close();
    }
  }

  private async feedOf(courtroomId: string): Promise<CourtroomFeed> {
    const found = this.feeds.get(courtroomId);
    if (found && !found.closing) return found;
    const f: CourtroomFeed = { courtroomId, feed: await this.o.endpoint.feed(), relay: null, viewers: new Map(), idleSince: Date.now(), closing: false };
    this.feeds.set(courtroomId, f);
    this.startRelay(f);
    return f;
  }

  private startRelay(f: CourtroomFeed): void {
    const relay = new FfmpegProcess(previewFeedSpec({ pullUrl: this.o.ingest.pullUrl(f.courtroomId, { fromKeyframe: true }), ports: f.feed.ports }), {
      ffmpegPath: this.o.ffmpegPath,
      logger: this.o.logger,
      tags: { courtroomId: f.courtroomId, role: 'whep-feed' },
      secrets: this.o.ingest.secrets,
    });
    f.relay = relay;
    relay.on('exit', () => {
      if (f.closing || f.relay !== relay) return;
      // The encoder reconnected or the pull failed: pull again while anyone watches.
      setTimeout(() => {
        if (!f.closing && f.viewers.size > 0) this.startRelay(f);
      }, 500).unref();
    });
    relay.start();
  }

  /** Once a second: viewers who lost their rights, and feeds nobody watches. */
  private sweep(): void {
    for (const f of this.feeds.values()) {
      for (const [id, v] of f.viewers) if (!v.allowed()) void this.end(id);
      if (f.viewers.size === 0 && Date.now() - f.idleSince > (this.o.idleMs ?? 10_000)) void this.stop(f);
    }
  }

  private async stop(f: CourtroomFeed): Promise<void> {
    if (f.closing) return;
    f.closing = true;
    this.feeds.delete(f.courtroomId);
    await Promise.all([...f.viewers.values()].map((v) => v.subscriber.close()));
    f.viewers.clear();
    await f.relay?.close();
    f.feed.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.all([...this.feeds.values()].map((f) => this.stop(f)));
  }
}
