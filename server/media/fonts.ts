import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The font file that draws Chinese on slates, or null when the machine has none.
 *
 * drawtext takes one face for a whole line and falls back to nothing: a Latin default would draw
 * every Han character as an empty box. fontconfig knows which installed faces cover simplified
 * Chinese (`:lang=zh-cn`); its own best match is taken when it is one of them, so a deployment's
 * font preferences (Noto CJK over WenQuanYi, say) hold. Sorted, so every node of a cluster picks the
 * same file and renders the same slates.
 */
export async function chineseFontFile(): Promise<string | null> {
  const list = async (args: string[]): Promise<string[]> => {
    try {
      const { stdout } = await run(args[0]!, args.slice(1), { timeout: 10_000 });
      return stdout.split('\n').map((l) => l.trim().replace(/:$/, '')).filter(Boolean);
    } catch {
      return [];
    }
  };
  const covering = (await list(['fc-list', ':lang=zh-cn', 'file'])).sort();
  if (covering.length === 0) return null;
  const [best] = await list(['fc-match', '-f', '%{file}', 'sans-serif:lang=zh-cn']);
  return best && covering.includes(best) ? best : covering[0]!;
}
