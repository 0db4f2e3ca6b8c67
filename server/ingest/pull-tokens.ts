import { randomBytes } from 'node:crypto';
import { sameSecret as safeEqual } from '../domain/same-secret.ts';

/** How long a pull URL may wait for its FFmpeg to connect. */
const PULL_TOKEN_TTL_MS = 60_000;


/** What a pull is for: from the next keyframe (the transcoder), or every message (the master). */
export interface Pull {
  readonly fromKeyframe: boolean;
}

/**
 * One-time tokens for our own pipeline's pulls of the undelayed feed: each is spent by the first
 * play that shows it, and lapses unspent after a minute, so a URL seen in a process list is
 * worthless by the time anyone could use it.
 */
export class PullTokens {
  private readonly tokens = new Map<string, Pull & { readonly expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private sweep(): void {
    const now = this.now();
    for (const [t, pull] of this.tokens) if (pull.expires <= now) this.tokens.delete(t);
  }

  issue(pull: Pull): string {
    this.sweep();
    const token = randomBytes(18).toString('base64url');
    this.tokens.set(token, { ...pull, expires: this.now() + PULL_TOKEN_TTL_MS });
    return token;
  }

  /** The pull a token was issued for, once; null for an unknown, spent or lapsed token. */
  spend(token: string): Pull | null {
    this.sweep();
    for (const [t, pull] of this.tokens) {
      if (!safeEqual(t, token)) continue;
      this.tokens.delete(t);
      return { fromKeyframe: pull.fromKeyframe };
    }
    return null;
  }

  /** Tokens not yet spent, for log redaction. */
  outstanding(): string[] {
    return [...this.tokens.keys()];
  }
}
