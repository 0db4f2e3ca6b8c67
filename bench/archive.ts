/**
 * The archive: how soon a finished segment is durable in the archive store during a live hearing,
 * and the uploader's throughput against bare @aws-sdk/lib-storage uploading the same files to the
 * same S3 peer (s3rver in-process) in the same run.
 *
 * Lag runs from the segment's completion (its file's mtime: FFmpeg renames a segment into place
 * when it is complete, and the spool keeps that inode) to the store's confirmation of the upload.
 * Usage: npm run bench -- archive [seconds] [--smoke]   (smoke: a 4 s hearing at 320x180, 6 small files and one of 9 MB)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Upload } from '@aws-sdk/lib-storage';
import { pino } from 'pino';
import { Spool } from '../recorder/spool.ts';
import { Uploader } from '../recorder/uploader.ts';
import { SyntheticEncoder } from '../server/media/synthetic-encoder.ts';
import { S3Peer } from '../test/support/s3.ts';
import { seedHearing, startTestServer } from '../test/support/server.ts';
import { openAndStart } from './bench-hearing.ts';
import { numberArg, SMOKE, SMOKE_LADDER } from './smoke.ts';
import { quantile } from './stats.ts';

const SECONDS = SMOKE ? 4 : numberArg(0, 60);
const LADDER = SMOKE ? SMOKE_LADDER : [{ name: '720p', height: 720, videoKbps: 2800, audioKbps: 128 }, { name: '360p', height: 360, videoKbps: 800, audioKbps: 96 }, { name: 'audio', audioKbps: 64 }];
const PICTURE = SMOKE ? { width: 320, height: 180 } : { width: 1280, height: 720 };
const D_SECONDS = SMOKE ? 2 : 10;
/** The objects of the throughput run: segments of 750 KB and one large MP4 (multipart, 8 MB parts). */
const SEGMENTS = SMOKE ? 6 : 120;
const BIG_MB = SMOKE ? 9 : 60;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const q = quantile;

async function lagDuringHearing(peer: S3Peer): Promise<{ master: number[]; aired: number[] }> {
  const s = await startTestServer({
    media: { ladder: LADDER, segmentSeconds: 2, fps: 30 },
    archive: { store: 's3', s3: peer.settings() },
  });
  const lags = { master: [] as number[], aired: [] as number[] };
  s.cc.recorder.uploader.on('durable', (item, lagMs) => {
    if (item.key.includes('/master/')) lags.master.push(lagMs);
    else if (item.key.includes('/aired/')) lags.aired.push(lagMs);
  });
  const { hearingId, streamKey } = await seedHearing(s, { delaySeconds: D_SECONDS });
  const encoder = new SyntheticEncoder(
    { target: `rtmp://127.0.0.1:${s.cc.rtmpPort}/live/${streamKey}`, format: 'flv', ...PICTURE, fps: 30, toneHz: 440, caption: 'Bench', counterEpochMs: Date.now() },
    'ffmpeg',
    pino({ level: 'silent' }),
  );
  encoder.start();
  await openAndStart(s, hearingId);
  await sleep(SECONDS * 1000);
  await s.api('POST', `/api/hearings/${hearingId}/broadcast/end`, {});
  // Until the last as-aired segment is out and every upload is confirmed.
  for (let i = 0; i < 150 && !(await (await fetch(`${s.base}/hls/hearings/${hearingId}/${LADDER[0]!.name}/index.m3u8`)).text()).includes('#EXT-X-ENDLIST'); i++) await sleep(200);
  await s.cc.recorder.uploader.idle(30_000);
  await encoder.close();
  await s.close();
  return lags;
}

async function throughput(peer: S3Peer): Promise<{ ours: number; bare: number; mb: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-bench-archive-'));
  // A hearing's worth of objects: 2 s segments at ~3 Mbit/s, and one large MP4 (multipart).
  const files: string[] = [];
  for (let i = 0; i < SEGMENTS; i++) {
    const f = path.join(dir, `seg${i}.ts`);
    writeFileSync(f, Buffer.alloc(750 * 1024, i));
    files.push(f);
  }
  const big = path.join(dir, 'aired.mp4');
  writeFileSync(big, Buffer.alloc(BIG_MB * 1024 * 1024, 7));
  files.push(big);
  const mb = (SEGMENTS * 750 * 1024 + BIG_MB * 1024 * 1024) / 1e6;

  const store = peer.store({ prefix: 'bare' });
  let t = performance.now();
  for (const f of files) {
    await new Upload({ client: store.client, params: { Bucket: peer.bucket, Key: `bare/${path.basename(f)}`, Body: createReadStream(f) }, partSize: 8 * 1024 * 1024, queueSize: 2 }).done();
  }
  const bare = mb / ((performance.now() - t) / 1000);

  const spool = new Spool(path.join(dir, 'spool'));
  const uploader = new Uploader({ store: peer.store({ prefix: 'ours' }), spool, logger: pino({ level: 'silent' }) });
  t = performance.now();
  for (const f of files) uploader.add(await spool.addFile(`h/${path.basename(f)}`, f));
  await uploader.idle(600_000);
  const ours = mb / ((performance.now() - t) / 1000);
  await uploader.close();
  store.close();
  await rm(dir, { recursive: true, force: true });
  return { ours, bare, mb };
}

const peer = await new S3Peer().start();
try {
  const lags = await lagDuringHearing(peer);
  const tp = await throughput(peer);
  const row = (name: string, xs: number[]) => `| ${name} | ${xs.length} | ${Math.round(q(xs, 0.5))} | ${Math.round(q(xs, 0.99))} | ${Math.round(Math.max(...xs))} |`;
  process.stdout.write(
    [
      `Archive lag during a ${SECONDS} s hearing (${LADDER.map((r) => r.name).join('/')}, to s3rver)${SMOKE ? ' (smoke)' : ''}, ms from segment completion to confirmed in the store:`,
      '| objects | count | p50 | p99 | max |',
      '| --- | --- | --- | --- | --- |',
      row('master segments', lags.master),
      row('as-aired segments (from release)', lags.aired),
      '',
      `Upload throughput, ${tp.mb.toFixed(0)} MB (${SEGMENTS} segments + one ${BIG_MB} MB MP4), same files, same peer:`,
      `| uploader (spool, confirm by size and ETag) | ${tp.ours.toFixed(1)} MB/s |`,
      `| bare lib-storage Upload | ${tp.bare.toFixed(1)} MB/s |`,
      `| ratio (ours / bare) | ${(tp.ours / tp.bare).toFixed(2)} |`,
      '',
    ].join('\n'),
  );
  if (lags.master.length === 0 || lags.aired.length === 0) {
    process.stderr.write('archive: no master or no as-aired segment was archived during the hearing\n');
    process.exitCode = 1;
  }
} finally {
  await peer.dispose();
}
