import { spawn } from 'node:child_process';
import { access, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { counterFilters, timecodeSoundExpr } from '../../server/media/synthetic.ts';
import { TEST_FPS } from './encoder.ts';

/** Seconds of the fake camera's file: Chromium loops it, and a test must finish before the counter wraps. */
export const FAKE_CAPTURE_SECONDS = 75;

const run = (args: string[]) =>
  new Promise<void>((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: 'ignore' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
  });

/**
 * The files Chromium's fake camera and microphone play: the counter pattern (counted from 0 at the
 * file's first frame) and the sound time code, as Y4M and WAV. Made once per machine and kept in
 * the temporary directory (about 100 MB at 256x144).
 */
export async function fakeCaptureFiles(): Promise<{ video: string; audio: string }> {
  const dir = os.tmpdir();
  const video = path.join(dir, `courtcast-fake-camera-v1-${FAKE_CAPTURE_SECONDS}.y4m`);
  const audio = path.join(dir, `courtcast-fake-microphone-v1-${FAKE_CAPTURE_SECONDS}.wav`);
  const made = async (file: string, args: string[]) => {
    if (await access(file).then(() => true, () => false)) return;
    // Written aside and renamed, so a run stopped halfway leaves no truncated file behind.
    const part = `${file}.${process.pid}.part${path.extname(file)}`;
    await run([...args, part]);
    await rename(part, file);
  };
  const seconds = String(FAKE_CAPTURE_SECONDS);
  await Promise.all([
    made(video, ['-f', 'lavfi', '-i', `testsrc2=size=256x144:rate=${TEST_FPS}`, '-t', seconds, '-vf', counterFilters(256, 144, 0).join(','), '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe']),
    made(audio, ['-f', 'lavfi', '-i', `aevalsrc=exprs='${timecodeSoundExpr(0)}':s=48000:c=stereo`, '-t', seconds, '-c:a', 'pcm_s16le', '-f', 'wav']),
  ]);
  return { video, audio };
}
