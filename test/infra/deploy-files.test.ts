/**
 * The production deployment files: infra/Dockerfile, infra/compose.yaml (+ .env.example) and infra/k8s/.
 * Each is checked against its own schema (the Compose Specification with ajv, and `docker-compose config`
 * where installed; the Kubernetes API schemas of `kubernetes-models` over what `kubectl kustomize` renders)
 * and against the app itself: every variable handed to the API, the workers and the migrations must be one
 * `infra/config.ts` reads, and the values must pass `loadConfig` — so renaming a variable there fails here.
 * No engine or cluster is needed. Which validators ran is logged; each check has a negative twin.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv, type AnySchemaObject } from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig, PROJECT_ROOT } from '../../infra/config.js';

type Obj = Record<string, unknown>;
type Env = Record<string, string>;

const INFRA = path.join(PROJECT_ROOT, 'infra');
const K8S = path.join(INFRA, 'k8s');
const read = (...p: string[]) => readFileSync(path.join(PROJECT_ROOT, ...p), 'utf8');
const log = (msg: string) => console.log(`[deploy-files] ${msg}`);
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const clone = <T>(v: T): T => structuredClone(v);

// ---------------------------------------------------------------------------------------------------------
// What the app reads: the keys of EnvSchema in config.ts (and any env.X / env['X'] read beside it).

function knownVariables(): Set<string> {
  const src = read('infra', 'config.ts');
  const block = /const EnvSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(src)?.[1];
  if (!block) throw new Error('infra/config.ts: `const EnvSchema = z.object({ … });` not found: update this test to the new shape');
  const names = new Set([...block.matchAll(/^\s{2}([A-Z][A-Z0-9_]*)\s*:/gm)].map((m) => m[1]!));
  for (const m of src.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g)) names.add((m[1] ?? m[2])!);
  return names;
}
const KNOWN = knownVariables();

/** Names the app does not read: a typo or a variable config.ts renamed or dropped. */
const unknownNames = (names: Iterable<string>) => [...names].filter((n) => !KNOWN.has(n));

const SECRET_NAME = /SECRET|PASSWORD|PWD|TOKEN|API_KEY|ENCRYPTION_KEY$|OLD_KEYS/;
/** Stand-ins for the secrets, valid for loadConfig. Never real: the files must not carry any. */
const DUMMY_SECRETS: Env = {
  DATABASE_URL: 'postgres://app:dummy@db.test:5432/admissions',
  SESSION_SECRET: 'dummy-session-secret-'.padEnd(48, 'x'),
  PAYLOAD_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  PAYLOAD_ENCRYPTION_OLD_KEYS: `k0:${Buffer.alloc(32, 2).toString('base64')}`,
  TEMPORAL_API_KEY: 'dummy-temporal-api-key',
  SMTP_URL: 'smtp://mail.test:587',
  METRICS_TOKEN: 'dummy-metrics-token-0123456789',
};

/** Literal key material in a file: a 32-byte base64 key, a long hex string, a PEM block. */
function literalKeyMaterial(text: string): string[] {
  return [...text.matchAll(/[A-Za-z0-9+/]{43}=|\b[0-9a-f]{32,}\b|-----BEGIN [A-Z ]+-----/g)].map((m) => m[0]);
}

/** Problems of a process environment: unknown names, and values loadConfig refuses. */
function envProblems(where: string, env: Env): string[] {
  const problems = unknownNames(Object.keys(env)).map((n) => `${where}: ${n} is not read by infra/config.ts`);
  try {
    loadConfig(env);
  } catch (err) {
    problems.push(`${where}: loadConfig throws: ${(err as Error).message}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Dockerfile

interface Dockerfile {
  readonly instructions: { readonly op: string; readonly args: string }[];
  readonly env: Env;
}

function parseDockerfile(text: string): Dockerfile {
  const logical = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const instructions = logical.map((l) => {
    const [, op = '', args = ''] = /^\s*(\S+)\s*(.*)$/.exec(l) ?? [];
    return { op: op.toUpperCase(), args: args.trim() };
  });
  const env: Env = {};
  for (const i of instructions.filter((x) => x.op === 'ENV')) {
    for (const m of i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g)) env[m[1]!] = m[2]!;
  }
  return { instructions, env };
}
const DOCKERFILE = parseDockerfile(read('infra', 'Dockerfile'));

describe('infra/Dockerfile', () => {
  const runs = DOCKERFILE.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
  const pkg = JSON.parse(read('package.json')) as { scripts: Env; dependencies: Env; devDependencies: Env };

  it('builds on node 20 with Chromium and the fonts, as a non-root user', () => {
    expect(DOCKERFILE.instructions[0]).toEqual({ op: 'FROM', args: 'node:20-bookworm-slim' });
    const apt = runs.find((r) => r.includes('apt-get install'));
    for (const p of ['chromium', 'fonts-dejavu-core', 'fonts-liberation']) expect(apt).toMatch(new RegExp(`\\s${p}(\\s|$)`));
    expect(DOCKERFILE.env.CHROMIUM_PATH).toBe('/usr/bin/chromium');
    const user = DOCKERFILE.instructions.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user, 'the last USER').toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it('installs what runs the TypeScript: no dev-dependency pruning while tsx is one', () => {
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    if (pkg.devDependencies.tsx) expect(runs.join('\n')).not.toMatch(/--omit[= ]dev|--production|npm prune/);
    else expect(pkg.dependencies.tsx).toBeDefined();
  });

  it('prebuilds the workflow bundle and points the worker at it', () => {
    expect(pkg.scripts['build:workflows'], 'package.json script build:workflows').toBeDefined();
    expect(runs.some((r) => /\bnpm run build:workflows\b/.test(r))).toBe(true);
    const workdir = DOCKERFILE.instructions.filter((i) => i.op === 'WORKDIR').at(-1)?.args;
    expect(workdir).toBe('/app');
    expect(DOCKERFILE.env.WORKFLOW_BUNDLE_PATH).toBe('/app/dist/workflow-bundle.js');
  });

  it('starts the API by default; its ENV is configuration the app reads', () => {
    expect(DOCKERFILE.instructions.filter((i) => i.op === 'CMD').at(-1)?.args).toBe('["node", "--max-semi-space-size=64", "--import", "tsx", "api/server.ts"]');
    expect(unknownNames(Object.keys(DOCKERFILE.env))).toEqual([]);
    expect(DOCKERFILE.env.NODE_ENV).toBe('production');
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', '.data', '.tools', '.git', 'coverage', '.env']) expect(ignored).toContain(p);
    expect(literalKeyMaterial(read('infra', 'Dockerfile'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// compose.yaml

const COMPOSE_FILE = path.join(INFRA, 'compose.yaml');
const COMPOSE_TEXT = readFileSync(COMPOSE_FILE, 'utf8');
/** The file as written: merge keys applied, `${…}` not yet interpolated. */
const COMPOSE_RAW = parse(COMPOSE_TEXT, { merge: true }) as Obj;
const APP_SERVICES = ['api', 'worker', 'migrate'] as const;

/** Dummy values for the variables compose requires (`${VAR:?…}`); nothing else set. */
const COMPOSE_ENV: Env = {
  PUBLIC_URL: 'https://admissions.test',
  POSTGRES_PASSWORD: 'dummy-postgres-password',
  SESSION_SECRET: DUMMY_SECRETS.SESSION_SECRET!,
  PAYLOAD_ENCRYPTION_KEY: DUMMY_SECRETS.PAYLOAD_ENCRYPTION_KEY!,
  METRICS_TOKEN: DUMMY_SECRETS.METRICS_TOKEN!,
  MAIL_SENDER_DOMAINS: 'admissions.test',
  MAIL_RELAYHOST: '[smtp.admissions.test]:587',
};

/** Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
function interpolate(value: string, env: Env): string {
  return value.replace(/\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, dollar, braced, op, arg, bare) => {
    if (dollar) return '$';
    const name = (braced ?? bare) as string;
    const v = env[name];
    const empty = v === undefined || v === '';
    if (op === ':-') return empty ? arg : v;
    if (op === '-') return v ?? arg;
    if ((op === ':?' && empty) || (op === '?' && v === undefined)) throw new Error(`required variable ${name} is missing: ${arg}`);
    return v ?? '';
  });
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}

const composeResolved = (env: Env) => mapStrings(COMPOSE_RAW, (s) => interpolate(s, env)) as Obj;

function composeSchemaValidator() {
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('dclint/package.json'));
  const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
  // The Compose Specification's own schema (compose-spec/compose-spec, Apache-2.0), as shipped by dclint.
  const schema = JSON.parse(readFileSync(path.join(dir, 'schemas', 'compose.schema.json'), 'utf8')) as AnySchemaObject;
  delete schema.$schema; // "https://json-schema.org/draft-07/schema": ajv knows draft-07 by its http:// id only.
  // The schema's union types and untyped objects are fine; strict mode stays on for unknown keywords.
  const validate = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false }).compile(schema);
  return {
    source: `compose-spec schema from dclint ${version}`,
    problems(doc: unknown): string[] {
      return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    },
  };
}
const COMPOSE_SCHEMA = composeSchemaValidator();

/** docker-compose (v1) or `docker compose` (v2), if installed. `config` needs no engine. */
function composeCli(): { cmd: string; pre: string[]; version: string } | undefined {
  for (const [cmd, pre] of [['docker-compose', []], ['docker', ['compose']]] as const) {
    const r = spawnSync(cmd, [...pre, 'version'], { encoding: 'utf8', timeout: 20_000 });
    if (r.status === 0) return { cmd, pre: [...pre], version: r.stdout.split('\n')[0]!.trim() };
  }
  return undefined;
}
const COMPOSE_CLI = composeCli();

function runComposeConfig(file: string, env: Env) {
  const { cmd, pre } = COMPOSE_CLI!;
  // An empty env file: a developer's infra/.env must not fill in what the test leaves out.
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-env-'));
  const envFile = path.join(dir, 'empty.env');
  writeFileSync(envFile, '');
  try {
    return spawnSync(cmd, [...pre, '-f', file, '--project-directory', INFRA, '--env-file', envFile, 'config', '-q'], {
      encoding: 'utf8',
      timeout: 30_000,
      // Only what the test gives (plus PATH/HOME): no engine, no stray COMPOSE_* or app variables.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), DOCKER_HOST: 'unix:///nonexistent/docker.sock', ...env },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function serviceEnv(doc: Obj, service: string): Env {
  const env = obj(obj(obj(doc.services)[service]).environment);
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Secret-looking variables must come from interpolation only; so must the password inside a URL. */
function literalSecrets(doc: Obj): string[] {
  const problems: string[] = [];
  const onlyInterpolation = (v: string) => v.replace(/\$\{[^}]*\}/g, '') === '';
  for (const [name, svc] of Object.entries(obj(doc.services))) {
    for (const [key, raw] of Object.entries(obj(obj(svc).environment))) {
      const v = raw === null ? '' : String(raw);
      if (SECRET_NAME.test(key) && !/_(ID|PATH)$/.test(key) && !onlyInterpolation(v)) problems.push(`${name}.${key} is a literal`);
      const masked = v.replace(/\$\{[^}]*\}/g, '§');
      const password = /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:([^@/]*)@/i.exec(masked)?.[1];
      if (password !== undefined && !/^§+$/.test(password)) problems.push(`${name}.${key} has a literal password`);
    }
  }
  return problems;
}

describe('infra/compose.yaml', () => {
  const doc = composeResolved(COMPOSE_ENV);
  const services = obj(doc.services);

  it('is a valid Compose file', () => {
    const validators = [`ajv (${COMPOSE_SCHEMA.source})`];
    expect(COMPOSE_RAW.version, 'the Compose Specification has no version key').toBeUndefined();
    expect(COMPOSE_SCHEMA.problems(doc)).toEqual([]);
    if (COMPOSE_CLI) {
      const r = runComposeConfig(COMPOSE_FILE, COMPOSE_ENV);
      expect(r.status, r.stderr).toBe(0);
      validators.push(`${[COMPOSE_CLI.cmd, ...COMPOSE_CLI.pre].join(' ')} config -q (${COMPOSE_CLI.version})`);
      // The required variables are required: the dummy set minus SESSION_SECRET stops it, naming the variable.
      const { SESSION_SECRET: _s, ...withoutSecret } = COMPOSE_ENV;
      const missing = runComposeConfig(COMPOSE_FILE, withoutSecret);
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toMatch(/SESSION_SECRET/);
    } else {
      validators.push('no docker-compose / docker compose installed: the schema check alone');
    }
    log(`compose.yaml validated by: ${validators.join('; ')}`);
  });

  it('rejects a broken copy with the same validators', () => {
    const broken = clone(doc);
    obj(obj(broken.services).api).bogus_key = 1;
    expect(COMPOSE_SCHEMA.problems(broken).join('\n')).toMatch(/\/services\/api .*additional properties.*bogus_key/i);
    expect(() => composeResolved({})).toThrow(/required variable \w+ is missing/);
    if (COMPOSE_CLI) {
      const dir = mkdtempSync(path.join(tmpdir(), 'compose-'));
      try {
        const file = path.join(dir, 'compose.yaml');
        writeFileSync(file, stringify(broken));
        const r = runComposeConfig(file, COMPOSE_ENV);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toMatch(/bogus_key/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('runs the stack: postgres, temporal, its UI, a mail relay, migrations, the API and the workers', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'mail', 'migrate', 'postgres', 'temporal', 'temporal-ui', 'worker']);
    const env = (s: string) => serviceEnv(doc, s);
    // Temporal on the same PostgreSQL, in the databases the init script creates.
    const initSql = read('infra', 'compose', 'postgres-init.sql');
    const created = [...initSql.matchAll(/CREATE DATABASE (\w+)/g)].map((m) => m[1]);
    expect(arr(obj(services.postgres).volumes)).toContain('./compose/postgres-init.sql:/docker-entrypoint-initdb.d/10-databases.sql:ro');
    expect(env('temporal')).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres', DBNAME: 'temporal', VISIBILITY_DBNAME: 'temporal_visibility' });
    expect(env('temporal').POSTGRES_PWD).toBe(env('postgres').POSTGRES_PASSWORD);
    expect(created).toEqual(expect.arrayContaining(['admissions', 'temporal', 'temporal_visibility']));
    expect(obj(obj(obj(services.temporal).depends_on).postgres).condition).toBe('service_healthy');
    expect(env('temporal-ui').TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(String(obj(obj(services.postgres).healthcheck).test)).toMatch(/pg_isready/);
    for (const s of ['api', 'worker']) {
      expect(new URL(env(s).DATABASE_URL!).pathname).toBe('/admissions');
      expect(env(s)).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', SMTP_URL: 'smtp://mail:587', HOST: '0.0.0.0' });
      expect(obj(obj(obj(services[s]).depends_on).migrate).condition).toBe('service_completed_successfully');
    }
  });

  it('gives the API, the workers and the migrations one image and their own entry points', () => {
    for (const s of APP_SERVICES) {
      const svc = obj(services[s]);
      expect(obj(svc.build), s).toEqual({ context: '..', dockerfile: 'infra/Dockerfile' });
      expect(svc.image).toBe(obj(services.api).image);
    }
    const command = (s: string) => arr(obj(services[s]).command).join(' ');
    expect(command('api')).toBe('node --max-semi-space-size=64 --import tsx api/server.ts');
    expect(command('worker')).toBe('node --import tsx infra/worker.ts');
    expect(command('migrate')).toBe('node --import tsx infra/db/migrate.ts');
    expect(obj(obj(services.worker).deploy).replicas).toBeGreaterThanOrEqual(2);
  });

  it('probes the API and the workers where they answer; the workers load the prebuilt bundle', () => {
    const api = serviceEnv(doc, 'api');
    const worker = serviceEnv(doc, 'worker');
    const probe = (s: string) => arr(obj(obj(services[s]).healthcheck).test).join(' ');
    expect(probe('api')).toContain(`http://localhost:${api.PORT}/readyz`);
    expect(arr(obj(services.api).ports)).toContain(`127.0.0.1:${api.PORT}:${api.PORT}`);
    expect(worker.WORKER_HTTP_PORT).toBe('9465');
    expect(probe('worker')).toContain(`http://localhost:${worker.WORKER_HTTP_PORT}/readyz`);
    expect(worker.WORKFLOW_BUNDLE_PATH).toBe(DOCKERFILE.env.WORKFLOW_BUNDLE_PATH);
    // Whatever one seals the other must open: the same keys, database and Temporal namespace everywhere.
    for (const k of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'PAYLOAD_ENCRYPTION_KEY', 'PAYLOAD_ENCRYPTION_KEY_ID', 'PAYLOAD_ENCRYPTION_OLD_KEYS']) {
      expect(worker[k], k).toBe(api[k]);
    }
  });

  it('hands the app only variables config.ts reads, with values it accepts', () => {
    for (const s of APP_SERVICES) expect(envProblems(s, { ...DOCKERFILE.env, ...serviceEnv(doc, s) })).toEqual([]);
    // The check bites: a renamed variable is reported, and so is a value config.ts refuses.
    expect(envProblems('api', { ...DOCKERFILE.env, ...serviceEnv(doc, 'api'), TEMPORAL_HOSTPORT: 'x:1' })).toEqual([
      'api: TEMPORAL_HOSTPORT is not read by infra/config.ts',
    ]);
    expect(envProblems('api', { ...DOCKERFILE.env, ...serviceEnv(doc, 'api'), SESSION_SECRET: '' }).join('\n')).toMatch(/SESSION_SECRET is required/);
  });

  it('holds no secret: each comes from the environment, and .env.example documents every variable', () => {
    expect(literalSecrets(COMPOSE_RAW)).toEqual([]);
    const tampered = clone(COMPOSE_RAW);
    obj(obj(obj(tampered.services).api).environment).SESSION_SECRET = 'hunter2-hunter2-hunter2-hunter2-hunter2';
    obj(obj(obj(tampered.services).worker).environment).DATABASE_URL = 'postgres://app:hunter2@postgres:5432/admissions';
    expect(literalSecrets(tampered)).toEqual(['api.SESSION_SECRET is a literal', 'worker.DATABASE_URL has a literal password']);
    expect(literalKeyMaterial(COMPOSE_TEXT)).toEqual([]);

    // From the values, not the comments.
    const interpolations: RegExpMatchArray[] = [];
    mapStrings(COMPOSE_RAW, (v) => (interpolations.push(...v.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?/g)), v));
    const example = read('infra', '.env.example');
    const documented = new Map([...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    const interpolated = new Set(interpolations.map((m) => m[1]!));
    expect([...interpolated].filter((v) => !documented.has(v)), 'variables missing from infra/.env.example').toEqual([]);
    expect([...documented.keys()].filter((v) => !interpolated.has(v)), 'documented but unused').toEqual([]);
    expect([...documented].filter(([k, v]) => SECRET_NAME.test(k) && v !== ''), 'secrets in .env.example must be blank').toEqual([]);
    const required = interpolations.filter((m) => m[2]?.endsWith('?')).map((m) => m[1]!);
    expect(new Set(required)).toEqual(new Set(Object.keys(COMPOSE_ENV)));
  });
});

// ---------------------------------------------------------------------------------------------------------
// infra/k8s

type Model = new (data: never) => { validate(): void };
const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
};

function validateK8s(o: Obj): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`${o.apiVersion}/${o.kind}: no schema in this test; add its kubernetes-models class to MODELS`);
  new Model(clone(o) as never).validate();
}

/** kubectl with a kustomize that knows `labels` and components (v5; Debian's kubernetes-client 1.20 has v2). */
function kubectlKustomize(): { ok: boolean; why: string } {
  const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) return { ok: false, why: 'no kubectl installed' };
  const version = /Kustomize Version: v(\d+)\S*/.exec(r.stdout);
  if (!version || Number(version[1]) < 5) return { ok: false, why: `kubectl's kustomize is older than v5 (${version?.[0] ?? 'unknown'})` };
  return { ok: true, why: version[0] };
}
const KUSTOMIZE = kubectlKustomize();
const KUBECTL = KUSTOMIZE.ok;
const KUSTOMIZATION = parse(readFileSync(path.join(K8S, 'kustomization.yaml'), 'utf8')) as Obj;

function kustomize(dir: string): Obj[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj).filter(isObj);
}

/** Without kubectl: the listed files, the generated ConfigMap (unhashed name), the namespace and images. */
function renderByHand(): Obj[] {
  const objects = arr(KUSTOMIZATION.resources).flatMap((f) =>
    parseAllDocuments(readFileSync(path.join(K8S, String(f)), 'utf8')).map((d) => d.toJS() as Obj).filter(isObj),
  );
  for (const g of arr(KUSTOMIZATION.configMapGenerator).map(obj)) {
    const data = Object.fromEntries(arr(g.literals).map((l) => String(l).split(/=(.*)/s).slice(0, 2)));
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data });
  }
  const images = new Map(arr(KUSTOMIZATION.images).map(obj).map((i) => [i.name, `${i.newName ?? i.name}:${i.newTag ?? 'latest'}`]));
  for (const o of objects) {
    if (o.kind !== 'Namespace' && KUSTOMIZATION.namespace) obj(o.metadata).namespace = KUSTOMIZATION.namespace;
    for (const c of podContainers(o)) if (images.has(c.image)) c.image = images.get(c.image);
  }
  return objects;
}

const podSpec = (o: Obj): Obj => obj(obj(obj(o.spec).template).spec);
const podContainers = (o: Obj): Obj[] => [...arr(podSpec(o).containers), ...arr(podSpec(o).initContainers)].map(obj);
const byKind = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && obj(o.metadata).name === name);

const SECRET_EXAMPLE = parse(readFileSync(path.join(K8S, 'secret.example.yaml'), 'utf8')) as Obj;
const SECRET_KEYS = Object.keys({ ...obj(SECRET_EXAMPLE.data), ...obj(SECRET_EXAMPLE.stringData) });

/** A container's environment as the kubelet would build it; secrets replaced by their stand-ins. */
function containerEnv(objects: Obj[], c: Obj): { env: Env; problems: string[] } {
  const env: Env = { ...DOCKERFILE.env };
  const problems: string[] = [];
  for (const from of arr(c.envFrom).map(obj)) {
    const cm = obj(from.configMapRef).name;
    const secret = obj(from.secretRef).name;
    if (cm !== undefined) {
      const map = named(objects, 'ConfigMap', String(cm));
      if (!map) problems.push(`${c.name}: ConfigMap ${cm} is not rendered`);
      Object.assign(env, obj(map?.data));
    }
    if (secret !== undefined) {
      if (secret !== obj(SECRET_EXAMPLE.metadata).name) problems.push(`${c.name}: Secret ${secret} has no example`);
      for (const k of SECRET_KEYS) env[k] = DUMMY_SECRETS[k] ?? `(no stand-in for ${k})`;
    }
  }
  for (const e of arr(c.env).map(obj)) {
    const name = String(e.name);
    if (isObj(e.valueFrom) && isObj(e.valueFrom.secretKeyRef)) env[name] = DUMMY_SECRETS[name] ?? `(no stand-in for ${name})`;
    else if (SECRET_NAME.test(name)) problems.push(`${c.name}: ${name} is a literal value; use a secretKeyRef`);
    else env[name] = String(e.value ?? '');
  }
  return { env, problems };
}

function appEnvProblems(objects: Obj[]): string[] {
  return byKind(objects, 'Deployment').flatMap((d) =>
    podContainers(d).flatMap((c) => {
      const { env, problems } = containerEnv(objects, c);
      return [...problems, ...envProblems(`${obj(d.metadata).name}/${c.name}`, env)];
    }),
  );
}

/** The port number a probe or annotation names, through the container's named ports. */
function portNumber(c: Obj, port: unknown): number | undefined {
  if (typeof port === 'number') return port;
  return arr(c.ports).map(obj).find((p) => p.name === port)?.containerPort as number | undefined;
}

describe('infra/k8s', () => {
  const objects = KUBECTL ? kustomize(K8S) : renderByHand();
  const deployment = (name: string) => {
    const d = named(objects, 'Deployment', name);
    if (!d) throw new Error(`Deployment ${name} is not rendered`);
    return d;
  };
  const main = (name: string) => obj(arr(podSpec(deployment(name)).containers)[0]);

  it('renders, and every object is valid for its Kubernetes API', () => {
    log(
      `k8s rendered by ${KUBECTL ? `kubectl kustomize (${KUSTOMIZE.why})` : `hand from kustomization.yaml (${KUSTOMIZE.why})`}; ` +
        `${objects.length} objects validated with kubernetes-models: ${objects.map((o) => o.kind).join(', ')}` +
        (KUBECTL ? '' : '; the mTLS component is not rendered (needs kubectl)'),
    );
    expect(objects.length).toBeGreaterThan(5);
    for (const o of objects) expect(() => validateK8s(o), `${o.kind} ${obj(o.metadata).name}`).not.toThrow();
    // … and an invalid one fails: a Deployment without its selector, a replica count that is not a number.
    const broken = clone(deployment('admissions-api'));
    delete obj(broken.spec).selector;
    expect(() => validateK8s(broken)).toThrow(/selector/);
    expect(() => validateK8s({ ...clone(deployment('admissions-worker')), spec: { ...obj(deployment('admissions-worker').spec), replicas: 'two' } })).toThrow(/replicas/);
    expect(() => validateK8s({ apiVersion: 'v1', kind: 'Pod' })).toThrow(/no schema/);
  });

  it('probes the API and the workers on their health endpoints, with Prometheus annotations', () => {
    for (const [name, port] of [['admissions-api', 3000], ['admissions-worker', 9465]] as const) {
      const c = main(name);
      const probe = (kind: string) => obj(obj(c[kind]).httpGet);
      expect(probe('readinessProbe').path, name).toBe('/readyz');
      expect(probe('livenessProbe').path, name).toBe('/livez');
      expect(portNumber(c, probe('readinessProbe').port), name).toBe(port);
      expect(portNumber(c, probe('livenessProbe').port), name).toBe(port);
      const annotations = obj(obj(obj(obj(deployment(name).spec).template).metadata).annotations);
      expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });
    }
    expect(containerEnv(objects, main('admissions-api')).env.PORT).toBe('3000');
    const workerEnv = containerEnv(objects, main('admissions-worker')).env;
    expect(workerEnv.WORKER_HTTP_PORT).toBe('9465');
    expect(workerEnv.WORKFLOW_BUNDLE_PATH).toBe(DOCKERFILE.env.WORKFLOW_BUNDLE_PATH);
    expect(arr(main('admissions-worker').args).join(' ')).toBe('node --import tsx infra/worker.ts');
    expect(podSpec(deployment('admissions-worker')).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
  });

  it('scales both horizontally: replicas, an HPA and a disruption budget each', () => {
    for (const name of ['admissions-api', 'admissions-worker']) {
      const d = deployment(name);
      const labels = obj(obj(obj(obj(d.spec).template).metadata).labels);
      const selects = (sel: unknown) => Object.entries(obj(obj(sel).matchLabels)).every(([k, v]) => labels[k] === v);
      expect(obj(d.spec).replicas, name).toBeGreaterThanOrEqual(2);
      const hpa = byKind(objects, 'HorizontalPodAutoscaler').find((h) => obj(obj(h.spec).scaleTargetRef).name === name);
      expect(obj(obj(hpa?.spec).scaleTargetRef), `HPA for ${name}`).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
      expect(obj(hpa?.spec).minReplicas).toBeGreaterThanOrEqual(2);
      expect(byKind(objects, 'PodDisruptionBudget').some((p) => selects(obj(p.spec).selector)), `PDB for ${name}`).toBe(true);
      expect(selects(obj(d.spec).selector)).toBe(true);
    }
    const svc = named(objects, 'Service', 'admissions-api');
    const apiLabels = obj(obj(obj(obj(deployment('admissions-api').spec).template).metadata).labels);
    expect(Object.entries(obj(obj(svc?.spec).selector)).every(([k, v]) => apiLabels[k] === v)).toBe(true);
    const ingress = byKind(objects, 'Ingress')[0];
    expect(arr(obj(ingress?.spec).tls).length).toBeGreaterThan(0);
    expect(JSON.stringify(obj(ingress?.spec).rules)).toContain('"name":"admissions-api"');
  });

  it('runs unprivileged with a read-only root and a writable /tmp; migrations run before the API and the workers', () => {
    for (const name of ['admissions-api', 'admissions-worker']) {
      const spec = podSpec(deployment(name));
      expect(obj(spec.securityContext).runAsNonRoot, name).toBe(true);
      const emptyDirs = new Set(arr(spec.volumes).map(obj).filter((v) => isObj(v.emptyDir)).map((v) => v.name));
      for (const c of podContainers(deployment(name))) {
        expect(obj(c.securityContext), `${name}/${c.name}`).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
        const tmp = arr(c.volumeMounts).map(obj).find((m) => m.mountPath === '/tmp');
        expect(emptyDirs.has(tmp?.name), `${name}/${c.name}: /tmp on an emptyDir`).toBe(true);
        expect(obj(c.resources).requests, `${name}/${c.name}: resources`).toBeDefined();
      }
      const init = arr(spec.initContainers).map(obj);
      expect(init.map((c) => arr(c.args ?? c.command).join(' ')), name).toContain('node --import tsx infra/db/migrate.ts');
    }
  });

  it('hands the app only variables config.ts reads, with values it accepts', () => {
    expect(appEnvProblems(objects)).toEqual([]);
    // The check bites: an unknown variable and a secret written as a literal are both reported.
    const tampered = clone(objects);
    const worker = obj(arr(podSpec(named(tampered, 'Deployment', 'admissions-worker')!).containers)[0]);
    worker.env = [...arr(worker.env), { name: 'WORKER_PORT', value: '9465' }, { name: 'SESSION_SECRET', value: 'x'.repeat(40) }];
    expect(appEnvProblems(tampered)).toEqual([
      'worker: SESSION_SECRET is a literal value; use a secretKeyRef',
      'admissions-worker/worker: WORKER_PORT is not read by infra/config.ts',
    ]);
  });

  it('keeps secrets out: the Secret is an example outside the kustomization, with placeholders only', () => {
    expect(arr(KUSTOMIZATION.resources)).not.toContain('secret.example.yaml');
    expect(KUSTOMIZATION.secretGenerator).toBeUndefined();
    expect(byKind(objects, 'Secret').filter((s) => Object.keys({ ...obj(s.data), ...obj(s.stringData) }).length > 0)).toEqual([]);
    for (const cm of byKind(objects, 'ConfigMap')) expect(Object.keys(obj(cm.data)).filter((k) => SECRET_NAME.test(k) || (/_URL$/.test(k) && k !== 'PUBLIC_URL'))).toEqual([]);
    expect(() => validateK8s(SECRET_EXAMPLE)).not.toThrow();
    expect(unknownNames(SECRET_KEYS)).toEqual([]);
    expect(SECRET_KEYS).toEqual(expect.arrayContaining(['DATABASE_URL', 'SESSION_SECRET', 'PAYLOAD_ENCRYPTION_KEY', 'TEMPORAL_API_KEY', 'SMTP_URL']));
    for (const [k, v] of Object.entries(obj(SECRET_EXAMPLE.stringData))) expect(String(v), k).toContain('CHANGE-ME');
    for (const f of ['kustomization.yaml', 'secret.example.yaml', ...arr(KUSTOMIZATION.resources).map(String)]) {
      expect(literalKeyMaterial(readFileSync(path.join(K8S, f), 'utf8')), f).toEqual([]);
    }
  });

  it.runIf(KUBECTL)('renders the mTLS alternative: the client certificate mounted where TEMPORAL_TLS_*_PATH point', () => {
    // A throwaway overlay next to nothing: kustomize wants relative paths to the base and the component.
    const dir = mkdtempSync(path.join(tmpdir(), 'k8s-mtls-'));
    try {
      const rel = (p: string) => path.relative(dir, p);
      writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        stringify({ resources: [rel(K8S)], components: [rel(path.join(K8S, 'components', 'temporal-mtls'))] }),
      );
      const withMtls = kustomize(dir);
      for (const o of withMtls) expect(() => validateK8s(o)).not.toThrow();
      expect(appEnvProblems(withMtls)).toEqual([]);
      for (const name of ['admissions-api', 'admissions-worker']) {
        const d = named(withMtls, 'Deployment', name)!;
        const c = obj(arr(podSpec(d).containers)[0]);
        const { env } = containerEnv(withMtls, c);
        const mount = arr(c.volumeMounts).map(obj).find((m) => m.name === 'temporal-mtls');
        const volume = arr(podSpec(d).volumes).map(obj).find((v) => v.name === 'temporal-mtls');
        expect(obj(volume?.secret).secretName, name).toBe('admissions-temporal-mtls');
        expect(mount?.readOnly).toBe(true);
        for (const p of [env.TEMPORAL_TLS_CERT_PATH, env.TEMPORAL_TLS_KEY_PATH]) expect(p?.startsWith(`${mount?.mountPath}/`), `${name}: ${p}`).toBe(true);
        expect(loadConfig(env).temporal.tls).toEqual({ certPath: env.TEMPORAL_TLS_CERT_PATH, keyPath: env.TEMPORAL_TLS_KEY_PATH });
      }
      log('k8s mTLS component rendered by kubectl kustomize and validated');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
