import { describe, expect, it } from 'vitest';
import { emptyProgram, applyAction, type BroadcastProgram, type ProgramAction } from '../../server/domain/program.ts';
import { loudSpans, LOUDNESS_RATE } from '../../server/media/loudness.ts';
import { needsListening, soundBeyondProgram } from '../../recorder/sound-exposure.ts';

function run(...actions: ProgramAction[]): BroadcastProgram {
  return actions.reduce((p, a) => {
    const r = applyAction(p, a);
    if (!r.ok) throw new Error(r.error.message);
    return r.program;
  }, emptyProgram(0));
}

/** PCM at LOUDNESS_RATE: `loud` seconds of a tone after `quiet` seconds of silence. */
function pcm(quiet: number, loud: number): Buffer {
  const n = Math.round((quiet + loud) * LOUDNESS_RATE);
  const b = Buffer.alloc(n * 2);
  for (let i = Math.round(quiet * LOUDNESS_RATE); i < n; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / LOUDNESS_RATE)), i * 2);
  return b;
}

describe('sound that aired outside the program, from the as-aired files', () => {
  // On air from 10 s to 20 s, then cut at 26 s (dumped from 20 s), resumed at 30 s.
  const program = run({ type: 'start', at: 10_000 }, { type: 'cut', at: 26_000, releasedUntil: 20_000 }, { type: 'resume', at: 30_000 });

  it('finds sound from before the start that led a slot’s picture (the audio-only rung before issue 22)', () => {
    // The slot's picture starts at pts 4.0 s, captured at 10 s; its sound starts 1.6 s earlier.
    const slot = { seq: 5, rung: 'audio', captureStart: 10_000 - 25, picture: { start: 4, end: 6 }, loud: [{ start: 2.4, end: 4.4 }] };
    const [x, ...rest] = soundBeyondProgram([slot], program, 43);
    expect(rest).toEqual([]);
    expect(x).toMatchObject({ rung: 'audio', seq: 5, from: 8_400, to: 10_000, ms: 1_600 });
  });

  it('finds sound from inside a dumped window that led the slot the resume aired', () => {
    const slot = { seq: 12, rung: 'audio', captureStart: 30_000 - 25, picture: { start: 24, end: 26 }, loud: [{ start: 22.4, end: 24.4 }] };
    expect(soundBeyondProgram([slot], program, 43)).toMatchObject([{ from: 28_400, to: 30_000, ms: 1_600 }]);
  });

  it('finds nothing where the sound stayed on the air or was silent, or strayed less than the tolerance', () => {
    const onAir = { seq: 7, rung: 'audio', captureStart: 14_000 - 25, picture: { start: 8, end: 10 }, loud: [{ start: 6.4, end: 8.4 }] };
    const seam = { seq: 5, rung: 'audio', captureStart: 10_000 - 25, picture: { start: 4, end: 6 }, loud: [{ start: 3.98, end: 6 }] };
    const silent = { seq: 5, rung: '360p', captureStart: 10_000 - 25, picture: { start: 4, end: 6 }, loud: [] };
    expect(soundBeyondProgram([onAir, seam, silent], program, 43)).toEqual([]);
  });

  it('places sound from the timestamp the gate dated the slot from, where the archive names it', () => {
    // The audio-only rung's own muxer cut its sound 100 ms before the picture; the gate dated the
    // slot (resumed at 30 s) from that sound. Placed from the picture, it would seem to lead the
    // resume by 75 ms.
    const dated = { seq: 12, rung: 'audio', captureStart: 30_000, mediaStart: 23.9, picture: { start: 24, end: 26 }, loud: [{ start: 23.9, end: 26 }] };
    expect(soundBeyondProgram([dated], program, 43)).toEqual([]);
    const { mediaStart: _, ...undated } = dated;
    expect(soundBeyondProgram([undated], program, 43)).toMatchObject([{ from: 29_925, to: 30_000, ms: 75 }]);
  });

  it('places the sound beside a splice’s cut from the cut, where the archive names it', () => {
    // Ended at 20 s (the cut at 18.0 in a slot from 16.0). The slot's first media reached us 60 ms
    // late (a stall), so its capture start is 60 ms later than its media time runs; the rest came
    // on time and the gate dated the last aired frame, which ends at the cut, 19_990.
    const program2 = run({ type: 'start', at: 10_000 }, { type: 'end', at: 20_000 });
    const slot = { seq: 8, rung: 'audio', captureStart: 18_060, mediaStart: 16, picture: { start: 16, end: 18 }, loud: [{ start: 16, end: 18 }] };
    // Extrapolated from the slot's start, the sound would seem to run 60 ms past the end.
    expect(soundBeyondProgram([slot], program2, 43)).toMatchObject([{ from: 20_000, to: 20_060, ms: 60 }]);
    const cut = { media: 18, capture: 19_990 };
    expect(soundBeyondProgram([{ ...slot, cuts: [cut] }], program2, 43)).toEqual([]);
    // Sound the splice left on past its cut is still found, placed from the cut.
    expect(soundBeyondProgram([{ ...slot, cuts: [cut], loud: [{ start: 16, end: 18.2 }] }], program2, 43)).toMatchObject([{ from: 20_000, to: 20_190, ms: 190 }]);
    // And a resume's cut: sound from 50 ms before it (captured in the pause) is found.
    const resumed = run({ type: 'start', at: 10_000 }, { type: 'pause', at: 20_000 }, { type: 'resume', at: 24_000 });
    const after = { seq: 11, rung: '180p', captureStart: 22_500, mediaStart: 20, picture: { start: 20, end: 22 }, cuts: [{ media: 21.5, capture: 24_010 }] };
    expect(soundBeyondProgram([{ ...after, loud: [{ start: 21.5, end: 22 }] }], resumed, 43)).toEqual([]);
    expect(soundBeyondProgram([{ ...after, loud: [{ start: 21.43, end: 22 }] }], resumed, 43)).toMatchObject([{ from: 23_940, to: 24_000, ms: 60 }]);
  });

  it('listens only where sound could stray: a splice, or sound beyond its picture', () => {
    const picture = { start: 4, end: 6 };
    expect(needsListening({ spliced: false, picture, sound: { start: 3.98, end: 6.02 } }, 43)).toBe(false);
    expect(needsListening({ spliced: true, picture, sound: { start: 3.98, end: 6.02 } }, 43)).toBe(true);
    expect(needsListening({ spliced: false, picture, sound: { start: 2.4, end: 4.4 } }, 43)).toBe(true);
    expect(needsListening({ spliced: false, picture: null, sound: { start: 2.4, end: 4.4 } }, 43)).toBe(false);
  });

  it('hears where decoded sound is loud, on its own timeline', () => {
    const spans = loudSpans(pcm(0.5, 1), 12);
    expect(spans).toHaveLength(1);
    expect(spans[0]!.start).toBeCloseTo(12.5, 2);
    expect(spans[0]!.end).toBeCloseTo(13.5, 2);
    expect(loudSpans(pcm(1, 0), 0)).toEqual([]);
  });
});
