import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, parsePayloadKeys } from '../../infra/payload-codec.js';
import { insertPerson } from '../../infra/db/queries/cases.js';
import { createTree } from '../helpers/db.js';
import { caller, startTestStack, type TestStack } from '../helpers/stack.js';

const MARKER = 'Zyxwv Mật Mã';
const REASON = 'Chuyển công tác về Qwerty Hà Nam';

describe('payload encryption', () => {
  const key = { id: 'test-2026', key: randomBytes(32) };
  let stack: TestStack;
  let caseId: string;

  beforeAll(async () => {
    stack = await startTestStack({ payloadKeys: { current: key } });
    const api = caller(stack.baseUrl, stack.admin.token);
    const tree = await createTree(stack.db.pool);
    const opened = await api('POST', '/api/v1/cases', { type: 'admission', organizationId: tree.gcell, person: { fullName: MARKER, dateOfBirth: '1996-06-06' } });
    expect(opened.status).toBe(201);
    caseId = opened.body.caseId;
    const helper = await insertPerson(stack.db.pool, { fullName: `${MARKER} Helper`, dateOfBirth: '1970-01-01', organizationId: tree.gcell });
    expect((await api('POST', `/api/v1/cases/${caseId}/steps/source`, { helperPersonId: helper })).status).toBe(200);
    // Free text goes into the workflow (an update's argument): the reason for a hold.
    expect((await api('POST', `/api/v1/cases/${caseId}/hold`, { reason: REASON })).status).toBe(200);
    expect((await api('GET', `/api/v1/cases/${caseId}/status`)).body.onHold.reason).toBe(REASON);
  });
  afterAll(() => stack?.stop());

  it('the raw history on the Temporal server holds only sealed payloads, and no name or free text in the clear', async () => {
    const workflowId = `admission:${caseId}`;
    const raw = await stack.client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
    const payloads: Array<{ metadata?: Record<string, Uint8Array>; data?: Uint8Array }> = [];
    // Search attributes stay plain by design (the server indexes them): ids, types and steps only, checked
    // for personal data in personal-data.test.ts; so do the SDK's own patch markers (a patch id such as
    // "step-documents"). Every other payload must be sealed.
    const paths: string[] = [];
    const walk = (o: unknown, at = ''): void => {
      if (!o || typeof o !== 'object') return;
      if (o instanceof Uint8Array) return;
      const rec = o as Record<string, unknown>;
      if ('metadata' in rec && 'data' in rec && rec.data instanceof Uint8Array) {
        payloads.push(rec as (typeof payloads)[number]);
        paths.push(`${at} ${new TextDecoder().decode((rec as { metadata?: Record<string, Uint8Array> }).metadata?.encoding)}`);
      }
      for (const [k, v] of Object.entries(rec)) if (k !== 'searchAttributes' && k !== 'patch-data') walk(v, `${at}.${k}`);
    };
    walk(raw.history);
    expect(payloads.length).toBeGreaterThan(10);
    expect(paths.filter((p) => !p.endsWith(ENCRYPTED_ENCODING))).toEqual([]);
    const bytes = Buffer.concat(payloads.map((p) => Buffer.from(p.data!)));
    for (const plain of [MARKER, 'Zyxwv', REASON, 'Qwerty', 'source', caseId]) expect(bytes.includes(Buffer.from(plain))).toBe(false);
    // …while the client with the key reads the same history in the clear.
    const decoded = JSON.stringify(await stack.client.workflow.getHandle(workflowId).fetchHistory());
    expect(decoded.length).toBeGreaterThan(1000);
    console.log(`payload encryption: payloads=${payloads.length} sealed=${payloads.length} plain-text hits=0`);
  });

  it('a client without the key cannot read what the workflow answers', async () => {
    const plain = new Client({ connection: stack.client.connection });
    await expect(plain.workflow.getHandle(`admission:${caseId}`).query('caseStatus')).rejects.toThrow();
  });
});

describe('AES-GCM payload codec', () => {
  const k1 = { id: 'k1', key: randomBytes(32) };
  const k2 = { id: 'k2', key: randomBytes(32) };
  const payload = defaultPayloadConverter.toPayload({ reason: REASON });

  it('seals and opens a payload; a tampered one fails', async () => {
    const codec = new AesGcmPayloadCodec({ current: k1 });
    const [sealed] = await codec.encode([payload]);
    expect(Buffer.from(sealed!.data!).includes(Buffer.from('Qwerty'))).toBe(false);
    const [opened] = await codec.decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual({ reason: REASON });
    const tampered = { ...sealed!, data: Buffer.from(sealed!.data!).map((b, i) => (i === 20 ? b ^ 1 : b)) };
    await expect(codec.decode([tampered])).rejects.toThrow();
  });

  it('passes plain payloads through (histories from before encryption), opens old keys, names a missing one', async () => {
    const rotated = new AesGcmPayloadCodec({ current: k2, previous: [k1] });
    expect(await rotated.decode([payload])).toEqual([payload]);
    const [old] = await new AesGcmPayloadCodec({ current: k1 }).encode([payload]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toEqual({ reason: REASON });
    await expect(new AesGcmPayloadCodec({ current: k2 }).decode([old!])).rejects.toThrow(/key id "k1"/);
    expect(() => new AesGcmPayloadCodec({ current: { id: 'short', key: randomBytes(16) } })).toThrow(/32 bytes/);
  });

  it('reads keys from the configuration', () => {
    const b64 = k1.key.toString('base64');
    expect(parsePayloadKeys(undefined, 'k1', undefined)).toBeUndefined();
    const keys = parsePayloadKeys(b64, 'k3', `k1:${b64}`)!;
    expect(keys.current.id).toBe('k3');
    expect(keys.previous![0]!.key.equals(k1.key)).toBe(true);
  });
});
