import { randomBytes } from 'node:crypto';

/**
 * Keys for streams this node publishes to its own ingest (a hearing's composed program): minted
 * per stream, held in memory only, never stored or shown, and revoked when the stream's work ends,
 * so a key that leaked from a command line opens nothing for long. The ingest asks these before
 * the registry's courtroom keys.
 */
export class InternalKeys {
  private readonly byKey = new Map<string, string>();

  /** A fresh key for `streamId`; any earlier key of that stream stops working. */
  mint(streamId: string): string {
    this.revoke(streamId);
    const key = `internal-${randomBytes(18).toString('base64url')}`;
    this.byKey.set(key, streamId);
    return key;
  }

  /** The stream a key publishes, or null. */
  resolve(key: string): string | null {
    return this.byKey.get(key) ?? null;
  }

  revoke(streamId: string): void {
    for (const [key, id] of this.byKey) if (id === streamId) this.byKey.delete(key);
  }

  /** Every key in use, to keep out of logs. */
  get keys(): readonly string[] {
    return [...this.byKey.keys()];
  }
}
