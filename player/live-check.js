// Checks each segment of a live hearing against the court's signed checkpoint (seal-check.js),
// fetched beside the playlists. The checkpoint is written before a playlist names a slot, so a
// segment it does not list yet is asked for again once; one still unlisted plays unchecked (a
// cache in between serving an older checkpoint), one that differs from its entry is refused.
import { checkCheckpoint, importArchiveKey, segmentMatches } from './seal-check.js';

const KEEP = 2_000; // files remembered: hours of a ladder's slots, a few hundred kilobytes

export class LiveCheck {
  /**
   * @param {string} server the Courtcast server (the archive key's origin)
   * @param {string} masterUrl the hearing's master playlist: the checkpoint is beside it
   * @param {string} hearingId
   */
  constructor(server, masterUrl, hearingId) {
    this.folder = new URL('.', masterUrl);
    this.url = new URL('checkpoint.json', this.folder).href;
    this.hearingId = hearingId;
    this.checked = 0;
    this.latest = null; // the newest checkpoint that held
    // Every file any checkpoint that held listed, with each version the court signed for it: a
    // cache serving an older checkpoint, or a node that took the hearing over and began a chain of
    // its own, never turns a file the court signed into a mismatch.
    this.signed = new Map();
    this.hashed = new Map(); // entry hash → canonical body, of checkpoints that held
    this.refreshing = null;
    // Asked for at once, beside hls.js's first playlist: a segment waits only if it comes first.
    this.key = globalThis.crypto?.subtle
      ? fetch(`${server}/.well-known/courtcast-archive-key.pem`).then((r) => (r.ok ? r.text() : null)).then((pem) => (pem ? importArchiveKey(pem) : null)).catch(() => null)
      : Promise.resolve(null);
    void this.refresh();
  }

  /** Fetches and checks the newest checkpoint (one request at a time), and learns what it lists. */
  refresh() {
    this.refreshing ??= (async () => {
      try {
        const key = await this.key;
        if (!key) return;
        const doc = await fetch(this.url, { cache: 'no-store' }).then((r) => (r.ok ? r.json() : null)).catch(() => null);
        const v = doc ? await checkCheckpoint(doc, key, this.hearingId, this.hashed) : null;
        if (!v?.ok) return;
        this.latest = v.checkpoint;
        for (const [rel, e] of v.byKey) {
          const versions = this.signed.get(rel) ?? [];
          if (!versions.some((x) => x.sha256 === e.sha256)) this.signed.set(rel, [...versions, e]);
        }
        for (const rel of this.signed.keys()) {
          if (this.signed.size <= KEEP) break;
          this.signed.delete(rel);
        }
        for (const h of this.hashed.keys()) {
          if (this.hashed.size <= KEEP) break;
          this.hashed.delete(h);
        }
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** 'match', 'mismatch' (the court signed other bytes for it), or 'unchecked' (no key, no checkpoint, not listed). */
  async verdict(url, bytes) {
    const rel = decodeURIComponent(new URL(url).pathname.slice(this.folder.pathname.length));
    const matches = async () => {
      for (const e of this.signed.get(rel) ?? []) if (await segmentMatches(e, bytes)) return true;
      return false;
    };
    if (await matches()) return this.counted();
    // Not listed yet, or listed with other bytes (a slot the server had to replace): ask once more.
    await this.refresh();
    if (await matches()) return this.counted();
    return this.signed.has(rel) ? 'mismatch' : 'unchecked';
  }

  counted() {
    this.checked++;
    return 'match';
  }
}
