import { describe, expect, it } from 'vitest';
import { cameraView } from '../../server/domain/courts.ts';
import { cameraListFile, rtspGatewaySpec } from '../../server/media/rtsp-gateway.ts';
import { specToArgs } from '../../server/media/spec.ts';

describe('an IP camera as a courtroom source', () => {
  const camera = { url: 'rtsp://admin:p%40ss-w0rd@10.0.0.9:554/Streaming/Channels/101', transport: 'udp' as const };

  it('shows the camera without its credentials, saying it has some', () => {
    expect(cameraView(camera)).toEqual({ url: 'rtsp://10.0.0.9:554/Streaming/Channels/101', transport: 'udp', credentials: true });
    expect(cameraView({ url: 'rtsp://10.0.0.9/s', transport: 'tcp' }).credentials).toBe(false);
  });

  it('puts the URL in the file FFmpeg reads, with its transport and a socket timeout, and refuses one that could break out of its quotes', () => {
    expect(cameraListFile(camera).split('\n').slice(0, 4)).toEqual(['ffconcat version 1.0', `file '${camera.url}'`, 'option rtsp_transport udp', 'option timeout 3000000']);
    expect(cameraListFile(camera)).toContain('option fflags nobuffer');
    expect(() => cameraListFile({ url: "rtsp://h/a'\nfile '/etc/passwd", transport: 'tcp' })).toThrow();
    expect(() => cameraListFile({ url: 'rtsp://h/a\\b', transport: 'tcp' })).toThrow();
  });

  it('names only the file on the relay\'s command line, never the camera', () => {
    const args = specToArgs(rtspGatewaySpec({ listFile: '/data/pending/h/g0001/camera.ffconcat', publishUrl: 'rtmp://127.0.0.1:1935/live/KEY', progressFile: '/data/pending/h/g0001/progress.txt' })).join(' ');
    expect(args).toContain('-f concat -i /data/pending/h/g0001/camera.ffconcat');
    expect(args).not.toContain('rtsp://');
    expect(args).toContain('-c:v copy -c:a aac');
  });
});
