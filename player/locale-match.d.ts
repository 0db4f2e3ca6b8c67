/** The languages the player and the portal ship (a file each in player/locales). */
export declare const SHIPPED_LOCALES: readonly string[];
/** The best of `available` for a reader who wants `wanted`, most wanted first (see locale-match.js). */
export declare function bestLocale(wanted: readonly string[], available?: readonly string[], fallback?: string): string;
