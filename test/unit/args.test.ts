import { describe, expect, it } from 'vitest';
import { masterSpec, rtmpPullInput, slateSpec, slateTextFilter, srtGatewaySpec, srtListenInput, transcodeSpec } from '../../server/media/args.ts';
import { backoffPolicy } from '../../server/media/restart-policy.ts';
import { specToArgs } from '../../server/media/spec.ts';
import { counterFilters, readCounter, COUNTER_LAYOUT } from '../../server/media/synthetic.ts';

const ladder = [
  { name: '360p', height: 360, videoKbps: 600, audioKbps: 64 },
  { name: '180p', height: 180, videoKbps: 250, audioKbps: 64 },
  { name: 'audio', audioKbps: 64 },
];

describe('FFmpeg argument builders', () => {
  const spec = transcodeSpec({
    input: rtmpPullInput('rtmp://127.0.0.1:1935/live/k?token=t', 5000),
    ladder,
    segmentSeconds: 2,
    fps: 30,
    pendingDir: (r) => `/p/${r}`,
  });
  const args = specToArgs(spec);

  it('sets a read timeout on RTMP pulls so a stalled encoder cannot hang FFmpeg', () => {
    expect(args.slice(args.indexOf('-rw_timeout'), args.indexOf('-rw_timeout') + 2)).toEqual(['-rw_timeout', '5000000']);
  });

  it('scales every video rung from one split and keeps a GOP of exactly one segment', () => {
    expect(spec.complexFilter).toBe('[0:v:0]fps=30,split=2[s0][s1];[s0]scale=-2:360,setsar=1[v0];[s1]scale=-2:180,setsar=1[v1]');
    for (const out of spec.outputs.filter((o) => o.options.includes('libx264'))) {
      const o = out.options;
      expect(o[o.indexOf('-g') + 1]).toBe('60');
      expect(o[o.indexOf('-keyint_min') + 1]).toBe('60');
      expect(o[o.indexOf('-sc_threshold') + 1]).toBe('0');
      expect(o[o.indexOf('-bf') + 1]).toBe('0');
      expect(o).toContain('zerolatency');
    }
  });

  it('writes the audio-only rung without video and every rung as HLS with temp files', () => {
    const audio = spec.outputs.find((o) => o.target === '/p/audio/index.m3u8');
    expect(audio?.options).not.toContain('libx264');
    expect(audio?.options).toContain('0:a:0');
    for (const out of spec.outputs) expect(out.options.join(' ')).toContain('-hls_flags temp_file+independent_segments');
    expect(spec.outputs).toHaveLength(3);
  });

  it('records the master as a stream copy, never filtered', () => {
    const alone = masterSpec({ input: rtmpPullInput('rtmp://x/live/k', 5000), masterDir: '/m', segmentSeconds: 2 });
    expect(alone.complexFilter).toBeUndefined();
    expect(alone.outputs[0]?.options.slice(0, 6)).toEqual(['-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy']);
  });

  it('relays SRT into the RTMP ingest as a stream copy under the courtroom key, its run directory on the command line', () => {
    const listen = srtListenInput({ host: '127.0.0.1', port: 9000, passphrase: 'key-0123456789' });
    const spec = srtGatewaySpec({ listen, publishUrl: 'rtmp://127.0.0.1:1935/live/key-0123456789', progressFile: '/p/g0001/progress.txt' });
    expect(spec.complexFilter).toBeUndefined();
    expect(spec.outputs[0]?.target).toBe('rtmp://127.0.0.1:1935/live/key-0123456789');
    expect(spec.outputs[0]?.options).toEqual(expect.arrayContaining(['-c', 'copy', '-f', 'flv']));
    expect(spec.inputs[0]?.options.join(' ')).toContain('-progress /p/g0001/progress.txt');
  });

  it('uses the stream key as the SRT passphrase, a short probe, and holds nothing back while probing', () => {
    const input = srtListenInput({ host: '127.0.0.1', port: 9000, passphrase: 'abc-DEF_123456' });
    expect(input.url).toBe('srt://127.0.0.1:9000?mode=listener&passphrase=abc-DEF_123456&pbkeylen=16');
    expect(input.options).toEqual(['-analyzeduration', '500000', '-probesize', '500000', '-fflags', 'nobuffer']);
  });

  it('renders slates with the rung encoding and refuses text that would break the filter graph', () => {
    const s = specToArgs(slateSpec({ rung: ladder[0]!, card: [{ text: 'Please stand by' }], seconds: 2, fps: 30, outFile: '/s.ts' }));
    expect(s).toContain('color=c=0x1b2a3a:s=640x360:r=30:d=2');
    expect(() => slateSpec({ rung: ladder[0]!, card: [{ text: "it's:over" }], seconds: 2, fps: 30, outFile: '/s.ts' })).toThrow();
    expect(() => slateSpec({ rung: ladder[0]!, card: [{ text: '请稍候', fontFile: "/f.ttc':x" }], seconds: 2, fps: 30, outFile: '/s.ts' })).toThrow(/font file/);
  });

  it('draws a bilingual card as two centred lines, the Chinese one in its own font', () => {
    const vf = slateTextFilter([{ text: '请稍候', fontFile: '/usr/share/fonts/wqy.ttc' }, { text: 'Please stand by' }], 360, "enable='between(t,1,2)'");
    const lines = vf.split(',drawtext');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("text='请稍候':fontfile=/usr/share/fonts/wqy.ttc");
    expect(lines[0]).toMatch(/y=\(h-text_h\)\/2-\d+/);
    expect(lines[1]).toMatch(/y=\(h-text_h\)\/2\+\d+/);
    expect(lines[1]).not.toContain('fontfile');
    expect(vf.match(/enable='between/g)).toHaveLength(2);
  });

  it('draws and reads back the frame counter', () => {
    const f = counterFilters(640, 360, 5);
    expect(f).toHaveLength(25);
    expect(f[1]).toContain("enable='gte(mod(n+5,2),1)'");
    const strip = new Uint8Array(640 * 40);
    const value = 0b1010_0000_0000_0000_0000_0101;
    for (let k = 0; k < 24; k++) {
      if (!((value >> k) & 1)) continue;
      const x0 = COUNTER_LAYOUT.x0 + k * COUNTER_LAYOUT.pitch;
      for (let y = COUNTER_LAYOUT.y0; y < COUNTER_LAYOUT.y0 + COUNTER_LAYOUT.size; y++) strip.fill(255, y * 640 + x0, y * 640 + x0 + COUNTER_LAYOUT.size);
    }
    expect(readCounter(strip)).toBe(value);
  });
});

describe('restart policy', () => {
  const policy = backoffPolicy({ baseMs: 250, maxMs: 5000, healthyMs: 10_000, maxAttempts: 5 });
  const quick = { code: 1, signal: null, failedToStart: false, ranMs: 100 };

  it('backs off exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((a) => policy(a, quick))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });

  it('restarts quickly after a healthy run', () => {
    expect(policy(7, { ...quick, ranMs: 60_000 })).toBe(250);
  });

  it('gives up on a binary that never starts', () => {
    expect(policy(6, { ...quick, failedToStart: true })).toBe(false);
    expect(policy(3, { ...quick, failedToStart: true })).toBe(1000);
  });
});
