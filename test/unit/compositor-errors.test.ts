import { describe, expect, it } from 'vitest';
import { inputNamedIn } from '../../server/pipeline/compositor.ts';

describe('which camera an FFmpeg error line names', () => {
  const urls = new Map([
    ['main', 'rtmp://127.0.0.1:1935/live/courtroom-cr_1'],
    ['bench', 'rtmp://127.0.0.1:1935/live/courtroom-cr_1.bench'],
  ]);

  it('names the camera whose URL the line begins with, query redacted or not', () => {
    expect(inputNamedIn('rtmp://127.0.0.1:1935/live/courtroom-cr_1.bench?token=***: Input/output error', urls)).toBe('bench');
    expect(inputNamedIn('rtmp://127.0.0.1:1935/live/courtroom-cr_1: Connection timed out', urls)).toBe('main');
  });

  it('does not take a camera for another whose URL begins the same', () => {
    expect(inputNamedIn('rtmp://127.0.0.1:1935/live/courtroom-cr_1.benchX?token=***: Input/output error', urls)).toBeNull();
    expect(inputNamedIn('rtmp://127.0.0.1:1935/live/courtroom-cr_1.bench?token=***: Input/output error', new Map([['main', urls.get('main')!]]))).toBeNull();
  });

  it('names none for lines about anything else', () => {
    expect(inputNamedIn('[h264 @ 0x55] error while decoding MB 3 4', urls)).toBeNull();
    expect(inputNamedIn('rtmp://127.0.0.1:1935/live/courtroom-cr_1', urls)).toBeNull();
  });
});
