import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { finishedSegments } from '../../server/ingest/received-keeper.ts';
import { keepReceived, readReceived } from '../../server/pipeline/received-media.ts';

describe('media kept as received', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('reads the segments the relay finished from its list, and nothing else', () => {
    const csv = ['000000.mkv,0.000000,2.500000', '000001.mkv,2.500000,4.500000', '../x.mkv,1,2', '000002.mkv,4.5', ''].join('\n');
    expect(finishedSegments(csv)).toEqual([
      { name: '000000.mkv', start: 0, end: 2.5 },
      { name: '000001.mkv', start: 2.5, end: 4.5 },
    ]);
  });

  it('moves a segment beside the master, lists it with its hash, and reads the list back past a torn line', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'cc-received-'));
    dirs.push(work);
    const masterDir = path.join(work, 'master', 'h1');
    const from = path.join(work, '000003.mkv');
    await writeFile(from, 'the publisher\'s bytes');
    const line = await keepReceived(masterDir, { from, folder: 'abcd1234-r1', name: '000003.mkv', captureStart: 1_000, captureEnd: 3_000 });
    expect(line).toEqual({ file: 'received/abcd1234-r1/000003.mkv', size: 21, sha256: createHash('sha256').update('the publisher\'s bytes').digest('hex'), captureStart: 1_000, captureEnd: 3_000 });
    expect(await stat(from).catch(() => null)).toBeNull();
    expect(await readFile(path.join(masterDir, 'received', 'abcd1234-r1', '000003.mkv'), 'utf8')).toBe('the publisher\'s bytes');
    await appendFile(path.join(masterDir, 'received.jsonl'), '{"file":"received/x/0000');
    await appendFile(path.join(masterDir, 'received.jsonl'), '\n{"file":"../../etc/passwd","size":1,"sha256":"' + '0'.repeat(64) + '"}\n');
    expect(await readReceived(masterDir)).toEqual([line]);
    expect(await readReceived(path.join(work, 'nowhere'))).toEqual([]);
  });
});
