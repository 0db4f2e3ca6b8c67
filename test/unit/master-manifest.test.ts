import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendMasterLine, masterManifestOf, readMasterManifest } from '../../server/pipeline/master-manifest.ts';

const sha = 'a'.repeat(64);
let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the master manifest', () => {
  it('reads back what the sealer and recovery wrote, with files relative to the master directory', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'master-'));
    await appendMasterLine(dir, { run: 1, index: 0, file: path.join(dir, 'm0001', '000000.ts'), size: 10, sha256: sha, durationSec: 2, listedAt: 5, captureStart: 1, captureEnd: 2001, dated: 'clock' });
    await appendMasterLine(dir, { run: 1, index: 1, file: 'm0001/000001.ts', size: 11, sha256: sha, recovered: true });
    const lines = await readMasterManifest(dir);
    expect(lines.map((l) => l.file)).toEqual(['m0001/000000.ts', 'm0001/000001.ts']);
    expect(lines[0]).toMatchObject({ captureStart: 1, dated: 'clock' });
    expect(lines[1]?.recovered).toBe(true);
  });

  it('skips a line torn by a crash and a line that is not a sealed segment, and keeps the rest', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'master-'));
    await appendMasterLine(dir, { run: 1, index: 0, file: 'm0001/000000.ts', size: 10, sha256: sha });
    await appendFile(masterManifestOf(dir), '{"run":1,"index":1,"file":"m0001/0000\n{"run":1,"index":2,"file":"x.ts","size":1,"sha256":"nothex"}\n');
    await appendMasterLine(dir, { run: 1, index: 3, file: 'm0001/000003.ts', size: 10, sha256: sha });
    expect((await readMasterManifest(dir)).map((l) => l.index)).toEqual([0, 3]);
  });

  it('reads an absent manifest as empty', async () => {
    expect(await readMasterManifest(path.join(os.tmpdir(), 'no-such-master-dir'))).toEqual([]);
  });

  it('refuses to write a line that is not a sealed segment', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'master-'));
    await expect(appendMasterLine(dir, { run: 1, index: 0, file: 'f.ts', size: 1, sha256: 'short' })).rejects.toThrow();
  });
});
