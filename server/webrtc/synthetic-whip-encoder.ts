import type { Logger } from '../domain/logger.ts';
import { FfmpegProcess } from '../media/ffmpeg-process.ts';
import { syntheticRtpSpec, type SyntheticEncoderOptions } from '../media/synthetic.ts';
import { WhipClient } from './whip-client.ts';

/**
 * The synthetic courtroom sent over WHIP, as a courtroom PC with OBS would: FFmpeg encodes the
 * pattern to H.264 and Opus RTP, a werift client publishes them, and a lost session or encoder is
 * made again after a second or two. The counter continues from the wall clock across restarts.
 */
export class SyntheticWhipEncoder {
  private client: WhipClient | null = null;
  private ffmpeg: FfmpegProcess | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private watch: NodeJS.Timeout | null = null;

  constructor(
    private readonly o: Omit<SyntheticEncoderOptions, 'target' | 'format' | 'frameOffset'> & { readonly counterEpochMs: number; readonly whipUrl: string; readonly key: string; readonly hostAddresses: readonly string[] },
    private readonly ffmpegPath: string,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      const client = await WhipClient.connect({ url: this.o.whipUrl, key: this.o.key, hostAddresses: this.o.hostAddresses });
      this.client = client;
      await client.connected();
      const frameOffset = Math.max(0, Math.round((Date.now() - this.o.counterEpochMs) / (1000 / this.o.fps)));
      const ffmpeg = new FfmpegProcess(syntheticRtpSpec({ ...this.o, frameOffset, gopFrames: this.o.fps }, client.ports), { ffmpegPath: this.ffmpegPath, logger: this.logger, tags: { role: 'synthetic-whip-encoder' } });
      this.ffmpeg = ffmpeg;
      ffmpeg.on('exit', () => void this.again());
      ffmpeg.start();
      // A session the server ended (a rotated key, a restart) shows in the connection's state.
      this.watch = setInterval(() => {
        if (client.state === 'failed' || client.state === 'closed') void this.again();
      }, 1_000);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'the synthetic WHIP encoder could not connect; trying again');
      void this.again();
    }
  }

  private async again(): Promise<void> {
    if (this.watch) clearInterval(this.watch);
    this.watch = null;
    const [client, ffmpeg] = [this.client, this.ffmpeg];
    this.client = this.ffmpeg = null;
    await ffmpeg?.close();
    await client?.close();
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, 2_000);
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.watch) clearInterval(this.watch);
    await this.ffmpeg?.close();
    await this.client?.close();
  }
}
