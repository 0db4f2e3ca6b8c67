import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZmqCommandClient } from '../../server/media/zmq-client.ts';
import { decodeFrames, regionStats } from '../support/public-feed.ts';
import { freeTcpPort } from '../support/redis.ts';
import { elapse, waitFor } from '../support/wait.ts';

describe('ZMTP client driving FFmpeg runtime commands', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-zmq-'));
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('switches a drawbox on mid-stream, with replies and error codes from FFmpeg', async () => {
    const port = await freeTcpPort();
    const out = path.join(dir, 'out.ts');
    // The zmq filter binds loopback only: the default would listen on every interface.
    const vf = `zmq=bind_address=tcp\\\\://127.0.0.1\\\\:${port},drawbox@m0=x=0:y=0:w=2:h=2:color=black:t=fill:enable=0`;
    const ff = spawn('ffmpeg', ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-vf', vf, '-t', '5', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-y', out], { stdio: 'ignore' });
    const exited = new Promise((r) => ff.once('exit', r));
    const client = new ZmqCommandClient(port);
    try {
      await waitFor(async () => (await client.send('drawbox@m0 w trunc(iw*0.5/2)*2').catch(() => null))?.code === 0, 'the zmq filter to answer', 5_000, 100);
      expect((await client.send('drawbox@m0 h trunc(ih*0.5/2)*2')).code).toBe(0);
      expect((await client.send('drawbox@m0 x trunc(iw*0.25/2)*2')).code).toBe(0);
      expect((await client.send('drawbox@m0 y trunc(ih*0.25/2)*2')).code).toBe(0);
      await elapse(1_000);
      const on = await client.send('drawbox@m0 enable 1');
      expect(on).toMatchObject({ code: 0, message: 'Success' });
      const bad = await client.send('drawbox@m0 no_such_option 1');
      expect(bad.code).not.toBe(0);
    } finally {
      client.close();
      await exited;
    }
    const frames = await decodeFrames(await readFile(out));
    const black = frames.map((f) => regionStats(f, { x: 0.25, y: 0.25, w: 0.5, h: 0.5 }).mean < 20);
    const first = black.indexOf(true);
    expect(first).toBeGreaterThan(10); // the picture was clear before the command
    expect(black.slice(first).every(Boolean)).toBe(true); // and masked on every frame after it
  });

  it('rejects when no filter answers', async () => {
    const client = new ZmqCommandClient(await freeTcpPort(), '127.0.0.1', 500);
    await expect(client.send('drawbox@m0 enable 1')).rejects.toThrow();
    client.close();
  });
});
