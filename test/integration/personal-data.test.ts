import { Writable } from 'node:stream';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertPerson } from '../../infra/db/queries/cases.js';
import { createTree } from '../helpers/db.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * A marker name goes through a whole case; then nothing that leaves Postgres may carry it: no log line of
 * the API or of the Temporal worker (at TRACE), no search attribute or memo, no workflow history.
 */
const MARKER = 'Zyxwv Đánh Dấu Quýt';
const MARKER_PARTS = ['Zyxwv', 'Quýt'];

describe('personal data stays in Postgres', () => {
  const lines: string[] = [];
  let stack: TestStack;
  let caseId: string;

  beforeAll(async () => {
    // Capture everything the SDK logs (installed before the harness would install its quieter logger).
    Runtime.install({ logger: new DefaultLogger('TRACE', (entry) => lines.push(`${entry.message} ${JSON.stringify(entry.meta ?? {})}`)) });
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(chunk.toString()), cb()) });
    stack = await startTestStack({ logger: pino({ level: 'trace' }, sink) });
    const api = caller(stack.baseUrl, stack.admin.token);
    const tree = await createTree(stack.db.pool);
    const opened = await api('POST', '/api/v1/cases', { type: 'admission', organizationId: tree.gcell, person: { fullName: MARKER, dateOfBirth: '1996-06-06' } });
    expect(opened.status).toBe(201);
    caseId = opened.body.caseId;
    const helper = await insertPerson(stack.db.pool, { fullName: `${MARKER} Helper`, dateOfBirth: '1970-01-01', organizationId: tree.gcell });
    expect((await api('POST', `/api/v1/cases/${caseId}/steps/source`, { helperPersonId: helper })).status).toBe(200);
    expect((await api('POST', `/api/v1/cases/${caseId}/steps/awareness-course`, { certificateIssuedOn: '2026-01-05' })).status).toBe(200);
    // A name searched for travels in the query string; the access log names the route template only.
    expect((await api('GET', `/api/v1/cases?q=${encodeURIComponent(MARKER)}`)).status).toBe(200);
    // Rejected and failing requests carrying the marker are logged without it too.
    expect((await api('POST', '/api/v1/cases', { type: 'admission', organizationId: tree.gcell, person: { fullName: MARKER, dateOfBirth: 'not a date' } })).status).toBe(400);
    expect((await api('POST', '/api/v1/people', { fullName: MARKER, dateOfBirth: '1990-01-01', organizationId: tree.gcell, religion: MARKER })).status).toBe(201);
    expect((await api('POST', `/api/v1/cases/${caseId}/withdraw`, { reason: 'Chuyển công tác' })).status).toBe(200);
    await stack.client.workflow.getHandle(`admission:${caseId}`).result();
  });
  afterAll(() => stack?.stop());

  it('the run produced logs to scan, and the marker is really in Postgres', async () => {
    expect(lines.length).toBeGreaterThan(10);
    const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM people WHERE full_name LIKE $1', [`%${MARKER_PARTS[0]}%`]);
    expect(rows[0].n).toBeGreaterThanOrEqual(3);
  });

  it('no log line of the API or the worker carries it', () => {
    for (const part of MARKER_PARTS) expect(lines.filter((l) => l.includes(part))).toEqual([]);
  });

  it('no search attribute, memo or history event of the workflow carries it', async () => {
    const handle = stack.client.workflow.getHandle(`admission:${caseId}`);
    const described = await handle.describe();
    const visible = JSON.stringify({ searchAttributes: described.searchAttributes, memo: await described.memo, id: described.workflowId });
    const history = textOf(await handle.fetchHistory());
    for (const part of MARKER_PARTS) {
      expect(visible).not.toContain(part);
      expect(history).not.toContain(part);
    }
    // The check can fail: payloads are decoded (the workflow's input carries the case id).
    expect(history).toContain(`"caseId":"${caseId}"`);
  });
});

/** Every string in a value, with binary payloads decoded as UTF-8 (history payloads are JSON bytes). */
function textOf(value: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return out.join('\n');
}
