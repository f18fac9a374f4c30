/**
 * People (candidates and members) and enterprises. People are personal data: read and written only inside
 * the caller's organization subtree; every change is audited by id, never with the values.
 */
import type { Pool } from '../infra/db/pool.js';
import { withTransaction } from '../infra/db/pool.js';
import { appendAudit } from '../infra/db/queries/audit.js';
import { getOrganization } from '../infra/db/queries/organizations.js';
import { ENTERPRISE_COLUMNS, getRecord, insertRecord, listEnterprises, listPeople, PERSON_COLUMNS, updateRecord } from '../infra/db/queries/records.js';
import { canManage, canRead, readScope, type Principal } from './auth/policy.js';
import { HttpError, notFound } from './http-errors.js';

export type PersonFields = { [K in keyof typeof PERSON_COLUMNS]?: unknown };
export type EnterpriseFields = { [K in keyof typeof ENTERPRISE_COLUMNS]?: unknown };
type Row = Record<string, unknown> & { id: string };

export interface RecordService {
  listPeople(p: Principal, f: { organizationId?: string | undefined; memberStatus?: string | undefined; limit: number; offset: number }): Promise<Row[]>;
  getPerson(p: Principal, id: string): Promise<Row>;
  createPerson(p: Principal, f: PersonFields & { organizationId: string }): Promise<Row>;
  updatePerson(p: Principal, id: string, f: PersonFields): Promise<Row>;
  listEnterprises(f: { zone?: string | undefined; limit: number; offset: number }): Promise<Row[]>;
  getEnterprise(id: string): Promise<Row>;
  createEnterprise(p: Principal, f: EnterpriseFields): Promise<Row>;
  updateEnterprise(p: Principal, id: string, f: EnterpriseFields): Promise<Row>;
}

const unknownRef = (field: string, what: string) =>
  new HttpError(422, 'unknown_reference', `${field}: does not name an existing ${what}`, [{ field, rule: 'exists', message: `does not name an existing ${what}` }]);

export function createRecordService(deps: { pool: Pool }): RecordService {
  const { pool } = deps;

  /** The organization a person belongs to, checked for the caller: 422 when unknown or out of scope. */
  async function managedOrg(p: Principal, organizationId: string) {
    const org = await getOrganization(pool, organizationId);
    if (!org || !canRead(p, org.path)) throw unknownRef('organizationId', 'organization');
    if (!canManage(p, org.path)) throw new HttpError(403, 'forbidden', 'Only the organizing staff of this organization can change its people');
    if (org.status !== 'active') {
      throw new HttpError(422, 'rule_violated', 'organizationId: names a dissolved organization', [
        { field: 'organizationId', rule: 'active', message: 'names a dissolved organization' },
      ]);
    }
    return org;
  }

  async function checkEnterprise(id: unknown) {
    if (typeof id === 'string' && !(await getRecord(pool, 'enterprises', ENTERPRISE_COLUMNS, id))) throw unknownRef('workplaceEnterpriseId', 'enterprise');
  }

  async function visiblePerson(p: Principal, id: string): Promise<Row> {
    const person = await getRecord<Row>(pool, 'people', PERSON_COLUMNS, id);
    const org = typeof person?.organizationId === 'string' ? await getOrganization(pool, person.organizationId) : undefined;
    const visible = person && (org ? canRead(p, org.path) : readScope(p) === 'all');
    if (!visible) throw notFound('The person');
    return person;
  }

  const audit = (p: Principal, action: string, entityType: string, id: string, organizationId: string | null, fields: string[]) =>
    ({ actorUserId: p.userId, actorIp: p.ip, action, entityType, entityId: id, organizationId, details: { fields } }) as const;

  return {
    listPeople: (p, f) => listPeople<Row>(pool, { ...f, scope: readScope(p) }),
    getPerson: visiblePerson,
    async createPerson(p, f) {
      await managedOrg(p, f.organizationId);
      await checkEnterprise(f.workplaceEnterpriseId);
      const id = await withTransaction(pool, async (db) => {
        const newId = await insertRecord(db, 'people', PERSON_COLUMNS, f);
        await appendAudit(db, audit(p, 'person.created', 'person', newId, f.organizationId, Object.keys(f)));
        return newId;
      });
      return visiblePerson(p, id);
    },
    async updatePerson(p, id, f) {
      const person = await visiblePerson(p, id);
      const currentOrg = typeof person.organizationId === 'string' ? person.organizationId : null;
      if (currentOrg) await managedOrg(p, currentOrg);
      else if (readScope(p) !== 'all') throw notFound('The person');
      if (typeof f.organizationId === 'string' && f.organizationId !== currentOrg) await managedOrg(p, f.organizationId);
      await checkEnterprise(f.workplaceEnterpriseId);
      await withTransaction(pool, async (db) => {
        await updateRecord(db, 'people', PERSON_COLUMNS, id, f);
        await appendAudit(db, audit(p, 'person.updated', 'person', id, (f.organizationId as string | undefined) ?? currentOrg, Object.keys(f)));
      });
      return visiblePerson(p, id);
    },

    listEnterprises: (f) => listEnterprises<Row>(pool, f),
    async getEnterprise(id) {
      const e = await getRecord<Row>(pool, 'enterprises', ENTERPRISE_COLUMNS, id);
      if (!e) throw notFound('The enterprise');
      return e;
    },
    async createEnterprise(p, f) {
      const id = await withTransaction(pool, async (db) => {
        const newId = await insertRecord(db, 'enterprises', ENTERPRISE_COLUMNS, f);
        await appendAudit(db, audit(p, 'enterprise.created', 'enterprise', newId, null, Object.keys(f)));
        return newId;
      });
      return (await getRecord<Row>(pool, 'enterprises', ENTERPRISE_COLUMNS, id))!;
    },
    async updateEnterprise(p, id, f) {
      const changed = await withTransaction(pool, async (db) => {
        if (!(await updateRecord(db, 'enterprises', ENTERPRISE_COLUMNS, id, f))) return false;
        await appendAudit(db, audit(p, 'enterprise.updated', 'enterprise', id, null, Object.keys(f)));
        return true;
      });
      if (!changed) throw notFound('The enterprise');
      return (await getRecord<Row>(pool, 'enterprises', ENTERPRISE_COLUMNS, id))!;
    },
  };
}
