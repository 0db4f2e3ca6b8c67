import { randomBytes, randomUUID } from 'node:crypto';

/** Opaque identifiers. The brand keeps a courtroom id from being passed where a hearing id belongs. */
export type CourtId = string & { readonly __brand: 'CourtId' };
export type CourtroomId = string & { readonly __brand: 'CourtroomId' };
export type HearingId = string & { readonly __brand: 'HearingId' };

/** Ids are short, URL-safe and unguessable enough to be used in public URLs. */
export const ID_PATTERN = /^[a-z]{2}_[A-Za-z0-9_-]{8,40}$/;

function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
}

/** A new court id. */
export const newCourtId = (): CourtId => newId('ct') as CourtId;
/** A new courtroom id. */
export const newCourtroomId = (): CourtroomId => newId('cr') as CourtroomId;
/** A new hearing id. */
export const newHearingId = (): HearingId => newId('hg') as HearingId;

/**
 * A stream key: 24 random bytes (192 bits), 32 characters of base64url. Long enough to double as
 * an SRT passphrase (libsrt takes 10-79 characters).
 */
export function newStreamKey(): string {
  return randomBytes(24).toString('base64url');
}
