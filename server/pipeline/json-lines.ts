import { readFile } from 'node:fs/promises';
import type { z } from 'zod';

/**
 * Every line of a JSON-lines file that reads as `codec` says, in order; none when the file is
 * absent. A line torn by a crash, or one that does not read, is skipped: its writer's readers
 * know how to make up for it.
 */
export async function readJsonLines<T>(file: string, codec: z.ZodType<T>): Promise<T[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').flatMap((l) => {
    if (!l.trim()) return [];
    try {
      const parsed = codec.safeParse(JSON.parse(l));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
}
