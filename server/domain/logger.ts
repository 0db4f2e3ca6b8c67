/**
 * The smallest logger any layer needs; pino fits it. It lives here, at the bottom, so every layer
 * can take one without importing another layer's module.
 */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}
