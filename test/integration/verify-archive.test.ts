import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signManifest, type Manifest } from '../../recorder/manifest.ts';
import { loadSigningKey } from '../../recorder/signing-key.ts';
import { LocalObjectStore } from '../../server/store/local-object-store.ts';
import { archiveInto, verifyCli } from '../support/archive-cli.ts';
import { S3Peer } from '../support/s3.ts';

describe('verify-archive: anyone with the public key can check an archive', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cc-verify-'));
  const storeDir = path.join(dir, 'store');
  const folder = path.join(storeDir, 'hearings', 'h1');
  const keyFile = path.join(dir, 'archive-key.pem');
  const peer = new S3Peer();

  beforeAll(async () => {
    await archiveInto(new LocalObjectStore(storeDir), dir, 'h1');
    writeFileSync(keyFile, (await loadSigningKey(dir)).publicPem);
    await peer.start();
    await archiveInto(peer.store({ prefix: 'court-a' }), dir, 'h2');
  }, 60_000);
  afterAll(async () => {
    await peer.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies an intact hearing folder, its manifest file, and the same archive in S3', async () => {
    expect(await verifyCli(folder, keyFile)).toMatchObject({ code: 0, out: expect.stringContaining('VERIFIED') });
    expect((await verifyCli(path.join(folder, 'manifest.json'), keyFile)).code).toBe(0);
    const s3 = await verifyCli(`s3://${peer.bucket}/court-a/hearings/h2`, keyFile, ['--endpoint', peer.endpoint], { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    expect(s3.out).toContain('6 objects hashed');
    expect(s3.code).toBe(0);
  }, 60_000);

  it('names the segment with one flipped byte', async () => {
    const seg = path.join(folder, 'master', 'm0001', '000002.ts');
    const body = readFileSync(seg);
    body[1000] = (body[1000] as number) ^ 0x01;
    writeFileSync(seg, body);
    const r = await verifyCli(folder, keyFile);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/entry 2 \(master\/m0001\/000002\.ts\): .*does not match/);
    expect(r.out).toContain('NOT VERIFIED');
    body[1000] = (body[1000] as number) ^ 0x01;
    writeFileSync(seg, body);
  }, 30_000);

  it('names the entry after one deleted from the manifest, and a manifest whose seal no longer fits', async () => {
    const file = path.join(folder, 'manifest.json');
    const original = readFileSync(file, 'utf8');
    const m = JSON.parse(original) as { entries: unknown[] };
    m.entries.splice(3, 1);
    writeFileSync(file, JSON.stringify(m));
    const r = await verifyCli(folder, keyFile);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/entry 3 \(master\/m0001\/000004\.ts\): entry 3 is numbered 4/);
    expect(r.out).toMatch(/the seal counts 6 entries; the manifest lists 5/);
    writeFileSync(file, original);
  }, 30_000);

  it('refuses a manifest re-signed with another key, and says so', async () => {
    const otherDir = mkdtempSync(path.join(os.tmpdir(), 'cc-otherkey-'));
    const other = await loadSigningKey(otherDir);
    await rm(otherDir, { recursive: true, force: true });
    const otherKey = path.join(dir, 'other.pem');
    writeFileSync(otherKey, other.publicPem);
    const r = await verifyCli(folder, otherKey);
    expect(r.code).toBe(1);
    expect(r.out).toContain('signed with another key');
    const m = JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.seal.final).toBe(true);
  }, 30_000);

  it('refuses an earlier interim seal put in place of the final one, unless asked to check an archive in progress, and says the seal is not final', async () => {
    // As an operator rolling an archive back would: an interim seal of its first entries, signed
    // with the right key, as the recorder signs them while a hearing is being archived.
    const file = path.join(folder, 'manifest.json');
    const original = readFileSync(file, 'utf8');
    const m = JSON.parse(original) as Manifest;
    const interim = signManifest(m.seal.hearingId, m.entries.slice(0, 3), (await loadSigningKey(dir)).privateKey, false, new Date(Date.parse(m.seal.sealedAt) - 60_000));
    writeFileSync(file, JSON.stringify(interim));
    try {
      const r = await verifyCli(folder, keyFile);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/seal: NOT FINAL/);
      expect(r.out).toMatch(/the seal is not final: it seals 3 entries/);
      expect(r.out).toContain('NOT VERIFIED');
      const asked = await verifyCli(folder, keyFile, ['--in-progress']);
      expect(asked.code).toBe(0);
      expect(asked.out).toContain('VERIFIED AS IN PROGRESS (the seal is not final)');
      const json = JSON.parse((await verifyCli(folder, keyFile, ['--in-progress', '--json'])).out) as { ok: boolean; final: boolean; entries: number };
      expect(json).toMatchObject({ ok: true, final: false, entries: 3 });
      // The final seal says so.
      writeFileSync(file, original);
      expect((await verifyCli(folder, keyFile)).out).toMatch(/seal: final, sealed /);
    } finally {
      writeFileSync(file, original);
    }
  }, 60_000);

  it('answers bad usage and a file that is no manifest with a clear message and status 2', async () => {
    expect((await verifyCli(folder, path.join(dir, 'missing.pem'))).code).toBe(2);
    const junk = path.join(dir, 'junk.json');
    writeFileSync(junk, '{"hello":1}');
    const r = await verifyCli(junk, keyFile);
    expect(r).toMatchObject({ code: 2, out: expect.stringContaining('not a Courtcast archive manifest') });
  }, 30_000);
});
