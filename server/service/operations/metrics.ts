import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isShed, SHEDDABLE } from '../../domain/shedding.ts';
import type { BroadcastService } from '../broadcast/broadcasts.ts';
import type { LiveHearing } from '../broadcast/live-hearing.ts';
import type { ViewerCounter } from '../publicity/viewers.ts';

/** What the metrics read at scrape time. */
export interface MetricsSources {
  readonly broadcasts: Pick<BroadcastService, 'liveHearings' | 'encoderHealth'>;
  readonly viewers: Pick<ViewerCounter, 'count'>;
  readonly archive: () => { readonly pending: number; readonly pendingBytes: number; readonly behindMs: number };
  readonly now?: () => number;
}

/**
 * Prometheus metrics: process metrics, and per live hearing what an operator watches: how fast the
 * transcoder keeps up, how late releases are against capture end + D, what the gate decided and
 * which slates aired, mask renders, FFmpeg restarts, viewers, the encoder's bit rate and the
 * archive's lag. Counters follow each hearing's events; gauges are read when Prometheus scrapes.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly releases: Counter<'hearing' | 'outcome' | 'reason'>;
  private readonly renders: Counter<'hearing'>;
  private readonly restarts: Counter<'hearing' | 'role'>;
  private readonly lateness: Histogram<'hearing'>;
  /** The previous reading of each hearing's transcoder output, for its speed. */
  private readonly produced = new Map<string, { at: number; until: number }>();

  constructor(private readonly o: MetricsSources) {
    const registers = [this.registry];
    const now = o.now ?? Date.now;
    collectDefaultMetrics({ register: this.registry });
    this.releases = new Counter({ name: 'courtcast_releases_total', help: 'Slots the gate released, by outcome (aired or the slate that stood in) and reason', labelNames: ['hearing', 'outcome', 'reason'], registers });
    this.renders = new Counter({ name: 'courtcast_mask_renders_total', help: 'Segments that aired re-rendered with their masks (not proven by a live slot)', labelNames: ['hearing'], registers });
    this.restarts = new Counter({ name: 'courtcast_ffmpeg_exits_total', help: 'FFmpeg exits, by role (transcode, master)', labelNames: ['hearing', 'role'], registers });
    this.lateness = new Histogram({
      name: 'courtcast_release_lateness_seconds',
      help: 'How long after capture end + D each slot was released (the delay error)',
      labelNames: ['hearing'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    });
    const live = () => o.broadcasts.liveHearings();
    new Gauge({
      name: 'courtcast_transcoder_speed',
      help: 'Capture time the transcoder produced per second of wall time since the last scrape (1 = real time)',
      labelNames: ['hearing'],
      registers,
      collect: () => this.speeds(live(), now()),
    });
    new Gauge({
      name: 'courtcast_transcoder_backlog_seconds',
      help: 'How far the transcoder trails what reached the ingest',
      labelNames: ['hearing'],
      registers,
      collect() {
        this.reset();
        for (const s of live()) this.set({ hearing: s.hearing.id }, s.transcoderBacklogMs / 1000);
      },
    });
    new Gauge({
      name: 'courtcast_transcoder_falling_behind',
      help: 'Whether the transcoder has been falling behind real time (1) or keeps up (0), with hysteresis',
      labelNames: ['hearing'],
      registers,
      collect() {
        this.reset();
        for (const s of live()) this.set({ hearing: s.hearing.id }, s.status().load === 'falling-behind' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'courtcast_overload_shed',
      help: 'Work a hearing has shed to keep real time (1 while shed), by step of the declared shedding order',
      labelNames: ['hearing', 'step'],
      registers,
      collect() {
        this.reset();
        for (const s of live()) for (const step of SHEDDABLE) this.set({ hearing: s.hearing.id, step }, isShed(s.shedLevel, step) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'courtcast_viewers',
      help: 'Public viewers of each live hearing',
      labelNames: ['hearing'],
      registers,
      collect() {
        this.reset();
        for (const s of live()) this.set({ hearing: s.hearing.id }, o.viewers.count(s.hearing.id));
      },
    });
    new Gauge({
      name: 'courtcast_encoder_kbps',
      help: 'Bit rate of what the courtroom encoder sends (the master), in kbit/s',
      labelNames: ['hearing'],
      registers,
      collect() {
        this.reset();
        for (const s of live()) {
          const kbps = o.broadcasts.encoderHealth(s.hearing.id)?.kbps;
          if (kbps !== null && kbps !== undefined) this.set({ hearing: s.hearing.id }, kbps);
        }
      },
    });
    new Gauge({ name: 'courtcast_live_hearings', help: 'Hearings live on this node', registers, collect() { this.set(live().length); } });
    new Gauge({ name: 'courtcast_archive_behind_seconds', help: 'Age of the oldest object waiting for the archive store', registers, collect() { this.set(o.archive().behindMs / 1000); } });
    new Gauge({ name: 'courtcast_archive_pending_objects', help: 'Objects waiting for the archive store', registers, collect() { this.set(o.archive().pending); } });
    new Gauge({ name: 'courtcast_archive_pending_bytes', help: 'Bytes waiting for the archive store', registers, collect() { this.set(o.archive().pendingBytes); } });
  }

  /** Counts what a live hearing does from now on. */
  follow(session: LiveHearing): void {
    const hearing = session.hearing.id;
    const delayMs = session.hearing.delaySeconds * 1000;
    session.on('released', (r) => {
      this.releases.inc({ hearing, outcome: r.outcome, reason: r.reason ?? 'none' });
      if (r.outcome === 'aired' && r.masked && !r.live) this.renders.inc({ hearing });
      this.lateness.observe({ hearing }, Math.max(0, r.releasedAt - (r.captureEnd + delayMs)) / 1000);
    });
    session.on('ffmpeg', (e) => this.restarts.inc({ hearing, role: e.role }));
    session.on('finished', () => this.produced.delete(hearing));
  }

  /** The exposition text Prometheus scrapes. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private speeds(sessions: readonly LiveHearing[], at: number): void {
    const gauge = this.registry.getSingleMetric('courtcast_transcoder_speed') as Gauge<'hearing'>;
    gauge.reset();
    for (const s of sessions) {
      const until = s.producedUntil;
      if (until === null) continue;
      const before = this.produced.get(s.hearing.id);
      this.produced.set(s.hearing.id, { at, until });
      if (before && at > before.at) gauge.set({ hearing: s.hearing.id }, (until - before.until) / (at - before.at));
    }
  }
}
