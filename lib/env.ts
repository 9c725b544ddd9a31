import path from 'node:path';
import { z } from 'zod';
import { parseTrustedProxies } from '@/lib/auth/trusted-proxies';

/** Every environment variable Arbiter reads, parsed once. `.env.example` lists them with their defaults. */
const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** This host's folder: the SQLite file (arbiter.db), the cache of downloaded artifacts, and the artifacts themselves unless stored elsewhere (below). */
  ARBITER_DATA_DIR: z.string().min(1).default('./data'),
  /**
   * Artifacts (models, policies, checkpoints, exports, score reports) in this folder instead of the data
   * directory: a mount every web, worker and CLI host shares (NFS, …). Unset, and no bucket: the data directory.
   */
  ARBITER_ARTIFACTS_DIR: z.string().min(1).optional(),
  /** Artifacts in this S3-compatible bucket instead (it must exist); then REGION and both keys below are required. */
  ARBITER_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'ARBITER_S3_BUCKET must be a bucket name: 3–63 lower-case letters, digits, dots and hyphens')
    .optional(),
  /** An S3-compatible server's address, e.g. http://minio:9000 (requests then name the bucket in the path); unset: AWS S3. */
  ARBITER_S3_ENDPOINT: z.url({ protocol: /^https?$/, message: 'ARBITER_S3_ENDPOINT must be an http(s) URL such as http://minio:9000' }).optional(),
  ARBITER_S3_REGION: z.string().min(1).optional(),
  ARBITER_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  ARBITER_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** A folder of the bucket the artifacts go under (e.g. arbiter/prod), so one bucket can serve several installs. */
  ARBITER_S3_PREFIX: z
    .string()
    .transform((v) => v.replace(/^\/+|\/+$/g, ''))
    .pipe(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/, "ARBITER_S3_PREFIX must be '/'-separated names of letters, digits, '.', '_' and '-'"))
    .optional(),
  /**
   * PostgreSQL instead of the SQLite file in the data directory, e.g. postgres://arbiter:…@db-host/arbiter
   * (a Unix socket: postgres://user@localhost/arbiter?host=/run/postgresql). Web, workers and CLI on every
   * host must name the same database.
   */
  ARBITER_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'ARBITER_DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/arbiter')
    .optional(),
  /** Connections each process keeps to PostgreSQL; web processes × this + workers × this must stay under the server's max_connections. */
  ARBITER_DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
  /** Signs sessions; when unset, a random secret is created once and kept in the data directory. */
  ARBITER_SECRET: z.string().min(32, 'ARBITER_SECRET must be at least 32 characters').optional(),
  /** The address people open; invite and setup links are built from it. */
  ARBITER_BASE_URL: z.url('ARBITER_BASE_URL must be a URL such as http://localhost:3000').optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOSTNAME: z.string().min(1).default('0.0.0.0'),
  /** First start with an empty database: the admin to create (else a one-time setup link is printed). */
  ARBITER_ADMIN_EMAIL: z.email('ARBITER_ADMIN_EMAIL must be an email address').optional(),
  ARBITER_ADMIN_PASSWORD: z.string().min(8, 'ARBITER_ADMIN_PASSWORD must be at least 8 characters').optional(),
  /** Seed the demo project when the database holds no project. */
  ARBITER_DEMO: booleanish.default(true),
  /** Worker processes that `npm start` runs beside the web server. */
  ARBITER_WORKERS: z.coerce.number().int().min(0).max(64).default(1),
  /**
   * Web server processes serving PORT on this host (`npm start`, `npm run serve`): above 1, the web server
   * is a node:cluster primary whose children share the listening socket (scripts/web-cluster.ts).
   */
  ARBITER_WEB_PROCESSES: z.coerce.number().int().min(1).max(64).default(1),
  /**
   * The job kinds a worker claims, comma-separated (`npm run worker -- --kinds …` wins over it); unset: every
   * kind. Checked against the known kinds when the worker starts (workers/kinds.ts).
   */
  ARBITER_WORKER_KINDS: z.string().optional(),
  /** How often an idle worker looks for work on SQLite; on PostgreSQL it waits for a notification instead. */
  ARBITER_WORKER_POLL_MS: z.coerce.number().int().min(10).default(500),
  ARBITER_HEARTBEAT_MS: z.coerce.number().int().min(50).default(2000),
  /** A running job whose heartbeat is older than this goes back to the queue (its worker died). */
  ARBITER_STALE_MS: z.coerce.number().int().min(200).default(30_000),
  /** Sign-in attempts allowed per IP per minute. */
  ARBITER_SIGNIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  /** Largest import upload accepted over HTTP, in MiB (the CLI reads files of any size). */
  ARBITER_MAX_UPLOAD_MB: z.coerce.number().int().min(1).max(100_000).default(512),
  /** Longest single record (one JSON Lines line, one CSV row, one JSON array element) an import accepts, in MB. */
  ARBITER_MAX_RECORD_MB: z.coerce.number().min(0.001).max(1000).default(16),
  /** Most bytes an import may read after decompression (.gz, Parquet pages), in MB, counted while streaming. */
  ARBITER_MAX_IMPORT_MB: z.coerce.number().min(0.001).max(1_000_000).default(1024),
  /** Largest JSON request body a REST endpoint reads, in KB (routes may set a smaller one), enforced while reading. */
  ARBITER_MAX_JSON_BODY_KB: z.coerce.number().int().min(1).max(1_000_000).default(1024),
  /** Most rows one synchronous /reward-models/:id/score call scores in the web process; larger calls go to a worker. */
  ARBITER_MAX_SYNC_SCORE_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /**
   * Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: comma-separated IP addresses or
   * CIDR ranges (e.g. "127.0.0.1,10.0.0.0/8"). Unset: those headers are ignored and the socket's address is the client.
   */
  ARBITER_TRUSTED_PROXIES: z
    .string()
    .min(1)
    .optional()
    .superRefine((value, ctx) => {
      // Every process refuses a malformed list at start, not only the web server that uses it.
      try {
        parseTrustedProxies(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      }
    }),
  /** Failed sign-in attempts allowed per account (email) per 15 minutes, beside the per-IP limit. */
  ARBITER_SIGNIN_ACCOUNT_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  /** A directory of local Hugging Face checkpoints, GPT-2 or Llama family (one per subdirectory, as save_pretrained writes them). */
  ARBITER_CHECKPOINTS_DIR: z.string().min(1).optional(),
  /** TensorFlow.js backend: auto (tfjs-node-gpu → tfjs-node → wasm → cpu) or one of them. */
  ARBITER_ML_BACKEND: z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'], { message: 'ARBITER_ML_BACKEND must be auto, tensorflow-gpu, tensorflow, wasm or cpu' }).default('auto'),
  /** A second thread for ensemble members and data-parallel alignment where the machine has two cores (false: one thread). */
  ARBITER_ML_THREADS: booleanish.default(true),
  /** A second thread for the statistics bootstrap where the machine has two cores (false: one thread). */
  ARBITER_STATS_THREADS: booleanish.default(true),
  /** Where Arbiter's files (db/migrations, lib/threads, node_modules) are; the `arbiter` bin sets it, otherwise the working directory. */
  ARBITER_APP_ROOT: z.string().min(1).optional(),
  /** The CLI prints the stack of an error besides its message. */
  ARBITER_DEBUG: booleanish.default(false),
});

export type Env = z.infer<typeof envSchema>;

/** Parses an environment; throws one readable error naming every bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  if ((env.ARBITER_ADMIN_EMAIL === undefined) !== (env.ARBITER_ADMIN_PASSWORD === undefined)) {
    throw new Error('Invalid environment:\n  ARBITER_ADMIN_EMAIL and ARBITER_ADMIN_PASSWORD must be set together');
  }
  const artifactProblem = artifactStoreProblem(env);
  if (artifactProblem) throw new Error(`Invalid environment:\n  ${artifactProblem}`);
  if (env.ARBITER_DATABASE_URL && !env.ARBITER_SECRET) {
    // Sessions signed on one host must verify on another: with PostgreSQL the hosts share one secret, set by hand.
    throw new Error('Invalid environment:\n  ARBITER_SECRET must be set when ARBITER_DATABASE_URL is: every host serving the database must share it (e.g. openssl rand -hex 32)');
  }
  return env;
}

const S3_SETTINGS = ['ARBITER_S3_ENDPOINT', 'ARBITER_S3_REGION', 'ARBITER_S3_ACCESS_KEY_ID', 'ARBITER_S3_SECRET_ACCESS_KEY', 'ARBITER_S3_PREFIX'] as const;
const S3_REQUIRED = ['ARBITER_S3_REGION', 'ARBITER_S3_ACCESS_KEY_ID', 'ARBITER_S3_SECRET_ACCESS_KEY'] as const;

/** What is wrong with the artifact store's settings, so every process refuses them at start; null when nothing is. */
function artifactStoreProblem(env: Env): string | null {
  if (!env.ARBITER_S3_BUCKET) {
    const stray = S3_SETTINGS.filter((name) => env[name] !== undefined);
    return stray.length ? `${stray.join(', ')} ${stray.length > 1 ? 'are' : 'is'} set but ARBITER_S3_BUCKET is not: set the bucket too, or remove them` : null;
  }
  if (env.ARBITER_ARTIFACTS_DIR) return 'ARBITER_ARTIFACTS_DIR and ARBITER_S3_BUCKET are both set: artifacts go to one store, a folder or a bucket; remove one';
  const missing = S3_REQUIRED.filter((name) => env[name] === undefined);
  return missing.length ? `ARBITER_S3_BUCKET is set, so ${missing.join(', ')} must be set too` : null;
}

let cached: Env | undefined;

export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** For tests that change process.env between files. */
export function resetEnvCache(): void {
  cached = undefined;
}

export function dataDir(env: Env = getEnv()): string {
  return path.resolve(env.ARBITER_DATA_DIR);
}

/** Where artifacts are kept (lib/artifacts picks its store from this): a folder, or an S3-compatible bucket with a local cache. */
export type ArtifactStoreConfig =
  | { kind: 'directory'; root: string }
  | { kind: 's3'; bucket: string; prefix: string | null; region: string; endpoint: string | null; accessKeyId: string; secretAccessKey: string; cacheDir: string };

export function artifactStoreConfig(env: Env = getEnv()): ArtifactStoreConfig {
  if (!env.ARBITER_S3_BUCKET) return { kind: 'directory', root: path.resolve(env.ARBITER_ARTIFACTS_DIR ?? env.ARBITER_DATA_DIR) };
  return {
    kind: 's3',
    bucket: env.ARBITER_S3_BUCKET,
    prefix: env.ARBITER_S3_PREFIX || null,
    // parseEnv refused a bucket without these.
    region: env.ARBITER_S3_REGION!,
    endpoint: env.ARBITER_S3_ENDPOINT ?? null,
    accessKeyId: env.ARBITER_S3_ACCESS_KEY_ID!,
    secretAccessKey: env.ARBITER_S3_SECRET_ACCESS_KEY!,
    // One cache folder per bucket and prefix, so pointing a host at another bucket never serves the old one's copies.
    cacheDir: path.join(dataDir(env), 'cache', 'artifacts', 's3', env.ARBITER_S3_BUCKET, ...(env.ARBITER_S3_PREFIX ? env.ARBITER_S3_PREFIX.split('/') : [])),
  };
}

export function databasePath(env: Env = getEnv()): string {
  return path.join(dataDir(env), 'arbiter.db');
}

/** The folder Arbiter's own files are read from (migrations, thread entry points, packages). */
export function appRoot(env: Env = getEnv()): string {
  return path.resolve(env.ARBITER_APP_ROOT ?? process.cwd());
}

/** What lib/ml's backend chooser needs (lib/ml reads no environment itself). */
export function mlBackendOptions(env: Env = getEnv()): { preference: Env['ARBITER_ML_BACKEND']; appRoot: string } {
  return { preference: env.ARBITER_ML_BACKEND, appRoot: appRoot(env) };
}

export function baseUrl(env: Env = getEnv()): string {
  return env.ARBITER_BASE_URL ?? `http://localhost:${env.PORT}`;
}

/**
 * Entry points (npm start, workers, CLI) read `.env.local` then `.env` from the working directory,
 * as Next does for the web server; variables already set in the environment win.
 */
export function loadEnvFiles(files = ['.env.local', '.env']): void {
  for (const file of files) {
    try {
      process.loadEnvFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  resetEnvCache();
}
