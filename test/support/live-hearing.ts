import type { CourtcastOptions } from '../../server/courtcast.ts';
import { TestEncoder } from './encoder.ts';
import { PublicFeed } from './public-feed.ts';
import { seedHearing, startTestServer, TEST_LADDER, type TestServer, waitForEncoder } from './server.ts';

/** The instants just before a request left and just after its answer came. */
export interface Sent {
  readonly before: number;
  readonly after: number;
}

/** What a live-hearing test needs: a server, a cleared hearing, its encoder and the public feed. */
export interface LiveHearing {
  readonly s: TestServer;
  readonly courtId: string;
  readonly courtroomId: string;
  readonly hearingId: string;
  readonly streamKey: string;
  /** The synthetic encoder, connected; a test that restarts it puts the new one here. */
  encoder: TestEncoder;
  /** The public playlist of the first rung, polled from the start. */
  readonly feed: PublicFeed;
  /** A broadcast command (`open`, `start`, `cut`…) as the admin; fails the test unless it is taken. */
  command(name: string, body?: Record<string, unknown>): Promise<Sent>;
  /** Ends the broadcast and waits until the public playlist says so. */
  end(drainMs: number): Promise<Sent>;
  /** Stops the feed, kills the encoder and closes the server, whatever state each is in. */
  close(): Promise<void>;
}

export interface LiveHearingOptions {
  /** Configuration over the tests' defaults (support/server.ts), `media` merged over theirs. */
  readonly config?: Record<string, unknown>;
  readonly serverOptions?: Omit<CourtcastOptions, 'logger' | 'slateCacheDir'>;
  readonly delaySeconds: number;
  /** The court's time zone (the seeded court's default otherwise). */
  readonly timezone?: string;
  /** The encoder's sound: the time code (default) or a steady tone for pitch tests. */
  readonly sound?: 'timecode' | 'tone';
  readonly encoderSize?: { width: number; height: number };
  /** How often the public feed is polled, in ms. */
  readonly pollMs?: number;
  /**
   * How the broadcast begins: `open` (the starting slate airs while the encoder connects, then
   * the caller starts) or `start` (started before the encoder connects). Either way the broadcast
   * is opened first: the encoder's state that the fixture waits on belongs to the live session.
   */
  readonly begin?: 'open' | 'start';
}

/** Runs `stop` and swallows its failure: teardown must reach every step. */
async function quietly(stop: () => unknown): Promise<void> {
  try {
    await stop();
  } catch {
    // Already gone: what is left still has to be stopped.
  }
}

/**
 * Starts a server with a cleared public hearing, its synthetic encoder connected over RTMP and the
 * public feed polling. If any step fails, what was started is stopped before the error is passed
 * on, so a failed set-up leaks no FFmpeg and no server.
 */
export async function startLiveHearing(o: LiveHearingOptions): Promise<LiveHearing> {
  const s = await startTestServer(o.config ?? {}, o.serverOptions ?? {});
  let encoder: TestEncoder | null = null;
  let feed: PublicFeed | null = null;
  const close = async (): Promise<void> => {
    await quietly(() => feed?.stop());
    await quietly(() => encoder?.kill());
    await quietly(() => s.close());
  };
  try {
    const seeded = await seedHearing(s, { delaySeconds: o.delaySeconds, ...(o.timezone ? { timezone: o.timezone } : {}) });
    const { hearingId } = seeded;
    const command = async (name: string, body: Record<string, unknown> = {}): Promise<Sent> => {
      const before = Date.now();
      const res = await s.api('POST', `/api/hearings/${hearingId}/broadcast/${name}`, body);
      if (res.status !== 200) throw new Error(`${name}: ${res.status} ${JSON.stringify(res.body)}`);
      return { before, after: Date.now() };
    };
    // The feed reads the first rung of the hearing's ladder: the tests' own unless configured.
    const ladder = (o.config?.media as { ladder?: readonly { name: string }[] } | undefined)?.ladder ?? TEST_LADDER;
    const rung = ladder[0]!.name;
    feed = new PublicFeed(`${s.base}/hls/hearings/${hearingId}/${rung}/index.m3u8`).start(o.pollMs);
    await command(o.begin ?? 'start');
    encoder = new TestEncoder(`rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`, 'flv', Date.now(), o.encoderSize, o.sound).start();
    await waitForEncoder(s, hearingId);
    const live: LiveHearing = {
      s,
      ...seeded,
      encoder,
      feed,
      command,
      async end(drainMs) {
        const sent = await command('end');
        await live.feed.untilEnded(drainMs);
        return sent;
      },
      async close() {
        // The caller may have swapped the encoder (a reconnect): stop the one running now.
        encoder = live.encoder;
        await close();
      },
    };
    return live;
  } catch (err) {
    await close();
    throw err;
  }
}
