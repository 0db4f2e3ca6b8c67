import { describe, expect, it } from 'vitest';
import { IngestClock } from '../../server/ingest/ingest-clock.ts';

describe('ingest clock', () => {
  it('dates media by the latest observation at or before its timestamp', () => {
    const c = new IngestClock(60_000);
    c.observe(0, 1_000);
    c.observe(33, 1_040);
    c.observe(66, 1_070);
    expect(c.captureOf(0)).toBe(1_000);
    expect(c.captureOf(50)).toBe(1_040); // a frame between packets is no earlier than the one before it
    expect(c.captureOf(66)).toBe(1_070);
    expect(c.captureOf(67)).toBeNull(); // not arrived yet
    expect(c.captureOf(-1)).toBeNull();
  });

  it('moves only the frames a stall delayed, not the rest of the hearing', () => {
    const c = new IngestClock(60_000);
    for (let i = 0; i < 30; i++) c.observe(i * 33, 10_000 + i * 33);
    // The server stalls for 3 s; the frames queued meanwhile are observed in a burst.
    for (let i = 30; i < 120; i++) c.observe(i * 33, 14_000);
    // Then it keeps up again: capture time follows the encoder's clock, no lasting offset.
    for (let i = 120; i < 150; i++) c.observe(i * 33, 10_000 + i * 33 + 20);
    expect(c.captureOf(29 * 33)).toBe(10_000 + 29 * 33);
    expect(c.captureOf(60 * 33)).toBe(14_000);
    expect(c.captureOf(140 * 33)).toBe(10_000 + 140 * 33 + 20);
  });

  it('knows when media from a timestamp on first arrived, unraised by later packets', () => {
    const c = new IngestClock(60_000);
    c.observe(0, 1_000);
    c.observe(100, 1_100);
    c.observe(200, 1_200);
    c.observe(150, 1_300); // late audio raises capture instants, not arrivals
    expect(c.captureOf(200)).toBe(1_300);
    expect(c.arrivedFrom(120)).toBe(1_200);
    expect(c.arrivedFrom(100)).toBe(1_100);
    expect(c.arrivedFrom(201)).toBeNull(); // nothing stamped that late yet
    expect(c.arrivedFrom(-5)).toBeNull(); // before what is kept: unknown
  });

  it('never runs backwards, and interleaved late packets raise what follows them', () => {
    const c = new IngestClock(60_000);
    c.observe(0, 1_000);
    c.observe(100, 1_100);
    c.observe(200, 1_050); // an observation instant that steps back is held at the envelope
    expect(c.captureOf(200)).toBe(1_100);
    c.observe(150, 1_300); // audio stamped 150 arrives after video stamped 200
    expect(c.captureOf(150)).toBe(1_300);
    expect(c.captureOf(200)).toBe(1_300);
    expect(c.captureOf(120)).toBe(1_100);
  });

  it('finds the first frame a mask or edge starting at an instant must cover', () => {
    const c = new IngestClock(60_000);
    for (let i = 0; i <= 10; i++) c.observe(i * 100, 5_000 + i * 100);
    expect(c.firstAtOrAfter(5_450)).toBe(500); // 400 was observed at 5,400: before the instant
    expect(c.firstAtOrAfter(5_500)).toBe(500);
    expect(c.firstAtOrAfter(4_000)).toBe(0);
    expect(c.firstAtOrAfter(6_001)).toBeNull(); // in media yet to come
  });

  it('keeps memory to the horizon', () => {
    const c = new IngestClock(10_000);
    for (let i = 0; i < 100_000; i++) c.observe(i * 10, i * 10);
    expect(c.size).toBeLessThan(1_000 + 1_024 + 2);
    expect(c.captureOf(999_990)).toBe(999_990);
    expect(c.captureOf(0)).toBeNull();
  });
});
