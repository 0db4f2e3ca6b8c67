import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveRecords } from '../../recorder/archive-record.ts';
import type { RecordingLog } from '../../recorder/recording-log.ts';
import { TestEncoder } from '../support/encoder.ts';
import { seedHearing, startTestServer, waitForEncoder, type TestServer } from '../support/server.ts';
import { elapse, waitFor } from '../support/wait.ts';

/**
 * The recording log: the encoder is killed, then the master recorder's FFmpeg is: the hearing's
 * record lists both holes in the master, each with its cause and length.
 */
describe('the recording log names every gap in the master and its cause', () => {
  let s: TestServer;
  let encoder: TestEncoder;
  let hearingId = '';
  let encoderOffMs = 0;
  let log: RecordingLog;
  let recordLog: RecordingLog;
  let trail: { action: string; params: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    s = await startTestServer({ media: { ladder: [{ name: '180p', height: 180, videoKbps: 200, audioKbps: 48 }, { name: 'audio', audioKbps: 48 }], segmentSeconds: 2, fps: 30, liveMaskSlots: 0 } });
    const seeded = await seedHearing(s, { delaySeconds: 4 });
    hearingId = seeded.hearingId;
    const target = `rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${seeded.streamKey}`;
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/open`, {})).status).toBe(200);
    const epoch = Date.now();
    encoder = new TestEncoder(target, 'flv', epoch).start();
    await waitForEncoder(s, hearingId);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/start`, {})).status).toBe(200);
    await elapse(8_000);

    const off = Date.now();
    await encoder.kill();
    await elapse(6_000);
    encoder = new TestEncoder(target, 'flv', epoch).start();
    encoderOffMs = Date.now() - off;
    await waitForEncoder(s, hearingId, 30_000);
    await waitFor(() => s.cc.broadcasts.live(hearingId)?.masterPid, 'the master recorder', 20_000);
    await elapse(6_000);

    process.kill(s.cc.broadcasts.live(hearingId)!.masterPid!, 'SIGKILL');
    await elapse(8_000);
    expect((await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {})).status).toBe(200);
    await waitFor(async () => (await archiveRecords(s.cc.state).get(hearingId))?.status === 'complete', 'the archive', 60_000);
    const page = await s.api<{ recording: RecordingLog; audit: typeof trail }>('GET', `/api/archive/hearings/${hearingId}`);
    log = page.body.recording;
    trail = page.body.audit;
    const record = JSON.parse((await s.cc.archiveStore.get(`hearings/${hearingId}/record.json`))!.toString()) as { recording: RecordingLog };
    recordLog = record.recording;
  }, 150_000);

  afterAll(async () => {
    await encoder?.kill();
    await s?.close();
  });

  it('lists the encoder loss and the FFmpeg kill, each with its cause and a length that fits', () => {
    const causes = log.gaps.map((g) => g.cause);
    expect(causes).toContain('encoder lost');
    expect(causes).toContain('FFmpeg restart');
    const lost = log.gaps.find((g) => g.cause === 'encoder lost')!;
    // The master cannot hold what the encoder never sent, and the hole is not much longer than that.
    expect(lost.ms).toBeGreaterThan(encoderOffMs - 2_500);
    expect(lost.ms).toBeLessThan(encoderOffMs + 8_000);
    const restart = log.gaps.find((g) => g.cause === 'FFmpeg restart')!;
    expect(restart.ms).toBeGreaterThan(0);
    expect(log.missingMs).toBe(log.gaps.reduce((n, g) => n + g.ms, 0));
    expect(log.recordedMs).toBeGreaterThan(15_000);
  });

  it('keeps the log in the archived record, and every interruption of the master on the audit trail', () => {
    expect(recordLog.gaps.map((g) => g.cause)).toEqual(log.gaps.map((g) => g.cause));
    const masterExits = trail.filter((e) => e.action.startsWith('ffmpeg-') && e.params.role === 'master');
    expect(masterExits.length).toBeGreaterThanOrEqual(2);
    expect(trail.map((e) => e.action)).toContain('encoder-lost');
  });
});
