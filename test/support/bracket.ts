/**
 * Sends a command between two readings of the newest media the ingest had from a camera, so the
 * instant the server took as the command's capture time lies between `before` and `after`.
 * `newest` reads that media's time (on whichever clock the caller judges the edge by).
 */
export async function bracketed<R extends { status: number; body: unknown }>(newest: () => number, send: () => Promise<R>): Promise<{ before: number; after: number; res: R }> {
  const before = newest();
  const res = await send();
  return { before, after: newest(), res };
}
