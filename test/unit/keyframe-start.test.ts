import { describe, expect, it } from 'vitest';
import { KeyframeStart } from '../../server/ingest/keyframe-start.ts';
import { isKeyframeTag, type RtmpMediaMessage } from '../../server/ingest/rtmp-media-hook.ts';

const audio = (timestampMs: number): RtmpMediaMessage => ({ kind: 'audio', timestampMs, keyframe: false, sequenceHeader: false, payload: Buffer.alloc(0) });
const video = (timestampMs: number, keyframe = false): RtmpMediaMessage => ({ kind: 'video', timestampMs, keyframe, sequenceHeader: false, payload: Buffer.alloc(0) });

describe('starting a reader at a keyframe', () => {
  it('relays nothing before the keyframe and no sound stamped before it, then everything', () => {
    const gate = new KeyframeStart();
    const player = { isReceiveAudio: true, isReceiveVideo: true };
    const other = { isReceiveAudio: true, isReceiveVideo: true };
    gate.hold('p', player);
    const relay = (m: RtmpMediaMessage) => {
      gate.beforeRelay(m, [['p', player], ['o', other]]);
      return { audio: player.isReceiveAudio, video: player.isReceiveVideo };
    };
    expect(relay(audio(1_000))).toEqual({ audio: false, video: false });
    expect(relay(video(1_010))).toEqual({ audio: false, video: false });
    expect(relay(video(2_000, true))).toEqual({ audio: false, video: true });
    // Sound interleaved after the keyframe but stamped before it stays out.
    expect(relay(audio(1_990))).toEqual({ audio: false, video: true });
    expect(relay(audio(2_001))).toEqual({ audio: true, video: true });
    expect(relay(video(2_033))).toEqual({ audio: true, video: true });
    // A reader that was not held is never touched.
    expect(other).toEqual({ isReceiveAudio: true, isReceiveVideo: true });
    // Settled: later messages leave it alone.
    relay(audio(4_100));
    expect(gate.active).toBe(false);
  });

  it('forgets a reader that went away', () => {
    const gate = new KeyframeStart();
    gate.hold('p', { isReceiveAudio: true, isReceiveVideo: true });
    gate.forget('p');
    expect(gate.active).toBe(false);
  });

  it('knows a keyframe from a sequence header and an inter frame', () => {
    expect(isKeyframeTag(Buffer.from([0x17, 0x01, 0, 0, 0]))).toBe(true); // AVC keyframe NALU
    expect(isKeyframeTag(Buffer.from([0x17, 0x00, 0, 0, 0]))).toBe(false); // AVC sequence header
    expect(isKeyframeTag(Buffer.from([0x27, 0x01, 0, 0, 0]))).toBe(false); // inter frame
    expect(isKeyframeTag(Buffer.from([0x91, 0, 0, 0, 0]))).toBe(true); // enhanced RTMP coded frames, key
    expect(isKeyframeTag(Buffer.from([0x90, 0, 0, 0, 0]))).toBe(false); // enhanced sequence start
    expect(isKeyframeTag(Buffer.from([0x17]))).toBe(false);
  });
});
