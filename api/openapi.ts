/**
 * The OpenAPI 3.1 document, generated from the table of mounted routes and the zod schemas their handlers
 * parse (`RouteDef.doc`), and the Swagger UI page that reads it, served from node_modules (no CDN).
 */
import { createRequire } from 'node:module';
import express, { Router } from 'express';
import { z } from 'zod';
import { SESSION_COOKIE } from './auth/middleware.js';
import type { RouteDef, RouteDoc, RouteInfo } from './routing.js';

const require = createRequire(import.meta.url);

export const API_INFO = {
  title: 'Admissions engine API',
  version: (require('../package.json') as { version: string }).version,
  description: [
    'Party admissions and new party organizations in enterprises, run as durable Temporal workflows.',
    'Callers log in (session cookie; writes carry `X-CSRF-Token`) or send an API token (`Authorization: Bearer …`).',
    'Dates are strings `YYYY-MM-DD`; every error is `{ error: { code, message, fields? } }`.',
  ].join(' '),
};

type JsonSchema = Record<string, unknown>;
type Json = Record<string, unknown>;

const ERROR_RESPONSES: Record<number, { readonly name: string; readonly description: string }> = {
  400: { name: 'BadRequest', description: 'Invalid input: `fields` names each bad field and the rule it broke' },
  401: { name: 'Unauthorized', description: 'No valid session or API token (at login: wrong username or password)' },
  403: { name: 'Forbidden', description: "The caller's roles do not allow this, or a session write came without its X-CSRF-Token" },
  404: { name: 'NotFound', description: "No such resource, or one outside the caller's scope (answered as if absent)" },
  409: { name: 'Conflict', description: 'Conflicts with the current state: the case is at another step or closed, a number or name is already used' },
  422: { name: 'UnprocessableEntity', description: 'Well-formed, but names a missing record or breaks a rule of the procedure' },
  429: { name: 'TooManyRequests', description: 'Too many attempts: wait a minute' },
};

/** The body of every error (HttpError.toJSON); written out here because the errors are built in code, not parsed. */
const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable machine-readable code, e.g. validation_failed, not_found, wrong_step' },
        message: { type: 'string' },
        fields: {
          type: 'array',
          items: {
            type: 'object',
            required: ['field', 'rule', 'message'],
            properties: {
              field: { type: 'string', description: 'Dotted path in the body, or the query/path parameter name' },
              rule: { type: 'string', description: 'e.g. required, date, max, unknown_field' },
              message: { type: 'string' },
            },
          },
        },
      },
    },
  },
};

const TAGS = [
  { name: 'Auth', description: 'Log in and out, who am I, API tokens' },
  { name: 'Cases', description: 'Admission and cell-establishment cases: open, list, sign off steps, drive' },
  { name: 'Documents', description: 'The papers the steps issue, as HTML and PDF' },
  { name: 'Organizations', description: 'The organization tree and approval chains' },
  { name: 'People', description: 'Candidates and members' },
  { name: 'Enterprises', description: 'Enterprises where cells are set up' },
  { name: 'Reports', description: 'Targets and progress' },
  { name: 'Calendar', description: 'Days off and working-day arithmetic' },
  { name: 'Admin', description: 'Users, audit log, email outbox' },
  { name: 'Health', description: 'Liveness of the backends' },
  { name: 'Documentation', description: 'This document and its browsable page' },
];

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
const SECURED = [{ bearerToken: [] }, { sessionCookie: [] }];
const UNSAFE = new Set(['post', 'put', 'patch', 'delete']);

export function buildOpenApi(routes: readonly RouteInfo[], info: { title: string; version: string; description?: string }) {
  const paths: Record<string, Record<string, Json>> = {};
  const hoisted: Record<string, JsonSchema> = {};
  const tags: string[] = [];
  const operationIds = new Map<string, string>();

  for (const route of routes) {
    const doc: RouteDoc | undefined = route.doc;
    const key = `${route.method.toUpperCase()} ${route.path}`;
    const operationId = doc?.operationId ?? defaultOperationId(route.method, route.path);
    // A clash would make client generators drop an operation: fail loudly, the test builds the document.
    if (operationIds.has(operationId)) throw new Error(`OpenAPI: ${key} and ${operationIds.get(operationId)} share the operationId ${operationId}; set doc.operationId`);
    operationIds.set(operationId, key);
    const schema = (s: z.ZodType, part: string) => toJsonSchema(s, `${operationId}_${part}_`, hoisted);

    const parameters: Json[] = [];
    const pathSchema = doc?.params ? schema(doc.params, 'params') : undefined;
    const pathProps = (pathSchema?.properties ?? {}) as Record<string, JsonSchema>;
    // Every template variable must be declared, also those checked in code rather than by a schema.
    for (const [, name] of route.path.matchAll(/:(\w+)/g)) {
      parameters.push({ name, in: 'path', required: true, schema: pathProps[name!] ?? { type: 'string' } });
    }
    if (doc?.query) {
      const q = schema(doc.query, 'query');
      if (q.type !== 'object' || typeof q.properties !== 'object') throw new Error(`OpenAPI: the query schema of ${key} is not an object`);
      const required = new Set((q.required as string[] | undefined) ?? []);
      for (const [name, s] of Object.entries(q.properties as Record<string, JsonSchema>)) {
        const { description, ...rest } = s;
        parameters.push({ name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema: rest });
      }
    }
    const secured = route.action !== 'public';
    if (secured && UNSAFE.has(route.method)) parameters.push({ $ref: '#/components/parameters/CsrfToken' });

    const success = doc?.success ?? 200;
    const noContent = success === 204 || (success >= 300 && success < 400);
    const contentType = doc?.contentType ?? 'application/json';
    const responses: Record<string, Json> = {
      [success]: {
        description: doc?.responseDescription ?? defaultDescription(success),
        ...(noContent ? {} : { content: { [contentType]: { schema: contentType === 'application/json' ? { type: 'object' } : { type: 'string' } } } }),
      },
    };
    const errors = new Set<number>(doc?.errors ?? []);
    if (doc?.params || doc?.query || doc?.body) errors.add(400);
    if (secured) [401, 403].forEach((s) => errors.add(s));
    if (secured && parameters.some((p) => p.in === 'path' && p.name === 'id')) errors.add(404);
    for (const status of [...errors].sort((a, b) => a - b)) {
      const known = ERROR_RESPONSES[status];
      responses[status] = known ? { $ref: `#/components/responses/${known.name}` } : { description: `Error ${status}`, content: errorContent };
    }

    const oaPath = route.path.replace(/:(\w+)/g, '{$1}');
    for (const tag of doc?.tags ?? []) if (!tags.includes(tag)) tags.push(tag);
    (paths[oaPath] ??= {})[route.method] = {
      operationId,
      ...(doc ? { summary: doc.summary } : {}),
      ...(doc?.description ? { description: doc.description } : {}),
      ...(doc?.tags?.length ? { tags: [...doc.tags] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(doc?.body ? { requestBody: { required: true, content: { [doc.bodyContentType ?? 'application/json']: { schema: schema(doc.body, 'body') } } } } : {}),
      responses,
      security: secured ? SECURED : [],
      'x-action': route.action,
    };
  }

  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    // The known areas in reading order with a line each; a new tag still appears (at the end).
    tags: [...TAGS.filter((t) => tags.includes(t.name)), ...tags.filter((name) => !TAGS.some((t) => t.name === name)).map((name) => ({ name }))],
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA, ...hoisted },
      responses: Object.fromEntries(
        Object.values(ERROR_RESPONSES).map(({ name, description }) => [name, { description, content: errorContent }]),
      ),
      parameters: {
        CsrfToken: {
          name: 'X-CSRF-Token',
          in: 'header',
          required: false,
          description: 'Required on writes made with the session cookie: the csrfToken from POST /api/v1/auth/login or GET /api/v1/auth/me. Not used with a bearer token.',
          schema: { type: 'string' },
        },
      },
      securitySchemes: {
        bearerToken: { type: 'http', scheme: 'bearer', description: 'An API token (POST /api/v1/auth/tokens): `Authorization: Bearer <token>`' },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description: 'The session cookie set by POST /api/v1/auth/login. POST, PUT, PATCH and DELETE with it also need the X-CSRF-Token header.',
        },
      },
    },
  };
}

/**
 * The input side (what a client sends): coerced query numbers are documented as numbers, defaults make a
 * field optional, and refinements and transforms, which JSON Schema cannot say, are left out.
 */
function toJsonSchema(schema: z.ZodType, prefix: string, hoisted: Record<string, JsonSchema>): JsonSchema {
  const { $schema: _, $defs, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  if (!$defs) return rest;
  // `#/$defs/…` would resolve against the OpenAPI document once embedded: move the definitions to components.
  const rewrite = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(rewrite)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' && x.startsWith('#/$defs/') ? `#/components/schemas/${prefix}${x.slice(8)}` : rewrite(x)]),
          )
        : v;
  for (const [name, def] of Object.entries($defs as Record<string, unknown>)) hoisted[`${prefix}${name}`] = rewrite(def) as JsonSchema;
  return rewrite(rest) as JsonSchema;
}

/** `get /api/v1/cases/:id/steps/:step` → `getCasesByIdStepsByStep`. */
function defaultOperationId(method: string, path: string): string {
  const words = path
    .replace(/^\/api\/v1(?=\/|$)/, '')
    .split(/[/.-]+/)
    .filter(Boolean)
    .map((w) => (w.startsWith(':') ? `By${cap(w.slice(1))}` : cap(w)));
  return method + words.join('');
}
const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

function defaultDescription(status: number): string {
  return status === 201 ? 'Created' : status === 204 ? 'No content' : status >= 300 && status < 400 ? 'Redirect' : 'OK';
}

// ---- serving it ------------------------------------------------------------------------------------------

const ASSETS = '/api/v1/docs/assets';

/** No inline script or style: the page works under helmet's default Content-Security-Policy as it is. */
const DOCS_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${API_INFO.title}</title>
  <link rel="stylesheet" href="${ASSETS}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${ASSETS}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${ASSETS}/swagger-ui-bundle.js"></script>
  <script src="${ASSETS}/docs-init.js"></script>
</body>
</html>
`;

// validatorUrl null: the default posts the document to validator.swagger.io (outside; CSP blocks it anyway).
const DOCS_INIT_JS = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

/** The document and the docs page, mounted under /api/v1; the document is built on first request, when every route is mounted. */
export function openApiRoutes(table: readonly RouteInfo[]): RouteDef[] {
  let document: ReturnType<typeof buildOpenApi> | undefined;
  return [
    {
      method: 'get',
      path: '/openapi.json',
      action: 'public',
      doc: { summary: 'This OpenAPI 3.1 document', tags: ['Documentation'], responseDescription: 'The OpenAPI document of every route' },
      handler: (_req, res) => res.json((document ??= buildOpenApi(table, API_INFO))),
    },
    {
      method: 'get',
      path: '/docs',
      action: 'public',
      doc: { summary: 'Browsable API documentation (Swagger UI)', tags: ['Documentation'], contentType: 'text/html', responseDescription: 'An HTML page' },
      handler: (_req, res) => res.type('html').send(DOCS_HTML),
    },
  ];
}

/** Swagger UI's files from node_modules, plus our initializer, at /api/v1/docs/assets (static files, not API routes). */
export function docsAssets(): Router {
  // absolute-path.js alone: the package's main module would load the whole browser bundle into Node.
  const dir = (require('swagger-ui-dist/absolute-path.js') as () => string)();
  const router = Router();
  router.get('/docs-init.js', (_req, res) => res.type('application/javascript').send(DOCS_INIT_JS));
  router.use(express.static(dir, { index: false }));
  return router;
}

export const DOCS_ASSETS_PATH = ASSETS;
