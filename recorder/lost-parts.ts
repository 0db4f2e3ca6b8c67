import { declaredLost, isLost, type ManifestEntry } from './manifest.ts';

/** Who declared an archive's missing parts lost, and why: kept in the archive itself. */
export interface LostDeclaration {
  readonly format: 'courtcast-lost-parts/1';
  readonly hearingId: string;
  readonly keys: readonly string[];
  readonly reason: string;
  readonly declaredBy: { readonly userId: string; readonly username: string };
  readonly declaredAt: string;
}

/**
 * The media entries of a chain whose objects are nowhere this node can see (`present` says), and
 * that no earlier declaration already names. Only segments are ever declared lost: the record,
 * playlists and MP4s are made again by finalizing. `present` may throw (a store that does not
 * answer): nothing is declared lost on a guess.
 */
export async function missingParts(entries: readonly ManifestEntry[], present: (key: string) => Promise<boolean>): Promise<string[]> {
  const already = declaredLost(entries);
  const missing: string[] = [];
  for (const e of entries) {
    if ((e.kind !== 'master' && e.kind !== 'source' && e.kind !== 'aired' && e.kind !== 'received') || isLost(already, e)) continue;
    if (!(await present(e.key))) missing.push(e.key);
  }
  return missing;
}
