import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * The OpenAPI document is generated from the app's route table and the handlers' own zod schemas: it must be
 * valid 3.1, list exactly the routes the app serves, and carry their inputs. The docs page loads only local files.
 */
interface Operation {
  summary?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Record<string, unknown>; $ref?: string }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, unknown>;
  security: unknown[];
}
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** Writes that take no body. */
const BODYLESS = new Set(['POST /api/v1/auth/logout', 'POST /api/v1/cases/:id/resume', 'POST /api/v1/documents/:id/render', 'DELETE /api/v1/auth/tokens/:id']);

describe('OpenAPI document and docs page', () => {
  let stack: TestStack;
  let doc: Doc;
  const op = (method: string, path: string) => doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    const res = await call(stack.baseUrl, 'GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(() => stack?.stop());

  it('is a valid OpenAPI 3.1 document, served without logging in', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('lists exactly the routes the app registers, each with a summary', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    const registered = stack.routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(documented.sort()).toEqual([...registered].sort());
    const missing = documented.filter((key) => !op(key.split(' ')[0]!, key.split(' ')[1]!)?.summary);
    expect(missing).toEqual([]);
  });

  it('gives every write its body, every templated path its parameters, and secures all but the public routes', () => {
    for (const r of stack.routes) {
      const key = `${r.method.toUpperCase()} ${r.path}`;
      const o = op(r.method, r.path)!;
      // A write takes a JSON body, but an import takes the CSV file itself.
      const type = key === 'POST /api/v1/imports' ? 'text/csv' : 'application/json';
      if (['post', 'put', 'patch'].includes(r.method) && !BODYLESS.has(key)) expect(o.requestBody?.content[type]?.schema, key).toBeDefined();
      for (const [, name] of r.path.matchAll(/:(\w+)/g)) expect(o.parameters?.some((p) => p.in === 'path' && p.name === name && p.required), `${key} ${name}`).toBe(true);
      expect(o.security.length === 0, key).toBe(r.action === 'public');
    }
  });

  it('carries the schemas the handlers parse: case creation, the case list query, targets, sign-offs', () => {
    const create = op('POST', '/api/v1/cases')!.requestBody!.content['application/json']!.schema;
    const variants = (create.oneOf ?? create.anyOf) as Array<{ properties: { type: { const: string } } }>;
    expect(variants.map((v) => v.properties.type.const).sort()).toEqual(['admission', 'cell-establishment']);

    const query = op('GET', '/api/v1/cases')!.parameters!.filter((p) => p.in === 'query');
    expect(query.map((p) => p.name)).toEqual(expect.arrayContaining(['status', 'q', 'sort', 'limit', 'after']));
    // A coerced query number is documented as the number it must be, with its default.
    expect(query.find((p) => p.name === 'limit')).toMatchObject({ required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } });

    const target = op('PUT', '/api/v1/targets')!.requestBody!.content['application/json']!.schema;
    expect(target.required).toEqual(expect.arrayContaining(['organizationId', 'year', 'kind', 'value']));
    expect(target.required).not.toContain('mode'); // has a default

    const signOff = op('POST', '/api/v1/cases/:id/steps/:step')!;
    const bodies = (signOff.requestBody!.content['application/json']!.schema.anyOf ?? signOff.requestBody!.content['application/json']!.schema.oneOf) as unknown[];
    expect(bodies.length).toBeGreaterThan(20);
    expect(signOff.parameters!.find((p) => p.name === 'step')!.schema!.enum).toEqual(expect.arrayContaining(['cell-vote', 'survey']));
    expect(Object.keys(signOff.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '409', '422']));
  });

  it('serves the docs page from local files only, under the default Content-Security-Policy', async () => {
    const page = await fetch(`${stack.baseUrl}/api/v1/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/);
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script
    const urls = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThan(2);
    expect(urls.filter((u) => /^(https?:)?\/\//.test(u))).toEqual([]);
    const bundle = urls.find((u) => u.endsWith('swagger-ui-bundle.js'));
    expect(bundle).toBeDefined();
    for (const url of urls) {
      const res = await fetch(new URL(url, `${stack.baseUrl}/api/v1/docs`));
      expect(res.status, url).toBe(200);
      await res.arrayBuffer();
    }
    const init = await (await fetch(`${stack.baseUrl}${urls.find((u) => u.endsWith('docs-init.js'))}`)).text();
    expect(init).toContain("'/api/v1/openapi.json'");
  });
});
