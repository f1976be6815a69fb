// Configuration from the environment, using the Django settings' variable names so that one
// .env file serves both servers during the migration.
import path from 'node:path';

/**
 * A WS_ALLOWED_ORIGINS entry the validator (src/realtime/origins.ts) can match: `*`, `scheme://host[:port]` or a host alone (`.host`
 * for subdomains). Refused because they would never match: `host:port` without a scheme (urlsplit reads
 * `host` as the scheme) and `*.host` (is_same_domain has no wildcards: write `.host`).
 */
export function validOriginPattern(pattern: string): boolean {
  if (pattern === '*') return true;
  const host = String.raw`(\[[0-9a-f:.]+\]|\.?[^/?#@:[\]\s*]+)`;
  return new RegExp(String.raw`^([a-z][a-z0-9+.-]*://${host}(:\d{1,5})?/?|${host})$`, 'i').test(pattern);
}

export interface CloudinaryConfig {
  cloudName: string;
  apiKey: string;
  apiSecret: string;
  secure: boolean;
  /** Upload API base (CLOUDINARY_UPLOAD_PREFIX, as pycloudinary reads it); default https://api.cloudinary.com. */
  uploadPrefix: string | null;
}

export interface EmailConfig {
  host: string;
  port: number;
  useTls: boolean;
  useSsl: boolean;
  user: string;
  password: string;
  from: string;
}

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  /** REDIS_URL as given (null: no Redis; one process, in-memory layer). */
  redisUrl: string | null;
  /** REDIS_URL's hosts in order (channels_redis's `hosts` list: the ring the channel layer shards over). */
  redisUrls: string[];
  channelLayer: 'core' | 'pubsub';
  secretKey: string;
  debug: boolean;
  allowedHosts: string[];
  /** CSRF_TRUSTED_ORIGINS (admin and session-authenticated API): "https://admin.example.org", "https://*.example.org". */
  csrfTrustedOrigins: string[];
  trustProxy: boolean;
  cloudinary: CloudinaryConfig | null;
  /** Cloud name used to render stored CloudinaryField values as URLs, even without upload credentials. */
  cloudinaryCloudName: string;
  email: EmailConfig | null;
  mediaRoot: string;
  maxUploadBytes: number;
  wsMaxFrameBytes: number;
  wsRateLimit: { perSecond: number; burst: number };
  wsSendBufferLimit: number;
  /** daphne's --ping-interval / --ping-timeout, in ms. */
  wsPingIntervalMs: number;
  wsPingTimeoutMs: number;
  /** Client frames of one socket received but not handled yet; past it: error frame, then close 1013. */
  wsMaxPendingFrames: number;
  /** WS_ALLOWED_ORIGINS: Origin patterns a socket handshake may come from (src/realtime/origins.ts); null = any (the original). */
  wsAllowedOrigins: string[] | null;
  /** Open sockets of one user in this process; past it the socket gets an error frame, then 1008. */
  wsMaxSocketsPerUser: number;
  /** WS_MAX_SOCKETS_PER_USER_SHARED: the bound counts the user's sockets on every process (Redis; src/realtime/socketPlaces.ts). */
  wsMaxSocketsPerUserShared: boolean;
  /** The chat message writer's admission bounds (src/chat/socketQueries.ts WriterLimits; 0 = none): a send
   * that waited this long since its frame arrived, or finds this many sends queued, is refused. */
  wsSendMaxWaitMs: number;
  wsSendMaxQueued: number;
  /** Frames of one user across all their sockets (a token bucket, per process). */
  wsUserRateLimit: { perSecond: number; burst: number };
  /** Postgres bounds (src/db/index.ts): connect, one statement, waiting for a pooled connection. */
  dbTimeouts: { connectMs: number; statementMs: number; poolAcquireMs: number };
  /**
   * DB_ROOM_INDEX_PATHS: plan the groups list and history statements with index paths only
   * (ROOM_MESSAGES_PLAN, src/db/sql.ts) — for a message table that churns faster than autovacuum keeps up.
   */
  dbRoomIndexPaths: boolean;
  /** Django's request-body caps (multipart and form bodies). */
  upload: {
    /** DATA_UPLOAD_MAX_NUMBER_FIELDS */
    maxNumberFields: number;
    /** DATA_UPLOAD_MAX_MEMORY_SIZE: the body less its file parts. */
    maxMemorySize: number;
    /** DATA_UPLOAD_MAX_NUMBER_FILES */
    maxNumberFiles: number;
    /** FILE_UPLOAD_MAX_MEMORY_SIZE: larger files are streamed to a temporary file. */
    fileMaxMemorySize: number;
    /** Upload bytes being received by the whole process at once; past it new uploads get 503. */
    maxBytesInFlight: number;
  };
  /** DRF-style throttle rates (`<n>/<s|sec|m|min|h|hour|d|day>`), per client address and per account. */
  throttleRates: { login: ThrottleRate; otp: ThrottleRate; passwordReset: ThrottleRate };
  firebaseCredentials: string | null;
  /** Attendance check-in: the lab's coordinates (degrees) and the accepted radius (metres). */
  attendance: { labLatitude: number; labLongitude: number; radiusMeters: number };
  googleClientIds: string[];
  loadDemoData: boolean;
  logLevel: string;
  /** Enables GET /metrics behind `Authorization: Bearer <token>`; null = no such path. */
  metricsToken: string | null;
  /** API_DOCS: serve the API documents at /api/schema/ and /api/docs/ (the original has no such path: 404). */
  apiDocs: boolean;
  /** Base of local media URLs (LocalStorage); null = http://localhost:<port>. */
  mediaBaseUrl: string | null;
  /** CREATE_SCHEMA=false: an empty database is refused instead of getting the schema (a deploy pointed
   * at the wrong database fails at start instead of serving an empty service). */
  createSchema: boolean;
  /** Worker processes sharing the port (src/server/cluster.ts); more than one needs Redis and Postgres. */
  webConcurrency: number;
  /** SIGTERM → exit bound: draining (src/server/lifecycle.ts) finishes within it. */
  shutdownGraceMs: number;
  /** CLIENT_COMPAT: answers shaped for a known client that crashes on the original's (null = the original's bytes). */
  clientCompat: ClientCompat | null;
  /** STUDENT_EMAIL_DOMAINS: the domains `student/register/` accepts (lower case); null = any (the original). */
  studentEmailDomains: string[] | null;
}

/**
 * The client-compatibility modes CLIENT_COMPAT accepts. `csi-android-2025`: the Android app of 2025
 * (docs/kotlin-client-contract.md §5 C1, C3, C4) — no null message text in frames and history, a `name`
 * in upload broadcasts' sender, the profile's `domain` as {id, name}.
 */
const CLIENT_COMPAT_MODES = ['csi-android-2025'] as const;
export type ClientCompat = (typeof CLIENT_COMPAT_MODES)[number];

/** CLIENT_COMPAT=csi-android-2025: the app-safety mode (README: divergences). */
export const androidSafe = (c: Pick<Config, 'clientCompat'>): boolean => c.clientCompat === 'csi-android-2025';

export class ConfigError extends Error {}

/** A DRF throttle rate: `num` requests per `seconds`; null = no throttle. */
export type ThrottleRate = { num: number; seconds: number } | null;

/**
 * Every environment variable the server reads: the readers below accept only these names, so this
 * table is complete by construction. `production`: a production deploy must set it (render.yaml is
 * checked against this table by test/deploy-config.test.ts).
 */
const ENV_VARS = {
  PORT: { production: false },
  HOST: { production: false },
  DATABASE_URL: { production: true },
  DATA_DIR: { production: false },
  REDIS_URL: { production: true },
  CHANNEL_LAYER: { production: false },
  SECRET_KEY: { production: true },
  DEBUG: { production: false },
  ALLOWED_HOSTS: { production: true },
  TRUST_PROXY: { production: true },
  CLOUDINARY_CLOUD_NAME: { production: true },
  CLOUDINARY_API_KEY: { production: true },
  CLOUDINARY_API_SECRET: { production: true },
  CLOUDINARY_SECURE: { production: false },
  CLOUDINARY_UPLOAD_PREFIX: { production: false },
  EMAIL_HOST: { production: false },
  EMAIL_PORT: { production: false },
  EMAIL_USE_TLS: { production: false },
  EMAIL_USE_SSL: { production: false },
  EMAIL_HOST_USER: { production: true },
  EMAIL_HOST_PASSWORD: { production: true },
  DEFAULT_FROM_EMAIL: { production: false },
  MEDIA_ROOT: { production: false },
  MEDIA_BASE_URL: { production: false },
  MAX_UPLOAD_BYTES: { production: false },
  WS_MAX_FRAME_BYTES: { production: false },
  WS_RATE_PER_SECOND: { production: false },
  WS_RATE_BURST: { production: false },
  WS_SEND_BUFFER_BYTES: { production: false },
  WS_PING_INTERVAL_MS: { production: false },
  WS_PING_TIMEOUT_MS: { production: false },
  WS_MAX_PENDING_FRAMES: { production: false },
  WS_MAX_SOCKETS_PER_USER: { production: false },
  WS_MAX_SOCKETS_PER_USER_SHARED: { production: false },
  WS_ALLOWED_ORIGINS: { production: false },
  WS_SEND_MAX_WAIT_MS: { production: false },
  WS_SEND_MAX_QUEUED: { production: false },
  WS_USER_RATE_PER_SECOND: { production: false },
  WS_USER_RATE_BURST: { production: false },
  DB_CONNECT_TIMEOUT_MS: { production: false },
  DB_STATEMENT_TIMEOUT_MS: { production: false },
  DB_POOL_TIMEOUT_MS: { production: false },
  DB_ROOM_INDEX_PATHS: { production: false },
  DATA_UPLOAD_MAX_NUMBER_FIELDS: { production: false },
  DATA_UPLOAD_MAX_MEMORY_SIZE: { production: false },
  DATA_UPLOAD_MAX_NUMBER_FILES: { production: false },
  FILE_UPLOAD_MAX_MEMORY_SIZE: { production: false },
  UPLOAD_MAX_BYTES_IN_FLIGHT: { production: false },
  THROTTLE_RATE_LOGIN: { production: false },
  THROTTLE_RATE_OTP: { production: false },
  THROTTLE_RATE_PASSWORD_RESET: { production: false },
  FIREBASE_CREDENTIALS: { production: true },
  FIREBASE_CREDENTIALS_JSON: { production: false },
  GOOGLE_APPLICATION_CREDENTIALS: { production: false },
  ATTENDANCE_LAB_LATITUDE: { production: false },
  ATTENDANCE_LAB_LONGITUDE: { production: false },
  ATTENDANCE_RADIUS_METERS: { production: false },
  GOOGLE_CLIENT_IDS: { production: false },
  GOOGLE_ANDROID_CLIENT_ID: { production: false },
  GOOGLE_IOS_CLIENT_ID: { production: false },
  LOAD_DEMO_DATA: { production: false },
  LOG_LEVEL: { production: false },
  METRICS_TOKEN: { production: false },
  API_DOCS: { production: false },
  CREATE_SCHEMA: { production: true },
  WEB_CONCURRENCY: { production: false },
  SHUTDOWN_GRACE_MS: { production: false },
  CSRF_TRUSTED_ORIGINS: { production: false },
  CLIENT_COMPAT: { production: false },
  STUDENT_EMAIL_DOMAINS: { production: false },
} as const satisfies Record<string, { production: boolean }>;

export type EnvName = keyof typeof ENV_VARS;

/** The names of every environment variable the server reads. */
export const ENV_NAMES = Object.keys(ENV_VARS) as EnvName[];

/** The ones a production deploy must set. */
export const PRODUCTION_ENV_NAMES = ENV_NAMES.filter((n) => ENV_VARS[n].production);

type Env = Record<string, string | undefined>;

function str(env: Env, name: EnvName): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

function int(env: Env, name: EnvName, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function float(env: Env, name: EnvName, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const n = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n < min || n > max)
    throw new ConfigError(`${name} must be a number between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

function bool(env: Env, name: EnvName, fallback: boolean): boolean {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be a boolean (true/false), got ${JSON.stringify(raw)}`);
}

function url(env: Env, name: EnvName, protocols: string[]): string | null {
  const raw = str(env, name);
  if (raw === undefined) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => p + '//').join(' or ')}, got ${parsed.protocol}//`);
  }
  return raw;
}

/**
 * REDIS_URL: one redis:// or rediss:// URL, or several separated by commas, the hosts of channels_redis's
 * `hosts` list in the same order (the order decides which host holds what: every process, csi-chat or
 * Django, must list the same hosts in the same order). Refused: an empty entry, a non-Redis URL, and a host
 * named twice (same host, port and database: it would take two places in the ring).
 */
export function redisHosts(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const entries = raw.split(',').map((e) => e.trim());
  const many = entries.length > 1;
  const which = (i: number) => (many ? `REDIS_URL entry ${i + 1} of ${entries.length}` : 'REDIS_URL');
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    if (!entry)
      throw new ConfigError(`${which(i)} is empty: list the Redis hosts separated by commas, e.g. redis://10.0.0.1:6379/0,redis://10.0.0.2:6379/0`);
    let parsed: URL;
    try {
      parsed = new URL(entry);
    } catch {
      throw new ConfigError(`${which(i)} is not a valid URL${many ? ` (${JSON.stringify(entry.replace(/\/\/[^@/]*@/, '//…@'))})` : ''}`);
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new ConfigError(`${which(i)} must start with redis:// or rediss://, got ${parsed.protocol}//`);
    }
    if (!parsed.hostname) throw new ConfigError(`${which(i)} names no host`);
    const db = parsed.pathname.replace(/^\//, '') || '0';
    if (!/^\d+$/.test(db)) throw new ConfigError(`${which(i)}: the database must be a number after the host (redis://host:port/0), got /${db}`);
    const id = `${parsed.hostname.toLowerCase()}:${parsed.port || '6379'}/${db}`;
    const before = seen.get(id);
    if (before !== undefined) {
      throw new ConfigError(`REDIS_URL names the Redis host ${id} twice (entries ${before + 1} and ${i + 1}); list each host once`);
    }
    seen.set(id, i);
  });
  return entries;
}

/**
 * STUDENT_EMAIL_DOMAINS (csi-chat's, issue 13 #9): comma-separated domains (`akgec.ac.in`, with or without a
 * leading `@`) whose addresses may sign up as students; `*` = any address, as the original. Unset: the
 * college domain that `student/google-login/` already requires.
 */
function studentEmailDomains(env: Env): string[] | null {
  const raw = str(env, 'STUDENT_EMAIL_DOMAINS') ?? 'akgec.ac.in';
  if (raw.trim() === '*') return null;
  const list = raw
    .split(',')
    .map((d) => d.trim().toLowerCase().replace(/^@/, ''))
    .filter(Boolean);
  for (const d of list) {
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(d)) {
      throw new ConfigError(`STUDENT_EMAIL_DOMAINS: ${JSON.stringify(d)} is not a domain name (use * for any address)`);
    }
  }
  if (list.length === 0) throw new ConfigError('STUDENT_EMAIL_DOMAINS is empty (use * for any address)');
  return list;
}

/**
 * WS_ALLOWED_ORIGINS (csi-chat's, issue 13 #10): comma-separated Origin patterns of Channels'
 * OriginValidator; unset = no check (the original's asgi.py wraps no validator).
 */
function wsAllowedOrigins(env: Env): string[] | null {
  const raw = str(env, 'WS_ALLOWED_ORIGINS');
  if (raw === undefined) return null;
  const list = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of list) {
    if (!validOriginPattern(o))
      throw new ConfigError(
        `WS_ALLOWED_ORIGINS entries must be *, scheme://host[:port] or a host (.example.org for its subdomains), got ${JSON.stringify(o)}`,
      );
  }
  if (list.length === 0) throw new ConfigError('WS_ALLOWED_ORIGINS is empty (unset it, or use *, to accept any Origin)');
  return list;
}

/** Django's check (4_0.E001): every origin names its scheme. */
function csrfTrustedOrigins(env: Env): string[] {
  const list = (str(env, 'CSRF_TRUSTED_ORIGINS') ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of list) {
    if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]+$/i.test(o))
      throw new ConfigError(`CSRF_TRUSTED_ORIGINS entries must be scheme://host, got ${JSON.stringify(o)}`);
  }
  return list;
}

/** DRF's SimpleRateThrottle.parse_rate: "<num>/<period>", the period's first letter (s, m, h, d); "none" = off. */
function throttleRate(env: Env, name: EnvName, fallback: string): ThrottleRate {
  const raw = (str(env, name) ?? fallback).trim();
  if (raw.toLowerCase() === 'none') return null;
  const m = /^(\d+)\/([smhd])[a-z]*$/.exec(raw);
  if (!m || Number(m[1]) < 1) throw new ConfigError(`${name} must look like "10/min" (s, min, hour, day) or "none", got ${JSON.stringify(raw)}`);
  return { num: Number(m[1]), seconds: { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'] };
}

function oneOf<const T extends string>(env: Env, name: EnvName, accepted: readonly T[]): T | null {
  const raw = str(env, name);
  if (raw === undefined) return null;
  const v = raw.trim();
  if ((accepted as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(`${name} must be one of ${accepted.map((a) => JSON.stringify(a)).join(', ')} (or unset), got ${JSON.stringify(raw)}`);
}

export function loadConfig(env: Env = process.env): Config {
  const cloudName = str(env, 'CLOUDINARY_CLOUD_NAME');
  const apiKey = str(env, 'CLOUDINARY_API_KEY');
  const apiSecret = str(env, 'CLOUDINARY_API_SECRET');
  const someCloudinary = cloudName || apiKey || apiSecret;
  if (someCloudinary && !(cloudName && apiKey && apiSecret)) {
    const missing = (['CLOUDINARY_CLOUD_NAME', 'CLOUDINARY_API_KEY', 'CLOUDINARY_API_SECRET'] as const).filter((n) => !str(env, n));
    throw new ConfigError(`${missing[0]} must be set together with the other CLOUDINARY_* variables`);
  }
  const emailUser = str(env, 'EMAIL_HOST_USER');
  const emailPassword = str(env, 'EMAIL_HOST_PASSWORD');
  const emailHost = str(env, 'EMAIL_HOST') ?? (emailUser ? 'smtp.gmail.com' : undefined);
  const channelLayer = (str(env, 'CHANNEL_LAYER') ?? 'core').toLowerCase();
  if (channelLayer !== 'core' && channelLayer !== 'pubsub') {
    throw new ConfigError(`CHANNEL_LAYER must be "core" or "pubsub", got ${JSON.stringify(channelLayer)}`);
  }
  const dataDir = path.resolve(str(env, 'DATA_DIR') ?? './data');
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const debug = bool(env, 'DEBUG', false);
  const redisUrls = redisHosts(str(env, 'REDIS_URL'));
  const redisUrl = redisUrls.length ? (str(env, 'REDIS_URL') ?? null) : null;
  const webConcurrency = int(env, 'WEB_CONCURRENCY', 1, 1, 64);
  if (webConcurrency > 1 && !redisUrl) {
    throw new ConfigError(`WEB_CONCURRENCY=${webConcurrency} needs REDIS_URL: worker processes reach each other's sockets only through Redis`);
  }
  if (webConcurrency > 1 && !databaseUrl) {
    throw new ConfigError(`WEB_CONCURRENCY=${webConcurrency} needs DATABASE_URL: the embedded PGlite database belongs to one process`);
  }
  const wsMaxSocketsPerUserShared = bool(env, 'WS_MAX_SOCKETS_PER_USER_SHARED', false);
  if (wsMaxSocketsPerUserShared && !redisUrl) {
    throw new ConfigError('WS_MAX_SOCKETS_PER_USER_SHARED=true needs REDIS_URL: the processes count their sockets in Redis');
  }
  const wsRateLimit = { perSecond: int(env, 'WS_RATE_PER_SECOND', 20, 1), burst: int(env, 'WS_RATE_BURST', 40, 1) };
  return {
    port: int(env, 'PORT', 8000, 0, 65535),
    host: str(env, 'HOST') ?? '0.0.0.0',
    databaseUrl,
    dataDir,
    redisUrl,
    redisUrls,
    channelLayer,
    secretKey: str(env, 'SECRET_KEY') ?? 'csi-chat-insecure-development-key',
    debug,
    allowedHosts: (str(env, 'ALLOWED_HOSTS') ?? '*')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean),
    csrfTrustedOrigins: csrfTrustedOrigins(env),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    cloudinary:
      cloudName && apiKey && apiSecret
        ? {
            cloudName,
            apiKey,
            apiSecret,
            secure: bool(env, 'CLOUDINARY_SECURE', false),
            uploadPrefix: url(env, 'CLOUDINARY_UPLOAD_PREFIX', ['http:', 'https:']),
          }
        : null,
    cloudinaryCloudName: cloudName ?? 'dcbla9zbl',
    email: emailHost
      ? {
          host: emailHost,
          port: int(env, 'EMAIL_PORT', 587, 1, 65535),
          useTls: bool(env, 'EMAIL_USE_TLS', true),
          useSsl: bool(env, 'EMAIL_USE_SSL', false),
          user: emailUser ?? '',
          password: emailPassword ?? '',
          from: str(env, 'DEFAULT_FROM_EMAIL') ?? emailUser ?? 'webmaster@localhost',
        }
      : null,
    mediaRoot: path.resolve(str(env, 'MEDIA_ROOT') ?? path.join(dataDir, 'media')),
    maxUploadBytes: int(env, 'MAX_UPLOAD_BYTES', 10 * 1024 * 1024, 1),
    wsMaxFrameBytes: int(env, 'WS_MAX_FRAME_BYTES', 64 * 1024, 128),
    wsRateLimit,
    wsSendBufferLimit: int(env, 'WS_SEND_BUFFER_BYTES', 4 * 1024 * 1024, 1024),
    wsPingIntervalMs: int(env, 'WS_PING_INTERVAL_MS', 20_000, 100),
    wsPingTimeoutMs: int(env, 'WS_PING_TIMEOUT_MS', 30_000, 100),
    // Defaults that follow a raised per-socket rate: a socket within WS_RATE_* never meets them alone.
    wsMaxPendingFrames: int(env, 'WS_MAX_PENDING_FRAMES', Math.max(100, 2 * wsRateLimit.burst), 1),
    wsAllowedOrigins: wsAllowedOrigins(env),
    wsMaxSocketsPerUser: int(env, 'WS_MAX_SOCKETS_PER_USER', 20, 1),
    wsMaxSocketsPerUserShared,
    // Far above a send's usual wait (milliseconds): met only when the room is offered more than the
    // database takes (bench/overload.ts) or the database stalls.
    wsSendMaxWaitMs: int(env, 'WS_SEND_MAX_WAIT_MS', 2000),
    wsSendMaxQueued: int(env, 'WS_SEND_MAX_QUEUED', 2000),
    wsUserRateLimit: {
      perSecond: int(env, 'WS_USER_RATE_PER_SECOND', 2 * wsRateLimit.perSecond, 1),
      burst: int(env, 'WS_USER_RATE_BURST', 2 * wsRateLimit.burst, 1),
    },
    dbTimeouts: {
      connectMs: int(env, 'DB_CONNECT_TIMEOUT_MS', 5000, 100),
      statementMs: int(env, 'DB_STATEMENT_TIMEOUT_MS', 10_000, 100),
      poolAcquireMs: int(env, 'DB_POOL_TIMEOUT_MS', 5000, 100),
    },
    dbRoomIndexPaths: bool(env, 'DB_ROOM_INDEX_PATHS', false),
    // Django's defaults (django/conf/global_settings.py).
    upload: {
      maxNumberFields: int(env, 'DATA_UPLOAD_MAX_NUMBER_FIELDS', 1000, 1),
      maxMemorySize: int(env, 'DATA_UPLOAD_MAX_MEMORY_SIZE', 2_621_440, 1),
      maxNumberFiles: int(env, 'DATA_UPLOAD_MAX_NUMBER_FILES', 100, 1),
      fileMaxMemorySize: int(env, 'FILE_UPLOAD_MAX_MEMORY_SIZE', 2_621_440, 0),
      maxBytesInFlight: int(env, 'UPLOAD_MAX_BYTES_IN_FLIGHT', 256 * 1024 * 1024, 1024),
    },
    throttleRates: {
      login: throttleRate(env, 'THROTTLE_RATE_LOGIN', '60/min'),
      otp: throttleRate(env, 'THROTTLE_RATE_OTP', '30/min'),
      passwordReset: throttleRate(env, 'THROTTLE_RATE_PASSWORD_RESET', '20/min'),
    },
    firebaseCredentials:
      str(env, 'FIREBASE_CREDENTIALS') ?? str(env, 'FIREBASE_CREDENTIALS_JSON') ?? str(env, 'GOOGLE_APPLICATION_CREDENTIALS') ?? null,
    // The original's Attendance/utils.py constants (LAB_LATITUDE, LAB_LONGITUDE, RADIUS_THRESHOLD).
    attendance: {
      labLatitude: float(env, 'ATTENDANCE_LAB_LATITUDE', 28.6754077, -90, 90),
      labLongitude: float(env, 'ATTENDANCE_LAB_LONGITUDE', 77.503143, -180, 180),
      radiusMeters: float(env, 'ATTENDANCE_RADIUS_METERS', 25, 0, 20037509),
    },
    // Google sign-in audiences: GOOGLE_CLIENT_IDS (comma-separated) plus the original's two names.
    googleClientIds: [...(str(env, 'GOOGLE_CLIENT_IDS') ?? '').split(','), str(env, 'GOOGLE_ANDROID_CLIENT_ID'), str(env, 'GOOGLE_IOS_CLIENT_ID')]
      .map((v) => v?.trim())
      .filter((v, i, all): v is string => !!v && all.indexOf(v) === i),
    loadDemoData: bool(env, 'LOAD_DEMO_DATA', !databaseUrl),
    logLevel: str(env, 'LOG_LEVEL') ?? (debug ? 'debug' : 'info'),
    metricsToken: str(env, 'METRICS_TOKEN') ?? null,
    apiDocs: bool(env, 'API_DOCS', false),
    mediaBaseUrl: url(env, 'MEDIA_BASE_URL', ['http:', 'https:']),
    createSchema: bool(env, 'CREATE_SCHEMA', true),
    webConcurrency,
    // Render stops an instance with SIGTERM and kills it 30 s later (maxShutdownDelaySeconds).
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 25_000, 0, 300_000),
    clientCompat: oneOf(env, 'CLIENT_COMPAT', CLIENT_COMPAT_MODES),
    studentEmailDomains: studentEmailDomains(env),
  };
}
