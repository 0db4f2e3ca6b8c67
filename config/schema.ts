import { z } from 'zod';
import { contrastRatio, TEXT_CONTRAST } from '../server/domain/contrast.ts';

/** One rung of the public HLS ladder. A rung without `height` is the audio-only rung. */
export const rungSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9_-]{1,16}$/, 'rung names are 1-16 of a-z 0-9 _ -'),
    height: z.number().int().min(72).max(2160).optional(),
    videoKbps: z.number().int().min(64).max(20_000).optional(),
    audioKbps: z.number().int().min(16).max(320).default(96),
  })
  .strict()
  .refine((r) => (r.height === undefined) === (r.videoKbps === undefined), {
    message: 'a video rung needs both height and videoKbps; an audio rung neither',
  });

const port = z.coerce.number().int().min(0).max(65_535);
/** A boolean that also reads "true"/"false" from the environment (z.coerce would take "false" as true). */
const flag = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

/** Where an S3-compatible archive bucket is and how to reach it. */
const s3Schema = z
  .object({
    bucket: z.string().min(3).max(63),
    region: z.string().default('us-east-1'),
    /** For S3-compatible services (MinIO, Ceph); AWS needs none. */
    endpoint: z.url().optional(),
    forcePathStyle: flag.default(false),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    prefix: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._/-]*$/, 'a plain key prefix').optional(),
    partSizeMb: z.coerce.number().int().min(5).max(512).default(8),
  })
  .strict();

/** A text for the public, one for all languages or one per language tag (`{ "en": …, "zh-CN": … }`). */
const localized = z.union([z.string().trim().min(1).max(4000), z.record(z.string().regex(/^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/, 'a language tag'), z.string().trim().min(1).max(4000))]);
const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb');

/** How the public portal presents the deployment: its name, emblem, colours and footer. */
const portalSchema = z
  .object({
    /** The deployment's name in the portal's header and page titles (the locale's own by default). */
    name: localized.optional(),
    /** A PNG, JPEG or SVG of the court's emblem (at most 256 KB), shown beside the name. */
    emblemFile: z.string().regex(/\.(png|jpe?g|svg)$/i, 'a .png, .jpg or .svg file').optional(),
    colours: z
      .object({
        /** The header's background, under white text. */
        header: colour.default('#12324f'),
        /** Links and buttons, on the page's near-white background. */
        accent: colour.default('#0b5394'),
      })
      .strict()
      .prefault({})
      // A court's colours must not make its pages unreadable: refused at start, with the figures.
      .superRefine((c, ctx) => {
        for (const [key, against, what] of [['header', '#ffffff', 'white header text'], ['accent', '#f6f8fa', 'the page background']] as const) {
          const ratio = contrastRatio(c[key], against);
          if (ratio < TEXT_CONTRAST) ctx.addIssue({ code: 'custom', path: [key], message: `contrast with ${what} is ${ratio.toFixed(2)}:1; text needs ${TEXT_CONTRAST}:1` });
        }
      }),
    /** How to reach the court about its broadcasts (press office, a telephone number). */
    contact: localized.optional(),
    /** The legal notice the footer links to (who publishes, under which rules). */
    legalNotice: localized.optional(),
    /** The accessibility statement the footer links to; Courtcast's own by default. */
    accessibilityStatement: localized.optional(),
  })
  .strict();

/** Every setting Courtcast reads. Documented key by key in docs/configuration.md. */
export const configSchema = z
  .object({
    http: z
      .object({
        host: z.string().default('0.0.0.0'),
        port: port.default(8080),
        publicBaseUrl: z.url().optional(),
        /**
         * Which proxies' X-Forwarded-For to believe (Express's `trust proxy`: `loopback`, a list of
         * addresses or ranges, `uniquelocal` for private networks). Rate limits and viewer counts
         * go by the client address it yields.
         */
        trustProxy: z.string().min(1).default('loopback'),
        /** Memory for the newest public segments the origin answers from (playlists are always held). */
        originMemoryMb: z.coerce.number().int().min(0).max(16_384).default(256),
      })
      .strict()
      .prefault({}),
    ingest: z
      .object({
        rtmpPort: port.default(1935),
        /** Interface the RTMP and SRT listeners bind; by default the same as http.host. */
        bindHost: z.string().min(1).optional(),
        /** Where encoders are told to push; the host part of printed ingest URLs. */
        publicHost: z.string().default('127.0.0.1'),
        /** Encoder lost for longer than this is reported as an outage (the hearing still waits). */
        graceMs: z.coerce.number().int().min(1_000).default(120_000),
      })
      .strict()
      .prefault({}),
    webrtc: z
      .object({
        /** WHIP ingest (RFC 9725) for every courtroom, with the courtroom's stream key as bearer token. */
        enabled: flag.default(true),
        /** UDP ports WebRTC media may use (a firewall opens these); absent, the OS picks any. */
        portRange: z.tuple([port, port]).optional(),
        /**
         * Addresses to offer candidates on besides the machine's own interfaces (which exclude
         * loopback and virtual ones): a loopback address for a publisher on the same host, say.
         */
        hostAddresses: z.array(z.ipv4()).max(8).default([]),
        /** Public IPv4 addresses our candidates are reachable at through a 1:1 NAT (a cloud's public IP). */
        announcedAddresses: z.array(z.ipv4()).max(4).default([]),
        /** STUN/TURN servers for courts behind NAT (`turn:` URLs take a username and credential). */
        iceServers: z
          .array(z.object({ urls: z.string().regex(/^(stun|turns?):[^\s]+$/, 'a stun: or turn: URL'), username: z.string().optional(), credential: z.string().optional() }).strict())
          .max(4)
          .default([]),
        /** WHIP sessions on this node at most (one per courtroom in any case). */
        maxSessions: z.coerce.number().int().min(1).max(256).default(16),
        /** WHEP previews (staff viewers) on this node at most. */
        maxViewers: z.coerce.number().int().min(1).max(1000).default(32),
        /** A publisher's media above this rate (video and sound together) ends its session. */
        maxKbps: z.coerce.number().int().min(256).max(50_000).default(12_000),
        /** A session whose ICE has not connected, or whose media stopped, this long is ended. */
        idleTimeoutMs: z.coerce.number().int().min(2_000).max(120_000).default(15_000),
      })
      .strict()
      .prefault({}),
    dataDir: z.string().default('./data'),
    ffmpegPath: z.string().default('ffmpeg'),
    media: z
      .object({
        segmentSeconds: z.coerce.number().pipe(z.union([z.literal(1), z.literal(2)])).default(2),
        fps: z.coerce.number().int().min(10).max(60).default(30),
        /** Live black-box mask slots driven through FFmpeg's zmq filter; 0 re-renders every masked segment. */
        liveMaskSlots: z.coerce.number().int().min(0).max(4).default(2),
        /**
         * How long, after an end, the transcoder may work off what it is behind on so that the last
         * seconds before the end air; what is still owed past it airs as slates, on the audit trail.
         */
        endDrainSeconds: z.coerce.number().int().min(5).max(600).default(60),
        /**
         * Where the rendered slate segments are kept (by default `<dataDir>/slates`). They depend only
         * on the ladder, so servers on one host or volume can share them and skip the renders at start.
         */
        slateCacheDir: z.string().min(1).optional(),
        /**
         * The court's date and time drawn on the public rendition from the capture clock (courts
         * may opt out one by one). The master is never touched.
         */
        timeOverlay: z
          .object({
            enabled: flag.default(true),
            position: z.enum(['top-left', 'top-right', 'bottom-left', 'bottom-right']).default('bottom-right'),
            /** Text height as a fraction of the picture height. */
            size: z.coerce.number().min(0.02).max(0.1).default(0.045),
          })
          .strict()
          .prefault({}),
        ladder: z.array(rungSchema).min(1).default([
          { name: '720p', height: 720, videoKbps: 2800, audioKbps: 128 },
          { name: '480p', height: 480, videoKbps: 1400, audioKbps: 96 },
          { name: '360p', height: 360, videoKbps: 800, audioKbps: 96 },
          { name: 'audio', audioKbps: 64 },
        ]),
      })
      .strict()
      .prefault({}),
    delay: z
      .object({
        defaultSeconds: z.coerce.number().min(1).default(30),
        minSeconds: z.coerce.number().min(1).default(10),
        maxSeconds: z.coerce.number().min(1).default(1800),
        publicWindowSegments: z.coerce.number().int().min(3).max(1000).default(30),
      })
      .strict()
      .prefault({}),
    stores: z
      .object({
        state: z.enum(['memory', 'embedded', 'redis']).default('embedded'),
        redisUrl: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').optional(),
        /** The public store: `local` (under dataDir) or `s3`, so any node, nginx or a CDN can serve viewers. */
        objects: z.enum(['local', 's3']).default('local'),
        publicS3: s3Schema.optional(),
      })
      .strict()
      .prefault({}),
    archive: z
      .object({
        store: z.enum(['local', 's3']).default('local'),
        /** Root of the local archive store; by default `<dataDir>/archive`. */
        dir: z.string().min(1).optional(),
        /** Ed25519 private key (PKCS#8 PEM) that signs manifests; generated and kept when absent. */
        signingKey: z.string().includes('PRIVATE KEY', { message: 'a PKCS#8 PEM private key' }).optional(),
        /** Lifetime of a presigned download URL (S3 only). */
        presignSeconds: z.coerce.number().int().min(30).max(86_400).default(300),
        s3: s3Schema.optional(),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /** HS256 key for session tokens; random per process when absent (tokens then die on restart). */
        jwtSecret: z.string().min(32, 'use at least 32 characters').optional(),
        tokenTtlSeconds: z.coerce.number().int().min(60).max(86_400).default(900),
        /** Created at start when no account exists yet. */
        bootstrapAdminUser: z.string().min(1).optional(),
        bootstrapAdminPassword: z.string().min(12, 'use at least 12 characters').optional(),
        /**
         * scrypt's cost for new password hashes, as log2 N (r=8, p=1). 17 is OWASP's minimum for
         * scrypt; lower values exist for test suites that make hundreds of accounts, and the server
         * warns at start when given one.
         */
        scryptLogN: z.coerce.number().int().min(14).max(20).default(17),
      })
      .strict()
      .prefault({}),
    cluster: z
      .object({
        /**
         * This node's name among the nodes sharing one Redis; unique, and the same across its
         * restarts (it then takes its hearings back at once). By default host name and HTTP port.
         */
        nodeId: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'letters, digits and . _ : -').optional(),
        /** How long a node's hold on a live hearing lasts without renewal: the takeover time if it dies. */
        leaseSeconds: z.coerce.number().min(1).max(120).default(4),
      })
      .strict()
      .prefault({}),
    portal: portalSchema.prefault({}),
    metrics: z
      .object({
        /**
         * Bearer token Prometheus sends to scrape GET /metrics. Without one, /metrics is off: it
         * names live hearings and their load, which is not for the public.
         */
        token: z.string().min(16, 'use at least 16 characters').optional(),
      })
      .strict()
      .prefault({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.delay.minSeconds > c.delay.maxSeconds) {
      ctx.addIssue({ code: 'custom', path: ['delay', 'minSeconds'], message: 'must not exceed delay.maxSeconds' });
    }
    if (c.delay.defaultSeconds < c.delay.minSeconds || c.delay.defaultSeconds > c.delay.maxSeconds) {
      ctx.addIssue({ code: 'custom', path: ['delay', 'defaultSeconds'], message: 'must lie within [minSeconds, maxSeconds]' });
    }
    const names = c.media.ladder.map((r) => r.name);
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', path: ['media', 'ladder'], message: 'rung names must be unique' });
    }
    if (!c.media.ladder.some((r) => r.height !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['media', 'ladder'], message: 'the ladder needs at least one video rung' });
    }
    if (c.stores.state === 'redis' && !c.stores.redisUrl) {
      ctx.addIssue({ code: 'custom', path: ['stores', 'redisUrl'], message: 'required when stores.state is redis' });
    }
    if (c.stores.objects === 's3' && !c.stores.publicS3) {
      ctx.addIssue({ code: 'custom', path: ['stores', 'publicS3', 'bucket'], message: 'required when stores.objects is s3' });
    }
    if (c.archive.store === 's3' && !c.archive.s3) {
      ctx.addIssue({ code: 'custom', path: ['archive', 's3', 'bucket'], message: 'required when archive.store is s3' });
    }
    if (c.archive.s3 && (c.archive.s3.accessKeyId === undefined) !== (c.archive.s3.secretAccessKey === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['archive', 's3', 'secretAccessKey'], message: 'set both accessKeyId and secretAccessKey, or neither (the SDK default chain)' });
    }
    if ((c.auth.bootstrapAdminUser === undefined) !== (c.auth.bootstrapAdminPassword === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['auth', 'bootstrapAdminPassword'], message: 'set both bootstrapAdminUser and bootstrapAdminPassword, or neither' });
    }
    if (c.webrtc.portRange && c.webrtc.portRange[1] - c.webrtc.portRange[0] < 1) {
      ctx.addIssue({ code: 'custom', path: ['webrtc', 'portRange'], message: 'needs a low and a higher high port' });
    }
    if (c.http.port !== 0 && c.http.port === c.ingest.rtmpPort) {
      ctx.addIssue({ code: 'custom', path: ['ingest', 'rtmpPort'], message: 'must differ from http.port' });
    }
  });

/** The validated, frozen configuration. */
export type Config = z.infer<typeof configSchema>;
/** A rung of the ladder after validation. */
export type Rung = z.infer<typeof rungSchema>;
