import { describe, expect, it } from 'vitest';
import { PreRoll } from '../../server/ingest/pre-roll.ts';
import { isSequenceHeaderTag } from '../../server/ingest/rtmp-media-hook.ts';

const msg = (kind: 'audio' | 'video', timestampMs: number, keyframe = false, bytes = 100) => ({ kind, timestampMs, keyframe, sequenceHeader: false, payload: Buffer.alloc(bytes, timestampMs % 251) });
const times = (r: PreRoll) => r.take().map((m) => `${m.kind[0]}${m.timestampMs}`);

describe('pre-roll for the master reader', () => {
  it('keeps a publish from its very first message, sound before the first keyframe included', () => {
    const r = new PreRoll({ maxMs: 10_000, maxBytes: 1_000_000 });
    for (const m of [msg('audio', 0), msg('video', 0, true), msg('audio', 21), msg('video', 33), msg('video', 66)]) r.add(m);
    expect(times(r)).toEqual(['a0', 'v0', 'a21', 'v33', 'v66']);
  });

  it('leaves out sequence headers: the reader gets the current ones on joining', () => {
    const r = new PreRoll({ maxMs: 10_000, maxBytes: 1_000_000 });
    r.add({ ...msg('video', 0, false), sequenceHeader: true });
    r.add(msg('video', 0, true));
    expect(times(r)).toEqual(['v0']);
  });

  it('copies what it keeps, since the parser reuses its buffer', () => {
    const r = new PreRoll({ maxMs: 10_000, maxBytes: 1_000_000 });
    const m = msg('video', 0, true);
    r.add(m);
    m.payload.fill(0xff);
    expect(r.take()[0]?.payload.every((b) => b === 0)).toBe(true);
  });

  it('drops whole GOPs from the front past its limits, so a late reader still starts on a keyframe', () => {
    const r = new PreRoll({ maxMs: 2_500, maxBytes: 1_000_000 });
    // A keyframe every second, a frame every 500 ms, for 10 s.
    for (let t = 0; t <= 10_000; t += 500) r.add(msg('video', t, t % 1_000 === 0));
    const held = r.take();
    expect(held[0]).toMatchObject({ keyframe: true });
    expect(held.at(-1)?.timestampMs).toBe(10_000);
    expect((held.at(-1)?.timestampMs ?? 0) - (held[0]?.timestampMs ?? 0)).toBeLessThanOrEqual(2_500);
    const bounded = new PreRoll({ maxMs: 60_000, maxBytes: 1_000 });
    for (let t = 0; t < 100; t++) bounded.add(msg('video', t * 10, t % 4 === 0, 100));
    expect(bounded.heldBytes).toBeLessThanOrEqual(1_000);
  });

  it('hands over once: a restarted reader does not record the same frames twice', () => {
    const r = new PreRoll({ maxMs: 10_000, maxBytes: 1_000_000 });
    r.add(msg('video', 0, true));
    expect(r.take()).toHaveLength(1);
    r.add(msg('video', 33));
    expect(r.take()).toEqual([]);
    expect(r.heldBytes).toBe(0);
  });

  it('tells sequence headers from media in FLV tags', () => {
    expect(isSequenceHeaderTag('video', Buffer.from([0x17, 0x00, 0, 0, 0]))).toBe(true); // AVC sequence header
    expect(isSequenceHeaderTag('video', Buffer.from([0x17, 0x01, 0, 0, 0]))).toBe(false); // AVC keyframe
    expect(isSequenceHeaderTag('video', Buffer.from([0x27, 0x01, 0, 0, 0]))).toBe(false); // AVC inter frame
    expect(isSequenceHeaderTag('video', Buffer.from([0x90, 0x68, 0x76, 0x63, 0x31]))).toBe(true); // enhanced: sequence start
    expect(isSequenceHeaderTag('audio', Buffer.from([0xaf, 0x00, 0x12, 0x10]))).toBe(true); // AAC AudioSpecificConfig
    expect(isSequenceHeaderTag('audio', Buffer.from([0xaf, 0x01, 0x21]))).toBe(false); // AAC raw
  });
});
