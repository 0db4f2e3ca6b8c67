import { describe, expect, it } from 'vitest';
import { isStorageFault } from '../../server/service/broadcast/live-hearing.ts';

describe('storage faults in FFmpeg’s last words', () => {
  it('tells a full, failing or read-only disk from other failures', () => {
    expect(isStorageFault('av_interleaved_write_frame(): No space left on device')).toBe(true);
    expect(isStorageFault('Error writing trailer: Input/output error')).toBe(true);
    expect(isStorageFault('Failed to open file: Read-only file system')).toBe(true);
    expect(isStorageFault('Connection to tcp://127.0.0.1:1935 failed: Connection refused')).toBe(false);
    expect(isStorageFault('ffmpeg was killed with signal SIGKILL')).toBe(false);
  });
});
