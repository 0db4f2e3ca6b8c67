import { describe, expect, it } from 'vitest';
import { GOP_HANDOVER_MAX_AGE_MS, GopInProgress } from '../../server/ingest/gop-in-progress.ts';
import { KeyframeStart } from '../../server/ingest/keyframe-start.ts';

const msg = (kind: 'audio' | 'video', timestampMs: number, keyframe = false, sequenceHeader = false) => ({ kind, timestampMs, keyframe, sequenceHeader, payload: Buffer.from([timestampMs % 256]) });

describe('the GOP in progress, handed to a reader that starts on a keyframe', () => {
  it('holds the media since the latest keyframe, without sound stamped before it or sequence headers', () => {
    const gop = new GopInProgress();
    expect(gop.take(0)).toBeNull();
    gop.add(msg('audio', 0), 0);
    gop.add(msg('video', 0, false), 0); // no keyframe yet: nothing to start on
    expect(gop.take(10)).toBeNull();
    gop.add(msg('video', 1_000, true), 1_000);
    gop.add(msg('audio', 990), 1_001); // interleaved after the keyframe, stamped before it
    gop.add(msg('video', 1_000, false, true), 1_002); // a sequence header
    gop.add(msg('audio', 1_010), 1_010);
    gop.add(msg('video', 1_033), 1_033);
    const taken = gop.take(1_040);
    expect(taken?.fromMs).toBe(1_000);
    expect(taken?.messages.map((m) => `${m.kind}${m.timestampMs}`)).toEqual(['video1000', 'audio1010', 'video1033']);
    // A new keyframe starts a new GOP; taking leaves it in place for the next reader.
    gop.add(msg('video', 3_000, true), 3_000);
    expect(gop.take(3_001)?.messages.map((m) => m.timestampMs)).toEqual([3_000]);
    expect(gop.take(3_002)?.messages.map((m) => m.timestampMs)).toEqual([3_000]);
  });

  it('hands nothing over once its keyframe is older than the bound (a long GOP): the reader waits for the next', () => {
    const gop = new GopInProgress();
    gop.add(msg('video', 0, true), 5_000);
    expect(gop.take(5_000 + GOP_HANDOVER_MAX_AGE_MS)).not.toBeNull();
    expect(gop.take(5_001 + GOP_HANDOVER_MAX_AGE_MS)).toBeNull();
  });

  it('keeps a copy of each payload: the RTMP parser reuses its buffer', () => {
    const gop = new GopInProgress();
    const m = msg('video', 0, true);
    gop.add(m, 0);
    m.payload[0] = 99;
    expect(gop.take(0)?.messages[0]?.payload[0]).toBe(0);
  });

  it('a reader handed the GOP takes live picture at once and live sound from its keyframe on', () => {
    const gate = new KeyframeStart();
    const player = { isReceiveAudio: true, isReceiveVideo: true };
    gate.hold('p', player);
    expect(gate.waiting('p')).toBe(true);
    gate.startedAt('p', player, 2_000);
    expect(gate.waiting('p')).toBe(false);
    expect(player.isReceiveVideo).toBe(true);
    const relay = (kind: 'audio' | 'video', ts: number) => {
      gate.beforeRelay(msg(kind, ts), [['p', player]]);
      return player.isReceiveAudio;
    };
    expect(relay('audio', 1_990)).toBe(false);
    expect(relay('audio', 2_010)).toBe(true);
  });
});
