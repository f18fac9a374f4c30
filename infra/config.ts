/**
 * The only reader of `process.env`. Entry points call `loadConfig()` once and pass the frozen result down.
 * Every variable is validated here; a bad value fails fast with a message that names the variable and the fix.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parsePayloadKeys, type PayloadKeys } from './payload-codec.js';

/** Workflow-driving operations (sign-offs, opening cases…) an API process runs at once (api/write-gate.ts). */
export const DEFAULT_WRITE_CONCURRENCY = 2;

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const port = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 65535')
    .max(65535, 'must be between 1 and 65535')
    .default(fallback);

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port(3000),
  // Operations that drive a workflow (sign-offs, opening cases…) at once per API process; the rest queue (api/write-gate.ts).
  API_WRITE_CONCURRENCY: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 64')
    .max(64, 'must be between 1 and 64')
    .default(DEFAULT_WRITE_CONCURRENCY),
  PUBLIC_URL: z.preprocess(emptyToUndefined, z.url('must be an absolute URL such as http://localhost:3000').optional()),
  DATA_DIR: z.string().min(1).default(path.join(PROJECT_ROOT, '.data')),
  TOOLS_DIR: z.string().min(1).default(path.join(PROJECT_ROOT, '.tools')),

  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL such as postgres://user@127.0.0.1:5432/admissions')
      .optional(),
  ),
  PG_PORT: port(54329),
  PG_DATA_DIR: optionalString,

  SESSION_SECRET: z.preprocess(emptyToUndefined, z.string().min(32, 'must be at least 32 characters of random text').optional()),
  TRUST_PROXY: z.preprocess(emptyToUndefined, bool.optional()),

  CHROMIUM_PATH: optionalString,

  SMTP_URL: z.preprocess(emptyToUndefined, z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL such as smtp://user:pass@mail.example.org:587').optional()),
  MAIL_FROM: z.string().min(3).default('Ban Tổ chức <no-reply@admissions.local>'),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('admissions'),
  TEMPORAL_TLS: z.preprocess(emptyToUndefined, bool.optional()),
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS_CA_PATH: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  PAYLOAD_ENCRYPTION_KEY: z.preprocess(emptyToUndefined, z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 random bytes in base64 (44 characters): openssl rand -base64 32').optional()),
  PAYLOAD_ENCRYPTION_KEY_ID: z.preprocess(emptyToUndefined, z.string().regex(/^[\w.-]{1,40}$/, 'must be a short name such as k1 or 2026-11').default('k1')),
  PAYLOAD_ENCRYPTION_OLD_KEYS: optionalString,
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_TEST_SERVER_PATH: optionalString,
  TEMPORAL_DEV_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),

  WORKFLOW_BUNDLE_PATH: optionalString,
  // 0: any free port (tests and benchmarks running several workers; the port is in the "worker ready" line).
  WORKER_HTTP_PORT: z.union([z.literal('0').transform(() => 0), port(9465)]),
  METRICS_TOKEN: z.preprocess(emptyToUndefined, z.string().min(16, 'must be at least 16 characters of random text').optional()),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly logLevel: string;
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly publicUrl: string;
    /** Sign-offs and other workflow-driving operations run at once by this API process (the rest wait their turn). */
    readonly writeConcurrency: number;
  };
  readonly dataDir: string;
  readonly toolsDir: string;
  /** Chromium for PDFs; unset: /usr/bin/chromium or `chromium` on PATH. */
  readonly chromiumPath: string | undefined;
  /** Outgoing mail: an SMTP server (pooled), or none: messages stay in the local outbox (shown in the UI). */
  readonly mail: { readonly smtpUrl: string | undefined; readonly from: string };
  readonly session: {
    /** Unset outside production: a random secret kept in DATA_DIR/session-secret. */
    readonly secret: string | undefined;
    /** Cookies get `secure` when the public URL is https. */
    readonly secureCookies: boolean;
    /** Behind a reverse proxy: trust X-Forwarded-For / -Proto from it. */
    readonly trustProxy: boolean;
  };
  readonly database: {
    /** Set: use this server. Unset: start an embedded server under `embeddedDataDir`. */
    readonly url: string | undefined;
    readonly embeddedPort: number;
    readonly embeddedDataDir: string;
  };
  readonly temporal: {
    /** Set: connect to this existing server. Unset: `npm start` runs a local dev server. */
    readonly address: string | undefined;
    readonly namespace: string;
    readonly taskQueue: string;
    /**
     * false, true (TLS with the system's CAs), or the TLS details: a client certificate (mTLS), a private CA
     * for a self-hosted cluster, the server name to verify.
     */
    readonly tls: boolean | { readonly certPath?: string; readonly keyPath?: string; readonly caPath?: string; readonly serverName?: string };
    readonly apiKey: string | undefined;
    /** Payload encryption (AES-256-GCM) keys; unset: payloads go to Temporal as plain JSON. */
    readonly payloadKeys: PayloadKeys | undefined;
    readonly cliPath: string | undefined;
    readonly testServerPath: string | undefined;
    readonly devPort: number;
    readonly uiPort: number;
    readonly devDbFile: string;
  };
  readonly worker: {
    /** A bundle from `npm run build:workflows`; unset: the worker bundles `workflows/` at start (slower, dev). */
    readonly workflowBundlePath: string | undefined;
    /** The standalone worker's /livez, /readyz and /metrics (on HOST). */
    readonly httpPort: number;
  };
  /** Set: GET /metrics (API and worker) answers only to `Authorization: Bearer <token>`. */
  readonly metricsToken: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0] ?? '?');
        return `${name}=${JSON.stringify(env[name] ?? '')}: ${i.message}. Fix the variable or unset it to use the default.`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  if ((e.TEMPORAL_TLS_CERT_PATH === undefined) !== (e.TEMPORAL_TLS_KEY_PATH === undefined)) {
    problems.push('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together (mTLS needs both files).');
  }
  if (e.TEMPORAL_ADDRESS === undefined && (e.TEMPORAL_API_KEY || e.TEMPORAL_TLS_CERT_PATH || e.TEMPORAL_TLS_CA_PATH)) {
    problems.push('TEMPORAL_API_KEY / TEMPORAL_TLS_* are set but TEMPORAL_ADDRESS is not: set the address of the server they are for.');
  }
  if (e.TEMPORAL_ADDRESS !== undefined && !/^[^\s:/]+:\d{1,5}$/.test(e.TEMPORAL_ADDRESS)) {
    problems.push(`TEMPORAL_ADDRESS=${JSON.stringify(e.TEMPORAL_ADDRESS)}: must be host:port, e.g. my-ns.tmprl.cloud:7233.`);
  }
  if (e.NODE_ENV === 'production' && !e.METRICS_TOKEN) {
    problems.push('METRICS_TOKEN is required in production: /metrics is on the public port; set 16+ random characters (e.g. `openssl rand -hex 24`) and give it to the scraper.');
  }
  if (e.NODE_ENV === 'production' && !e.SESSION_SECRET) {
    problems.push('SESSION_SECRET is required in production: set it to at least 32 random characters (e.g. `openssl rand -hex 32`).');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;

  const tlsDetails = {
    ...(e.TEMPORAL_TLS_CERT_PATH && e.TEMPORAL_TLS_KEY_PATH ? { certPath: e.TEMPORAL_TLS_CERT_PATH, keyPath: e.TEMPORAL_TLS_KEY_PATH } : {}),
    ...(e.TEMPORAL_TLS_CA_PATH ? { caPath: e.TEMPORAL_TLS_CA_PATH } : {}),
    ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverName: e.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
  const tls = Object.keys(tlsDetails).length > 0 ? tlsDetails : (e.TEMPORAL_TLS ?? e.TEMPORAL_API_KEY !== undefined);

  return deepFreeze({
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    http: { host: e.HOST, port: e.PORT, publicUrl, writeConcurrency: e.API_WRITE_CONCURRENCY },
    dataDir: e.DATA_DIR,
    toolsDir: e.TOOLS_DIR,
    chromiumPath: e.CHROMIUM_PATH,
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
    session: {
      secret: e.SESSION_SECRET,
      secureCookies: publicUrl.startsWith('https://'),
      trustProxy: e.TRUST_PROXY ?? false,
    },
    database: {
      url: e.DATABASE_URL,
      embeddedPort: e.PG_PORT,
      embeddedDataDir: e.PG_DATA_DIR ?? path.join(e.DATA_DIR, 'postgres'),
    },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      tls,
      apiKey: e.TEMPORAL_API_KEY,
      payloadKeys: parsePayloadKeys(e.PAYLOAD_ENCRYPTION_KEY, e.PAYLOAD_ENCRYPTION_KEY_ID, e.PAYLOAD_ENCRYPTION_OLD_KEYS),
      cliPath: e.TEMPORAL_CLI_PATH,
      testServerPath: e.TEMPORAL_TEST_SERVER_PATH,
      devPort: e.TEMPORAL_DEV_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      devDbFile: path.join(e.DATA_DIR, 'temporal.sqlite'),
    },
    worker: {
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH === undefined ? undefined : path.resolve(e.WORKFLOW_BUNDLE_PATH),
      httpPort: e.WORKER_HTTP_PORT,
    },
    metricsToken: e.METRICS_TOKEN,
  });
}

function deepFreeze<T>(o: T): T {
  if (ArrayBuffer.isView(o)) return o; // key bytes: a typed array with elements cannot be frozen
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
