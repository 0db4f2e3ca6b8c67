import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileDurably } from './durable-file.ts';

/**
 * A secret the deployment generates for itself (the token signing key, later the archive's
 * signing key): made once, kept in `<dataDir>/secrets/<name>` readable by the owner only, and read
 * back on every start, so what it signed stays valid across restarts. A configured value always
 * wins over this and is never written here.
 */
export async function generatedSecret(dataDir: string, name: string, make: () => string = () => randomBytes(32).toString('base64url')): Promise<string> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`not a secret name: ${name}`);
  const dir = path.join(dataDir, 'secrets');
  const file = path.join(dir, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  try {
    const kept = (await readFile(file, 'utf8')).trim();
    if (kept.length >= 32) return kept;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = make().trim();
  await writeFileDurably(file, `${secret}\n`);
  return secret;
}
