import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveHearing, type LiveHearing } from '../support/live-hearing.ts';
import type { TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

const TOKEN = 'prometheus-scrape-token-0123';

/** The value of one sample in Prometheus text, or null when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

/**
 * Prometheus metrics through the scrape endpoint: refused without its token, and with it the
 * process metrics and each live hearing's releases, slates, delay error, transcoder speed, FFmpeg
 * exits, viewers, encoder bit rate and archive lag, as a live hearing produces them.
 */
describe('Prometheus /metrics', () => {
  let live: LiveHearing;
  let s: TestServer;
  let hearingId = '';
  const scrape = async (token?: string) => {
    const res = await fetch(`${s.base}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  beforeAll(async () => {
    live = await startLiveHearing({ delaySeconds: 2, config: { media: { liveMaskSlots: 0 }, metrics: { token: TOKEN } } });
    ({ s, hearingId } = live);
    // A viewer fetches the public playlist.
    await waitFor(async () => (await fetch(`${s.base}/hls/hearings/${hearingId}/180p/index.m3u8`)).status === 200, 'the public playlist', 20_000);
    await waitFor(async () => (sample((await scrape(TOKEN)).text, 'courtcast_releases_total', { hearing: hearingId, outcome: 'aired' }) ?? 0) >= 2, 'two aired slots', 40_000, 500);
    // The transcoder is killed once: an exit to count, restarted by its supervisor.
    const killed = s.cc.broadcasts.live(hearingId)?.ffmpegPid as number;
    process.kill(killed, 'SIGKILL');
    await waitFor(async () => (sample((await scrape(TOKEN)).text, 'courtcast_ffmpeg_exits_total', { hearing: hearingId, role: 'transcode' }) ?? 0) >= 1, 'the exit counted', 10_000, 200);
    const restarted = () => [undefined, killed].includes(s.cc.broadcasts.live(hearingId)?.ffmpegPid) === false;
    await waitFor(restarted, 'the transcoder restarted', 10_000, 100);
  }, 90_000);

  afterAll(() => live?.close());

  it('refuses a scrape without the metrics token, or with a staff token', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape('not-the-token-at-all-xx')).status).toBe(401);
    expect((await scrape(s.token)).status).toBe(401);
  });

  it('reports process metrics and what each live hearing does', async () => {
    const first = await scrape(TOKEN);
    expect(first.status).toBe(200);
    expect(first.type).toContain('text/plain');
    await elapse(4_000);
    const { text } = await scrape(TOKEN);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'courtcast_live_hearings')).toBe(1);
    expect(sample(text, 'courtcast_releases_total', { hearing: hearingId, outcome: 'aired' })).toBeGreaterThanOrEqual(2);
    // The starting slate aired before the start took effect.
    expect(sample(text, 'courtcast_releases_total', { hearing: hearingId, outcome: 'starting' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'courtcast_ffmpeg_exits_total', { hearing: hearingId, role: 'transcode' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'courtcast_release_lateness_seconds_count', { hearing: hearingId })).toBeGreaterThanOrEqual(3);
    // Real time, give or take: the transcoder kept up between the two scrapes.
    expect(sample(text, 'courtcast_transcoder_speed', { hearing: hearingId })).toBeGreaterThan(0.3);
    expect(sample(text, 'courtcast_transcoder_backlog_seconds', { hearing: hearingId })).not.toBeNull();
    expect(sample(text, 'courtcast_viewers', { hearing: hearingId })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'courtcast_encoder_kbps', { hearing: hearingId })).toBeGreaterThan(50);
    expect(sample(text, 'courtcast_archive_behind_seconds')).not.toBeNull();
    expect(sample(text, 'courtcast_archive_pending_objects')).not.toBeNull();
  });
});
