/** The one catalogue of stable error codes, with the HTTP status each maps to. */
export const ERROR_CODES = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_TRANSITION: 409,
  /** The hearing has no approval in force to broadcast (or to publish its replay). */
  NOT_APPROVED: 409,
  /** A retry of a command (same idempotency key) that is still being carried out. */
  IDEMPOTENCY_IN_FLIGHT: 409,
  /** The resource exists but does not take this method (a WHIP session takes no trickled candidates). */
  METHOD_NOT_ALLOWED: 405,
  DELAY_OUT_OF_RANGE: 422,
  INGEST_REFUSED: 403,
  UNSUPPORTED_MEDIA: 415,
  RANGE_NOT_SATISFIABLE: 416,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  /** A stored record its codec refuses: read as an error, never as a default. */
  RECORD_UNREADABLE: 500,
  /** Asked for something the server does not offer (an oEmbed answer within sizes no player fits). */
  NOT_IMPLEMENTED: 501,
  BUSY: 503,
  STORE_UNAVAILABLE: 503,
} as const;

/** A stable, documented error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** A domain failure with a stable code; `details` is safe to show to the caller. */
export class CourtcastError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CourtcastError';
  }

  /** The HTTP status for this error's code. */
  get status(): number {
    return ERROR_CODES[this.code];
  }
}

/** Narrows an unknown thrown value to a CourtcastError. */
export function isCourtcastError(err: unknown): err is CourtcastError {
  return err instanceof CourtcastError;
}
