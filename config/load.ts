import { readFileSync } from 'node:fs';
import { configSchema, type Config } from './schema.ts';

/** Environment variables and the config path each one sets. Documented in docs/configuration.md. */
export const ENV_KEYS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  COURTCAST_HTTP_HOST: ['http', 'host'],
  COURTCAST_HTTP_PORT: ['http', 'port'],
  COURTCAST_PUBLIC_BASE_URL: ['http', 'publicBaseUrl'],
  COURTCAST_PORTAL_NAME: ['portal', 'name'],
  COURTCAST_PORTAL_EMBLEM: ['portal', 'emblemFile'],
  COURTCAST_PORTAL_CONTACT: ['portal', 'contact'],
  COURTCAST_ORIGIN_MEMORY_MB: ['http', 'originMemoryMb'],
  COURTCAST_TRUST_PROXY: ['http', 'trustProxy'],
  COURTCAST_RTMP_PORT: ['ingest', 'rtmpPort'],
  COURTCAST_INGEST_HOST: ['ingest', 'publicHost'],
  COURTCAST_INGEST_BIND_HOST: ['ingest', 'bindHost'],
  COURTCAST_INGEST_GRACE_MS: ['ingest', 'graceMs'],
  COURTCAST_WHIP: ['webrtc', 'enabled'],
  COURTCAST_WEBRTC_PORT_RANGE: ['webrtc', 'portRange'],
  COURTCAST_WEBRTC_HOST_ADDRESSES: ['webrtc', 'hostAddresses'],
  COURTCAST_WEBRTC_ANNOUNCED_ADDRESSES: ['webrtc', 'announcedAddresses'],
  COURTCAST_DATA_DIR: ['dataDir'],
  COURTCAST_FFMPEG: ['ffmpegPath'],
  COURTCAST_SEGMENT_SECONDS: ['media', 'segmentSeconds'],
  COURTCAST_FPS: ['media', 'fps'],
  COURTCAST_LIVE_MASK_SLOTS: ['media', 'liveMaskSlots'],
  COURTCAST_END_DRAIN_SECONDS: ['media', 'endDrainSeconds'],
  COURTCAST_SLATE_CACHE_DIR: ['media', 'slateCacheDir'],
  COURTCAST_TIME_OVERLAY: ['media', 'timeOverlay', 'enabled'],
  COURTCAST_METRICS_TOKEN: ['metrics', 'token'],
  COURTCAST_NODE_ID: ['cluster', 'nodeId'],
  COURTCAST_LEASE_SECONDS: ['cluster', 'leaseSeconds'],
  COURTCAST_TIME_OVERLAY_POSITION: ['media', 'timeOverlay', 'position'],
  COURTCAST_LADDER: ['media', 'ladder'],
  COURTCAST_DELAY_DEFAULT: ['delay', 'defaultSeconds'],
  COURTCAST_DELAY_MIN: ['delay', 'minSeconds'],
  COURTCAST_DELAY_MAX: ['delay', 'maxSeconds'],
  COURTCAST_PUBLIC_WINDOW: ['delay', 'publicWindowSegments'],
  COURTCAST_STATE_STORE: ['stores', 'state'],
  COURTCAST_REDIS_URL: ['stores', 'redisUrl'],
  COURTCAST_OBJECT_STORE: ['stores', 'objects'],
  COURTCAST_ARCHIVE_STORE: ['archive', 'store'],
  COURTCAST_ARCHIVE_DIR: ['archive', 'dir'],
  COURTCAST_ARCHIVE_SIGNING_KEY: ['archive', 'signingKey'],
  COURTCAST_ARCHIVE_PRESIGN_SECONDS: ['archive', 'presignSeconds'],
  COURTCAST_PUBLIC_S3_BUCKET: ['stores', 'publicS3', 'bucket'],
  COURTCAST_PUBLIC_S3_REGION: ['stores', 'publicS3', 'region'],
  COURTCAST_PUBLIC_S3_ENDPOINT: ['stores', 'publicS3', 'endpoint'],
  COURTCAST_PUBLIC_S3_FORCE_PATH_STYLE: ['stores', 'publicS3', 'forcePathStyle'],
  COURTCAST_PUBLIC_S3_ACCESS_KEY_ID: ['stores', 'publicS3', 'accessKeyId'],
  COURTCAST_PUBLIC_S3_SECRET_ACCESS_KEY: ['stores', 'publicS3', 'secretAccessKey'],
  COURTCAST_PUBLIC_S3_PREFIX: ['stores', 'publicS3', 'prefix'],
  COURTCAST_S3_BUCKET: ['archive', 's3', 'bucket'],
  COURTCAST_S3_REGION: ['archive', 's3', 'region'],
  COURTCAST_S3_ENDPOINT: ['archive', 's3', 'endpoint'],
  COURTCAST_S3_FORCE_PATH_STYLE: ['archive', 's3', 'forcePathStyle'],
  COURTCAST_S3_ACCESS_KEY_ID: ['archive', 's3', 'accessKeyId'],
  COURTCAST_S3_SECRET_ACCESS_KEY: ['archive', 's3', 'secretAccessKey'],
  COURTCAST_S3_PREFIX: ['archive', 's3', 'prefix'],
  COURTCAST_S3_PART_SIZE_MB: ['archive', 's3', 'partSizeMb'],
  COURTCAST_JWT_SECRET: ['auth', 'jwtSecret'],
  COURTCAST_TOKEN_TTL: ['auth', 'tokenTtlSeconds'],
  COURTCAST_ADMIN_USER: ['auth', 'bootstrapAdminUser'],
  COURTCAST_ADMIN_PASSWORD: ['auth', 'bootstrapAdminPassword'],
  COURTCAST_SCRYPT_LOG_N: ['auth', 'scryptLogN'],
  COURTCAST_LOG_LEVEL: ['log', 'level'],
});

/** Raised when the configuration is invalid; `issues` lists every problem, not just the first. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly issues: readonly string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Json = Record<string, unknown>;

function setPath(target: Json, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = (typeof next === 'object' && next !== null ? next : (node[key] = {})) as Json;
  }
  node[path.at(-1) as string] = value;
}

const JSON_VARIABLES = new Set(['COURTCAST_LADDER', 'COURTCAST_WEBRTC_PORT_RANGE', 'COURTCAST_WEBRTC_HOST_ADDRESSES', 'COURTCAST_WEBRTC_ANNOUNCED_ADDRESSES']);

/** JSON-valued variables (the ladder, WebRTC's ports and addresses) are parsed; a parse failure becomes one reported issue. */
function envLayer(env: NodeJS.ProcessEnv, issues: string[]): Json {
  const layer: Json = {};
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (JSON_VARIABLES.has(name)) {
      try {
        setPath(layer, path, JSON.parse(raw));
      } catch {
        issues.push(`${name}: not valid JSON`);
      }
    } else {
      setPath(layer, path, raw);
    }
  }
  return layer;
}

function merge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const bothObjects = [b, v].every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
    out[k] = bothObjects ? merge(b as Json, v as Json) : v;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Builds the configuration from (lowest first) built-in defaults, the JSON file named by
 * COURTCAST_CONFIG or `file`, environment variables, and `overrides` (used by tests and the demo).
 * Reports every problem at once, then freezes the result.
 */
export function loadConfig(opts: { env?: NodeJS.ProcessEnv; file?: string; overrides?: Json } = {}): Config {
  const env = opts.env ?? process.env;
  const issues: string[] = [];
  let fileLayer: Json = {};
  const file = opts.file ?? env.COURTCAST_CONFIG;
  if (file) {
    try {
      fileLayer = JSON.parse(readFileSync(file, 'utf8')) as Json;
    } catch (err) {
      issues.push(`config file ${file}: ${(err as Error).message}`);
    }
  }
  const input = merge(merge(fileLayer, envLayer(env, issues)), opts.overrides ?? {});
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
  }
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues);
  return deepFreeze(parsed.data);
}
