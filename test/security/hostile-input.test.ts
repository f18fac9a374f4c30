import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentActivities } from '../../activities/documents.js';
import type { RouteInfo } from '../../api/routing.js';
import { addOrganization, approver, createTree, createUser, organizer, viewer } from '../helpers/db.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';
import { vietnamDate } from '../../workflows/calendar/work-calendar.js';

/**
 * Hostile input on every JSON route of the route table, as an admin and as an organizer of one cell: wrong
 * types, huge strings, deep nesting, unicode edge cases, SQL and HTML injection, prototype-pollution keys,
 * malformed JSON, wrong content types, and path ids that are no UUIDs. Every answer must be below 500, and
 * a 4xx must be the API's JSON error `{ error: { code, message, fields? } }`. The generated part uses
 * fast-check with a fixed seed, so a run is repeatable. Then a name that is a script reaches the documents
 * and the staff UI's case page escaped.
 */

const SEED = 20260311;
const XSS = '<script>alert(1)</script>';
const XSS_ATTR = '"><img src=x onerror=alert(1)>';
const SQL = ["' OR 1=1 --", "'; DROP TABLE cases; --"];

// ---- hostile values -----------------------------------------------------------------------------------

/** Raw JSON text spliced into a body (deep nesting that JSON.stringify itself cannot write). */
class RawJson {
  constructor(readonly text: string) {}
}
const deepArrays = (n: number) => new RawJson('['.repeat(n) + ']'.repeat(n));
const deepObjects = (n: number) => new RawJson('{"a":'.repeat(n) + '1' + '}'.repeat(n));
const pollution = () => JSON.parse('{"__proto__":{"polluted":1}}') as object;
const constructorPollution = () => JSON.parse('{"constructor":{"prototype":{"polluted":1}}}') as object;

/** Strings: injection, unicode edge cases, numbers and keywords as text, ids that are no UUIDs. */
const STRINGS: readonly string[] = [
  '',
  ' ',
  ...SQL,
  '" OR ""="',
  "1' AND (SELECT pg_sleep(2)) IS NULL --",
  "%' OR '%'='",
  XSS,
  XSS_ATTR,
  'javascript:alert(1)',
  "{{constructor.constructor('return process')()}}",
  '${process.exit(1)}',
  '\ud800',
  'a\udfffb',
  '\u0000',
  'nul\u0000byte',
  '\u202egnp.exe',
  'a\u200d\u200c\u200bb',
  '👨‍👩‍👧‍👦🏳️‍🌈',
  'e\u0301\u0302\u0303\u0304',
  'Z' + '\u0336'.repeat(400), // one grapheme, 401 code units
  '\ufeffBOM',
  '\uffff\ufffe',
  'line\r\nbreak',
  '\u2028\u2029',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%00',
  '-1',
  '1e309',
  'NaN',
  '0x1F',
  '9'.repeat(400),
  ' 2026 ',
  'true',
  'null',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
  `${randomUUID()}' OR 1=1 --`,
  'x'.repeat(5000),
];

/** Values of other types than the field expects, and structures meant to break the parser or the prototype. */
const NON_STRINGS: readonly unknown[] = [
  0,
  -1,
  1.5,
  1e308,
  2 ** 53 + 1,
  true,
  false,
  null,
  [],
  ['a', 1, null],
  {},
  { a: { b: [] } },
  pollution(),
  constructorPollution(),
  deepArrays(5000),
  deepObjects(5000),
];

/** JSON text; RawJson values are spliced in as they are. */
function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v.text);
      return `\u0001RAW${raws.length - 1}\u0001`;
    }
    return v;
  });
  return raws.length ? text.replace(/"\\u0001RAW(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]!) : text;
}

/** Percent-encoding that also writes lone surrogates (as the bytes of WTF-8, which are no valid UTF-8). */
function enc(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    else out += encodeURIComponent(ch);
  }
  return out;
}

/** Path segments sent as they are: malformed percent-encoding, traversal, NUL. */
const RAW_SEGMENTS = ['%', '%%', '%E0%A4%A', '%ED%A0%80', '%FF', '%00', '../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '.', 'a;b=c', '*'];
/** Path ids every route with one gets (others in turn from STRINGS). */
const PATH_ALWAYS = ['../../etc/passwd', 'not-a-uuid', ...SQL, XSS, '\ud800', '\u0000', '\u202e', '00000000-0000-0000-0000-000000000000', '1e309', '-1', '__proto__'];
/** Query values sent as they are. */
const RAW_QUERY_VALUES = ['%', '%ED%A0%80', '%FF', '%00', '%E0%A4%A', '+', '&&&', '==='];

const BIG_FIELD = 'x'.repeat(200_000); // under the 256kb limit: the schema's max answers
const OVER_LIMIT = 'x'.repeat(300 * 1024);
const ONE_MB = 'y'.repeat(1024 * 1024);

/** Whole bodies that are not a JSON object, or no JSON at all. */
const MALFORMED: readonly string[] = [
  '{',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  '{"a":1}{"b":2}',
  '{"a":"\\x41"}',
  '{"a":"\\ud800"}',
  'NaN',
  '[1,2',
  '\u0000',
  'nul',
  '   ',
  '\ufeff{}',
  '{"__proto__":',
  'null',
  '1',
  'true',
  '"a string"',
  '[]',
  '[{}]',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '{"prototype":{"polluted":1},"__proto__":[]}',
  '['.repeat(5000) + ']'.repeat(5000),
  '{"a":'.repeat(5000) + '1' + '}'.repeat(5000),
  '['.repeat(100_000) + ']'.repeat(100_000),
  '{"a":'.repeat(40_000) + '1' + '}'.repeat(40_000),
];

// ---- the requests ---------------------------------------------------------------------------------------

interface Input {
  readonly label: string;
  readonly method: string;
  /** Already encoded. */
  readonly path: string;
  readonly query?: string;
  readonly body?: string | Uint8Array;
  /** null: no content-type header at all. */
  readonly contentType?: string | null;
  readonly headers?: Record<string, string>;
  /** The status the input must get (else any below 500). */
  readonly expect?: number;
}

interface Base {
  readonly params?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: Record<string, unknown>;
  /** Attack only the fields of this body, not every key of the route's documented schema (a union of many bodies). */
  readonly ownKeysOnly?: boolean;
}

interface Ctx {
  caseId: string;
  establishmentCaseId: string;
  cellId: string;
  upperId: string;
  scratchOrgId: string;
  personId: string;
  helperId: string;
  enterpriseId: string;
  userId: string;
  documentId: string;
}

/**
 * A valid request of each route, to which the hostile values are applied one field at a time (so a value
 * the schema takes goes on to the services and Postgres). A route without a row gets generic ids.
 */
const BASES: Record<string, (c: Ctx, today: string) => Base[]> = {
  'POST /api/v1/auth/login': () => [{ body: { username: 'nobody', password: 'wrong password' } }],
  'POST /api/v1/auth/tokens': () => [{ body: { name: 'hostile' } }],
  'DELETE /api/v1/auth/tokens/:id': () => [{ params: { id: randomUUID() } }],
  'GET /api/v1/cases': (c) => [{ query: { limit: '5', organizationId: c.cellId, q: 'Ứng viên' } }],
  'POST /api/v1/cases': (c) => [
    { body: { type: 'admission', organizationId: c.cellId, person: { fullName: 'Ứng Viên Thử', dateOfBirth: '1998-08-08' } } },
    { body: { type: 'cell-establishment', organizationId: c.upperId, enterpriseId: c.enterpriseId } },
    // An in-flight import: the history's items are loose objects (each checked against its step's body).
    {
      body: {
        type: 'admission',
        organizationId: c.cellId,
        person: { fullName: 'Ứng Viên Cũ', dateOfBirth: '1997-07-07' },
        openedOn: '2025-01-02',
        history: [{ step: 'source', signedOn: '2025-01-03', helperPersonId: c.helperId }],
      },
    },
  ],
  'POST /api/v1/cases/:id/steps/:step': (c, t) => [
    { params: { id: c.caseId, step: 'source' }, body: { helperPersonId: c.helperId }, ownKeysOnly: true },
    {
      params: { id: c.establishmentCaseId, step: 'survey' },
      body: { surveyedOn: t, workforce: 50, tradeUnion: true, youthUnion: false, ownerAttitude: 'neutral', reportedMembers: { official: 3, probationary: 0, attachedElsewhere: 0 } },
    },
  ],
  'POST /api/v1/cases/:id/member-transfers': (c) => [{ params: { id: c.establishmentCaseId }, body: { personId: c.personId } }],
  'POST /api/v1/cases/:id/host-cell': (c) => [{ params: { id: c.establishmentCaseId }, body: { organizationId: c.cellId } }],
  'GET /api/v1/cases/:id/owner-meetings': (c) => [{ params: { id: c.establishmentCaseId } }],
  'POST /api/v1/cases/:id/owner-meetings': (c, t) => [{ params: { id: c.establishmentCaseId }, body: { heldOn: t, attendees: 'Ban Tổ chức', outcome: 'undecided', note: 'ghi chú' } }],
  'POST /api/v1/cases/:id/comments': () => [{ body: { body: 'Ghi chú' } }],
  'POST /api/v1/cases/:id/hold': () => [{ body: { reason: 'Chờ thẩm tra' } }],
  'POST /api/v1/cases/:id/transfer': (c) => [{ body: { organizationId: c.cellId } }],
  'POST /api/v1/cases/:id/extend-deadline': () => [{ body: { step: 'decision', reason: 'Trường hợp đặc biệt' } }],
  'POST /api/v1/cases/:id/provincial-consent': (c, t) => [{ body: { documentNo: '123-CV/TU', on: t } }],
  'POST /api/v1/cases/:id/withdraw': () => [{ body: { reason: 'Rút hồ sơ' } }],
  'GET /api/v1/calendar/add-working-days': () => [{ query: { from: '2026-03-02', days: '5', week: 'mon-sat' } }],
  'GET /api/v1/calendar/working-days-between': () => [{ query: { from: '2026-03-02', to: '2026-03-20' } }],
  'GET /api/v1/calendar/:year': () => [{ params: { year: '2026' }, query: { week: 'mon-fri' } }],
  'PUT /api/v1/calendar/:year': () => [{ params: { year: '2031' }, body: { source: 'Thông báo', days: [{ date: '2031-01-02', kind: 'bridge', holiday: 'new-year', note: 'nghỉ' }] } }],
  'PATCH /api/v1/organizations/:id': (c) => [{ params: { id: c.scratchOrgId }, body: { officialMembers: 8, name: 'Chi bộ nháp' } }],
  'POST /api/v1/organizations': () => [{ body: { name: 'Đảng ủy thử', kind: 'upper-committee', place: 'Hải Phòng', symbol: 'ĐUT' } }],
  'GET /api/v1/people': (c) => [{ query: { organizationId: c.cellId, memberStatus: 'full', limit: '5', offset: '0' } }],
  'POST /api/v1/people': (c) => [{ body: { fullName: 'Người Mới', dateOfBirth: '1995-05-05', organizationId: c.cellId, occupation: 'Công nhân', email: 'a@b.vn', phone: '0912 345 678' } }],
  'PATCH /api/v1/people/:id': () => [{ body: { occupation: 'Công nhân' } }],
  'GET /api/v1/enterprises': () => [{ query: { zone: 'KCN', limit: '5', offset: '0' } }],
  'POST /api/v1/enterprises': () => [{ body: { name: 'Công ty TNHH Thử', zone: 'KCN', investorCountry: 'KR', workforce: 10, taxCode: '0101234567', contacts: [{ name: 'Anh A', phone: '0912345678' }] } }],
  'PATCH /api/v1/enterprises/:id': () => [{ body: { workforce: 1200, contacts: [{ name: 'Chị B', email: 'b@c.vn' }] } }],
  'POST /api/v1/users': () => [
    { body: { username: `h-${randomUUID().slice(0, 8)}`, displayName: 'Mới', email: 'x@y.vn', password: 'mật-khẩu-rất-dài-1', roles: [{ role: 'viewer', organizationId: null, body: null }] } },
  ],
  'PATCH /api/v1/users/:id': () => [{ body: { displayName: 'Đổi tên' } }],
  'GET /api/v1/audit': (c) => [{ query: { entityType: 'case', caseId: c.caseId, limit: '5' } }],
  'GET /api/v1/outbox': (c) => [{ query: { status: 'local', caseId: c.caseId, limit: '5' } }],
  'POST /api/v1/imports': () => [{ query: { kind: 'candidates', dryRun: 'true' } }],
  'GET /api/v1/imports/:id': () => [{ params: { id: randomUUID() } }],
  'GET /api/v1/exports/cases': () => [{ query: { format: 'csv', lang: 'en' } }],
  'GET /api/v1/exports/progress': (c) => [{ query: { format: 'csv', organizationId: c.cellId, year: '2026' } }],
  'GET /api/v1/reports/progress': (c) => [{ query: { organizationId: c.cellId, year: '2026', period: 'q1' } }],
  'GET /api/v1/targets': () => [{ query: { year: '2026' } }],
  'PUT /api/v1/targets': (c) => [{ body: { organizationId: c.cellId, year: 2026, kind: 'admissions', value: 3 } }],
};

/** A path id by the route's collection, for routes without one in BASES. */
function defaultParam(path: string, name: string, c: Ctx): string {
  if (name === 'step') return 'source';
  if (name === 'year') return '2026';
  const collection = path.split('/')[3];
  const byCollection: Record<string, string> = {
    cases: c.caseId,
    documents: c.documentId,
    organizations: c.cellId,
    people: c.personId,
    enterprises: c.enterpriseId,
    users: c.userId,
  };
  return byCollection[collection ?? ''] ?? randomUUID();
}

const paramNames = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
const fillPath = (path: string, params: Record<string, string>) => path.replace(/:(\w+)/g, (_m, n: string) => params[n]!);
const qs = (q: Record<string, string>) =>
  Object.entries(q)
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .join('&');

/** The keys of an object schema (through unions, pipes, optionals), for the per-field attacks. */
function schemaKeys(schema: unknown, depth = 0): string[] {
  const def = (schema as { _zod?: { def?: Record<string, unknown> } } | undefined)?._zod?.def;
  if (!def || depth > 5) return [];
  switch (def.type) {
    case 'object':
      return Object.keys(def.shape as object);
    case 'union':
      return [...new Set((def.options as unknown[]).flatMap((o) => schemaKeys(o, depth + 1)))];
    case 'pipe':
      return schemaKeys(def.in, depth + 1);
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return schemaKeys(def.innerType, depth + 1);
    default:
      return [];
  }
}

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];

/** A rotating slice of the strings, so every string reaches every route without sending each to every field. */
const slice = (i: number, n: number) => Array.from({ length: n }, (_, k) => STRINGS[(i * n + k) % STRINGS.length]!);

/** Every field gets the basic type confusions; the other hostile values are shared out over a route's fields. */
const CORE: readonly unknown[] = [0, true, null, [], {}];
const SHARED: readonly unknown[] = [...NON_STRINGS.filter((v) => !CORE.some((c) => toJson(c) === toJson(v))), ...STRINGS];
function valuesFor(fieldIndex: number, fieldCount: number, min: number): unknown[] {
  const n = Math.max(min, Math.ceil(SHARED.length / fieldCount));
  return [...CORE, ...Array.from({ length: n }, (_, k) => SHARED[(fieldIndex * n + k) % SHARED.length])];
}

/** Hash of a route key, to give each route its own fast-check seed. */
const hash = (s: string) => [...s].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0, 7);

/** fast-check: strings from the hand-written ones, any code points, graphemes, and near-UUIDs. */
const hostileString = fc.oneof(
  fc.constantFrom(...STRINGS.filter((s) => s.length < 1000)),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.uuid().map((u) => u.replace(/-/g, '')),
  fc.uuid(),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(...NON_STRINGS),
);

function inputsFor(route: RouteInfo, c: Ctx, today: string): Input[] {
  const key = `${route.method.toUpperCase()} ${route.path}`;
  const method = route.method.toUpperCase();
  const bases = BASES[key]?.(c, today) ?? [{}];
  const names = paramNames(route.path);
  const hasBody = method !== 'GET';
  const csv = route.doc?.bodyContentType === 'text/csv';
  const queryKeys = schemaKeys(route.doc?.query);
  const bodyKeys = schemaKeys(route.doc?.body);
  const out: Input[] = [];

  bases.forEach((base, b) => {
    const params = Object.fromEntries(names.map((n) => [n, base.params?.[n] ?? defaultParam(route.path, n, c)]));
    const path = fillPath(route.path, params);
    const query = base.query ?? {};
    const body = base.body ?? {};
    const json = (value: unknown) => (csv ? undefined : toJson(value));
    const req = (label: string, over: Partial<Input>): Input => ({
      label: `${key} [${b}] ${label}`,
      method,
      path,
      query: qs(query),
      ...(hasBody && !csv ? { body: json(body), contentType: 'application/json' } : {}),
      ...(csv ? { body: 'fullName,dateOfBirth,organization\nNguyễn Văn A,1990-01-01,' + c.cellId, contentType: 'text/csv' } : {}),
      ...over,
    });

    // Path, query and whole-body attacks on the first valid request; the per-field ones on each.
    const first = b === 0;
    // Path ids: no UUIDs, over-long, traversal, injection, malformed percent-encoding.
    for (const [pi, n] of (first ? names : []).entries()) {
      for (const s of [...PATH_ALWAYS, ...slice(hash(key) + pi, 10)]) if (s !== '') out.push(req(`path ${n}=${JSON.stringify(s.slice(0, 30))}`, { path: fillPath(route.path, { ...params, [n]: enc(s) }) }));
      for (const raw of RAW_SEGMENTS) out.push(req(`path ${n} raw ${raw}`, { path: fillPath(route.path, { ...params, [n]: raw }) }));
      out.push(req(`path ${n} 4000 chars`, { path: fillPath(route.path, { ...params, [n]: 'a'.repeat(4000) }) }));
      out.push(req(`path ${n} uuid+suffix`, { path: fillPath(route.path, { ...params, [n]: `${params[n]}${enc("' OR 1=1 --")}` }) }));
    }

    // Query: every known key and the prototype keys, each with hostile values, repeated, and bracketed.
    const qKeys = first ? [...queryKeys, ...PROTO_KEYS, 'hasOwnProperty', 'toString'] : [];
    qKeys.forEach((k, i) => {
      const values = queryKeys.length ? [...slice(i, 4), XSS, SQL[0]!] : [SQL[1]!];
      for (const v of values) out.push(req(`query ${k}=${JSON.stringify(v.slice(0, 30))}`, { query: qs({ ...query, [k]: v }) }));
      if (!queryKeys.length) return;
      for (const raw of [RAW_QUERY_VALUES[(2 * i) % RAW_QUERY_VALUES.length]!, RAW_QUERY_VALUES[(2 * i + 1) % RAW_QUERY_VALUES.length]!]) out.push(req(`query ${k} raw ${raw}`, { query: `${qs(query)}&${enc(k)}=${raw}` }));
      out.push(req(`query ${k} twice`, { query: `${qs(query)}&${enc(k)}=a&${enc(k)}=b` }));
      out.push(req(`query ${k}[]`, { query: `${qs(query)}&${enc(k)}[]=a&${enc(k)}[__proto__][polluted]=1` }));
    });
    if (first && queryKeys.length) {
      out.push(req('query 6000-char value', { query: qs({ ...query, [queryKeys[0]!]: 'q'.repeat(6000) }) }));
      out.push(req('query 300 keys', { query: Array.from({ length: 300 }, (_, i) => `k${i}=${i}`).join('&') }));
    }

    if (!hasBody) return;
    if (csv && first) {
      // CSV: formula and script injection in cells, broken quoting, NUL, invalid UTF-8, wrong content types.
      const head = 'fullName,dateOfBirth,organization\n';
      const cells = [...STRINGS.filter((s) => s.length < 1000), '=HYPERLINK("http://x","y")', '+cmd|\' /C calc\'!A0', '@SUM(1+1)', '"unbalanced', 'a,"b""c'];
      cells.forEach((s, i) => out.push(req(`csv cell ${i}`, { body: `${head}"${s.replace(/"/g, '""')}",1990-01-01,${c.cellId}\n${s},${s},${s}` })));
      out.push(req('csv invalid utf-8', { body: new Uint8Array([...Buffer.from(head), 0xff, 0xfe, 0xed, 0xa0, 0x80, 0x2c, 0x31, 0x0a]) }));
      out.push(req('csv 1 MB line', { body: `${head}${ONE_MB},1990-01-01,x` }));
      out.push(req('csv deep quotes', { body: `${head}${'"'.repeat(50_000)}` }));
      out.push(req('csv as json', { body: toJson({ not: 'csv' }), contentType: 'application/json' }));
      out.push(req('csv json array', { body: '[1,2]', contentType: 'application/json' }));
      out.push(req('csv form', { body: 'a=1', contentType: 'application/x-www-form-urlencoded' }));
      out.push(req('csv no content-type', { contentType: null }));
      out.push(req('csv charset', { contentType: 'text/csv; charset=utf-16' }));
      return;
    }

    if (csv) return;
    // Whole bodies: malformed JSON, other types, pollution, deep nesting, over the size limit.
    if (first) {
      MALFORMED.forEach((text, i) => out.push(req(`malformed ${i}`, { body: text })));
      out.push(req('invalid utf-8 bytes', { body: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0x22, 0x7d]) }));
      out.push(req('base + __proto__', { body: toJson({ ...body, ...pollution() }) }));
      out.push(req('base + constructor.prototype', { body: toJson({ ...body, ...constructorPollution() }) }));
      out.push(req('300 KB body', { body: toJson({ ...body, [bodyKeys[0] ?? 'x']: OVER_LIMIT }), expect: 413 }));
      out.push(req('1 MB body', { body: toJson({ ...body, [bodyKeys[0] ?? 'x']: ONE_MB }), expect: 413 }));
      // Wrong content types with the valid body.
      for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/csv', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/vnd.api+json', 'application/json; charset=', '*/*', 'application/jsonx'])
        out.push(req(`content-type ${ct}`, { contentType: ct }));
      out.push(req('no content-type', { contentType: null }));
      out.push(req('json declared, form sent', { body: 'a=1&b=2' }));
      out.push(req('gzip declared, garbage sent', { headers: { 'content-encoding': 'gzip' } }));
      out.push(req('unknown content-encoding', { headers: { 'content-encoding': 'x-evil' } }));
    }
    // One field at a time: other types, hostile strings, a 200 KB string, prototype keys.
    const fields = [...new Set([...(first && !base.ownKeysOnly ? bodyKeys : []), ...Object.keys(body)]), ...PROTO_KEYS];
    fields.forEach((k, i) => {
      // A route that takes no body only needs to survive the prototype keys.
      for (const v of bodyKeys.length ? valuesFor(i, fields.length, 3) : [...CORE, pollution()]) out.push(req(`body ${k}=${JSON.stringify(toJson(v).slice(0, 30))}`, { body: toJson({ ...body, [k]: v }) }));
      if (i === 0) out.push(req(`body ${k} 200 KB`, { body: toJson({ ...body, [k]: BIG_FIELD }) }));
    });
    // One level down: the fields of an object (or of a list's first object) in the valid body.
    let j = 0;
    for (const [k, v] of Object.entries(body)) {
      const inner = Array.isArray(v) ? v[0] : v;
      if (!inner || typeof inner !== 'object') continue;
      for (const ik of [...Object.keys(inner), '__proto__']) {
        for (const hv of valuesFor(j++, 8, 2)) {
          const changed = { ...inner, [ik]: hv };
          out.push(req(`body ${k}.${ik}=${JSON.stringify(toJson(hv).slice(0, 30))}`, { body: toJson({ ...body, [k]: Array.isArray(v) ? [changed, ...v.slice(1)] : changed }) }));
        }
      }
    }
  });
  return out;
}

/** fast-check: generated bodies (over the valid one or alone), queries and path ids; fixed seed per route. */
function generatedInputs(route: RouteInfo, c: Ctx, today: string, runs: number): Input[] {
  const key = `${route.method.toUpperCase()} ${route.path}`;
  const method = route.method.toUpperCase();
  const base = BASES[key]?.(c, today)[0] ?? {};
  const names = paramNames(route.path);
  const params = Object.fromEntries(names.map((n) => [n, base.params?.[n] ?? defaultParam(route.path, n, c)]));
  const seed = SEED ^ hash(key);
  const queryKeys = [...schemaKeys(route.doc?.query), ...PROTO_KEYS];
  const bodyKeys = [...schemaKeys(route.doc?.body), ...Object.keys(base.body ?? {}), ...PROTO_KEYS];
  const csv = route.doc?.bodyContentType === 'text/csv';
  const out: Input[] = [];
  const queries = fc.sample(fc.dictionary(fc.oneof(fc.constantFrom(...queryKeys), hostileString), hostileString, { maxKeys: 4 }), { seed, numRuns: runs });
  const bodies =
    method === 'GET' || csv
      ? []
      : fc.sample(
          fc.tuple(fc.boolean(), fc.dictionary(fc.oneof(fc.constantFrom(...bodyKeys), hostileString), hostileValue, { maxKeys: 4 })),
          { seed: seed + 1, numRuns: runs },
        );
  const ids = names.length ? fc.sample(fc.tuple(fc.constantFrom(...names), hostileString.filter((s) => s.length > 0)), { seed: seed + 2, numRuns: Math.ceil(runs / 2) }) : [];
  const path = fillPath(route.path, params);
  const bodyOf = () => (method === 'GET' ? {} : csv ? { body: 'fullName\nA', contentType: 'text/csv' } : { body: toJson(base.body ?? {}), contentType: 'application/json' });
  queries.forEach((q, i) => out.push({ label: `${key} fc query ${i}`, method, path, query: qs({ ...(base.query ?? {}), ...q }), ...bodyOf() }));
  bodies.forEach(([over, b], i) =>
    out.push({ label: `${key} fc body ${i}`, method, path, query: qs(base.query ?? {}), body: toJson(over ? { ...(base.body ?? {}), ...b } : b), contentType: 'application/json' }),
  );
  ids.forEach(([n, s], i) => out.push({ label: `${key} fc path ${i}`, method, path: fillPath(route.path, { ...params, [n]: enc(s) }), query: qs(base.query ?? {}), ...bodyOf() }));
  return out;
}

interface Outcome {
  readonly status: number;
  readonly problem?: string;
}

async function send(baseUrl: string, token: string, input: Input): Promise<Outcome> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...input.headers };
  if (input.contentType !== null && input.body !== undefined) headers['content-type'] = input.contentType ?? 'application/json';
  const url = `${baseUrl}${input.path}${input.query ? `?${input.query}` : ''}`;
  let res: Response;
  try {
    res = await fetch(url, { method: input.method, headers, body: input.body, redirect: 'manual' });
  } catch (err) {
    return { status: 0, problem: `no answer: ${(err as Error).message} ${(err as { cause?: Error }).cause?.message ?? ''}` };
  }
  const text = await res.text();
  const status = res.status;
  if (status >= 500) return { status, problem: `${status} ${text.slice(0, 300)}` };
  if (input.expect !== undefined && status !== input.expect) return { status, problem: `expected ${input.expect}, got ${status} ${text.slice(0, 200)}` };
  if (status < 400) return { status };
  // A request that resolved outside /api (raw traversal) is not the JSON API's to answer.
  if (!new URL(url).pathname.startsWith('/api/')) return { status };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { status, problem: `${status} is not JSON: ${text.slice(0, 200)}` };
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; fields?: unknown } } | null)?.error;
  const shapeOk =
    !!error &&
    typeof error.code === 'string' &&
    error.code.length > 0 &&
    typeof error.message === 'string' &&
    error.message.trim().length > 0 &&
    (error.fields === undefined ||
      (Array.isArray(error.fields) &&
        error.fields.every((f: { field?: unknown; rule?: unknown; message?: unknown }) => typeof f?.field === 'string' && typeof f.rule === 'string' && typeof f.message === 'string')));
  if (!shapeOk) return { status, problem: `${status} body is not { error: { code, message, fields? } }: ${text.slice(0, 200)}` };
  if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) return { status, problem: `${status} with content-type ${res.headers.get('content-type')}` };
  return { status };
}

/** Runs the inputs with a few in flight at once. */
async function runAll<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

const protoSnapshot = () =>
  [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) =>
    Object.getOwnPropertyNames(p)
      .sort()
      .map((n) => {
        const d = Object.getOwnPropertyDescriptor(p, n)!;
        return `${n}:${typeof d.value}:${String(d.writable)}:${String(d.enumerable)}`;
      })
      .join(','),
  );

describe('hostile input', () => {
  let stack: TestStack;
  let ctx: Ctx;
  let organizerToken: string;
  let today: string;
  const protoBefore = protoSnapshot();
  const protoValues = Object.getOwnPropertyNames(Object.prototype).map((n) => (Object.prototype as Record<string, unknown>)[n]);

  beforeAll(async () => {
    stack = await startTestStack();
    today = vietnamDate(Date.now());
    const { pool } = stack.db;
    const tree = await createTree(pool);
    const asAdmin = caller(stack.baseUrl, stack.admin.token);
    organizerToken = (await createUser(pool, 'h-organizer', [organizer(tree.gcell)])).token;
    await createUser(pool, 'h-approver', [approver(tree.gcell, 'cell')]);
    await createUser(pool, 'h-standing', [approver(tree.upper, 'standing-committee')]);
    const target = await createUser(pool, 'h-viewer', [viewer(tree.gcell)]);
    const enterprise = await asAdmin('POST', '/api/v1/enterprises', { name: 'Công ty TNHH Sao Việt' });
    const person = await asAdmin('POST', '/api/v1/people', { fullName: 'Người Trong Chi Bộ', dateOfBirth: '1990-01-01', organizationId: tree.gcell });
    const helper = await asAdmin('POST', '/api/v1/people', {
      fullName: 'Đảng viên Giúp Đỡ',
      dateOfBirth: '1975-03-03',
      organizationId: tree.gcell,
      memberStatus: 'full',
      admittedOn: '2005-05-19',
    });
    const opened = await asAdmin('POST', '/api/v1/cases', { type: 'admission', organizationId: tree.gcell, person: { fullName: 'Ứng Viên', dateOfBirth: '1998-08-08' } });
    const establishment = await asAdmin('POST', '/api/v1/cases', { type: 'cell-establishment', organizationId: tree.upper, enterpriseId: enterprise.body.id });
    for (const r of [enterprise, person, helper, opened, establishment]) expect(r.status, JSON.stringify(r.body)).toBe(201);
    const doc = await documentActivities({ pool }).issueDocument({
      caseId: opened.body.caseId,
      step: 'cell-vote',
      form: '6-KNĐ',
      data: {
        issuer: { superior: 'ĐẢNG ỦY KHU KINH TẾ', name: 'CHI BỘ B' },
        place: 'Hải Phòng',
        date: '2026-01-05',
        candidate: { fullName: 'Ứng Viên', dateOfBirth: '1998-08-08' },
        cell: { name: 'Chi bộ B' },
        vote: { heldOn: '2026-01-05', eligible: 7, present: 7, for: 5, against: 2 },
        signer: { name: 'Bí thư' },
      },
    });
    // Rendered once here, not by eight hostile requests at once.
    expect((await asAdmin('GET', `/api/v1/documents/${doc.id}/pdf`)).status).toBe(200);
    ctx = {
      caseId: opened.body.caseId,
      establishmentCaseId: establishment.body.caseId,
      cellId: tree.gcell,
      upperId: tree.upper,
      scratchOrgId: await addOrganization(pool, { name: 'Chi bộ nháp', kind: 'grassroots-cell', parentId: tree.upper }),
      personId: person.body.id,
      helperId: helper.body.id,
      enterpriseId: enterprise.body.id,
      userId: target.id,
      documentId: doc.id,
    };
  });
  afterAll(() => stack?.stop());

  // First, while the tree is as built (the hostile run below renames and moves things).
  it('escapes a name that is a script in the documents and on the staff case page', async () => {
    const asAdmin = caller(stack.baseUrl, stack.admin.token);
    const helper = await asAdmin('POST', '/api/v1/people', {
      fullName: `${XSS_ATTR} Giúp Đỡ`,
      dateOfBirth: '1970-01-01',
      organizationId: ctx.cellId,
      memberStatus: 'full',
      admittedOn: '2000-01-01',
    });
    expect(helper.status, JSON.stringify(helper.body)).toBe(201);
    const name = `${XSS} ${XSS_ATTR} Nguyễn`;
    const opened = await asAdmin('POST', '/api/v1/cases', { type: 'admission', organizationId: ctx.cellId, person: { fullName: name, dateOfBirth: '1996-05-20' } });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const id: string = opened.body.caseId;
    for (const [step, body] of [
      ['source', { helperPersonId: helper.body.id }],
      ['awareness-course', { certificateIssuedOn: today }],
      ['application', { receivedOn: today, biographySealedOn: today }],
    ] as const) {
      const res = await asAdmin('POST', `/api/v1/cases/${id}/steps/${step}`, body);
      expect(res.status, `${step}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    const docs = (await asAdmin('GET', `/api/v1/cases/${id}/documents`)).body.items as Array<{ id: string; form: string }>;
    expect(docs.map((d) => d.form).sort()).toEqual(['1-KNĐ', '2-KNĐ']);
    const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;';
    for (const d of docs) {
      const res = await asAdmin('GET', `/api/v1/documents/${d.id}/html`);
      expect(res.status).toBe(200);
      const html = res.body as string;
      expect(html, d.form).not.toContain(XSS);
      expect(html, d.form).not.toContain('<img src=x');
      expect(html, d.form).not.toMatch(/<script/i);
      expect(html.toLowerCase(), d.form).toContain(escaped);
    }
    const page = await fetch(`${stack.baseUrl}/cases/${id}`, { headers: { authorization: `Bearer ${stack.admin.token}` }, redirect: 'manual' });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toContain(XSS);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(escaped);
  });

  it('answers hostile input on every JSON route with a 4xx JSON error, never a 5xx', async () => {
    const routes = stack.routes.filter((r) => !(r.action === 'public' && !r.doc?.body && !r.doc?.query && !r.doc?.params));
    // Reads and harmless writes first; the case's hold and withdrawal last (they stop the case).
    const last = (r: RouteInfo) => Number(r.path.endsWith('/withdraw')) * 2 + Number(r.path.endsWith('/hold'));
    routes.sort((a, b) => last(a) - last(b));
    const personas = [
      ['admin', stack.admin.token],
      ['organizer', organizerToken],
    ] as const;
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    let inputs = 0;
    let fiveHundreds = 0;
    const perRoute = new Map<string, number>();
    for (const route of routes) {
      const key = `${route.method.toUpperCase()} ${route.path}`;
      const list = [...inputsFor(route, ctx, today), ...generatedInputs(route, ctx, today, 8)];
      for (const [who, token] of personas) {
        const outcomes = await runAll(list, 8, (input) => send(stack.baseUrl, token, input));
        outcomes.forEach((o, i) => {
          inputs++;
          statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
          if (o.status >= 500) fiveHundreds++;
          if (o.problem && problems.length < 60) problems.push(`${who} ${list[i]!.label}: ${o.problem}`);
        });
        perRoute.set(key, (perRoute.get(key) ?? 0) + list.length);
      }
    }
    // A few hostile credentials too: the same 401 for each.
    for (const auth of [`Bearer ${SQL[0]}`, `Bearer ${XSS}`, `Bearer ${'x'.repeat(8000)}`, 'Bearer', 'Basic YWRtaW46YWRtaW4=', `Bearer ${stack.admin.token}' --`]) {
      const res = await fetch(`${stack.baseUrl}/api/v1/cases`, { headers: { authorization: auth } });
      inputs++;
      const body = (await res.json()) as { error?: { code?: string } } | null;
      if (res.status !== 401 || body?.error?.code !== 'unauthenticated') problems.push(`credentials ${auth.slice(0, 30)}: ${res.status} ${JSON.stringify(body)}`);
    }

    console.log(`hostile input: routes=${routes.length} inputs=${inputs} 5xx=${fiveHundreds}`);
    console.log(`statuses: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    expect(problems).toEqual([]);
    expect(fiveHundreds).toBe(0);
    expect([...perRoute.keys()].sort()).toEqual(routes.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort());
    // Nothing reached Object.prototype (or the other built-in prototypes) through a JSON key.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
    expect(protoSnapshot()).toEqual(protoBefore);
    expect(Object.getOwnPropertyNames(Object.prototype).map((n) => (Object.prototype as Record<string, unknown>)[n])).toEqual(protoValues);
  }, 150_000);
});
