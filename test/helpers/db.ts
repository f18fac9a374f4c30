/** A fresh database per test file, built from the real migrations; dropped after the file's tests. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { hashPassword, newApiToken } from '../../api/auth/passwords.js';
import { prepareDatabase } from '../../infra/db/migrate.js';
import { createPool, type Pool } from '../../infra/db/pool.js';
import { insertOrganization as insertOrg, ORGANIZATION_DEFAULTS, type OrganizationFields } from '../../infra/db/queries/organizations.js';
import { insertApiToken, insertUser, replaceRoles, type RoleGrant } from '../../infra/db/queries/users.js';

export interface TestDatabase {
  readonly url: string;
  readonly pool: Pool;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await prepareDatabase(url.toString());
  const pool = createPool(url.toString(), 5);
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function addOrganization(
  pool: Pool,
  f: Pick<OrganizationFields, 'name' | 'kind'> & Partial<OrganizationFields>,
): Promise<string> {
  const parent = f.parentId ? (await pool.query<{ path: string[] }>('SELECT path FROM organizations WHERE id = $1', [f.parentId])).rows[0]!.path : [];
  return (await insertOrg(pool, { ...ORGANIZATION_DEFAULTS, ...f }, parent)).id;
}

/**
 * A small tree:  upper ─┬─ gc (grassroots committee) ─┬─ cell
 *                       │                             └─ partial ── cellP
 *                       ├─ gcell (grassroots cell)
 *                       └─ gcell2 (another grassroots cell)
 */
export async function createTree(pool: Pool, tag = randomBytes(3).toString('hex')) {
  const upper = await addOrganization(pool, { name: `Đảng ủy Khu kinh tế ${tag}`, kind: 'upper-committee', symbol: `ĐUKKT-${tag}`, place: 'Hải Phòng' });
  const gc = await addOrganization(pool, { name: `Đảng bộ Công ty A ${tag}`, kind: 'grassroots-committee', parentId: upper });
  const cell = await addOrganization(pool, { name: `Chi bộ Phân xưởng 1 ${tag}`, kind: 'cell', parentId: gc, officialMembers: 12 });
  const partial = await addOrganization(pool, { name: `Đảng ủy bộ phận ${tag}`, kind: 'partial-committee', parentId: gc });
  const cellP = await addOrganization(pool, { name: `Chi bộ Phân xưởng 2 ${tag}`, kind: 'cell', parentId: partial });
  const gcell = await addOrganization(pool, { name: `Chi bộ Công ty B ${tag}`, kind: 'grassroots-cell', parentId: upper, officialMembers: 7 });
  const gcell2 = await addOrganization(pool, { name: `Chi bộ Công ty C ${tag}`, kind: 'grassroots-cell', parentId: upper });
  return { upper, gc, cell, partial, cellP, gcell, gcell2 };
}

/** An organization to hang cases on: a grassroots cell under its own upper committee. */
export async function insertOrganization(pool: Pool, name = 'Chi bộ Công ty TNHH Thử Nghiệm'): Promise<string> {
  const upper = await addOrganization(pool, { name: `Đảng ủy cấp trên của ${name}`, kind: 'upper-committee', place: 'Hải Phòng' });
  return addOrganization(pool, { name, kind: 'grassroots-cell', parentId: upper });
}

export const TEST_PASSWORD = 'mật-khẩu-đủ-dài-2026';
let passwordHash: Promise<string> | undefined;

/** A user with these roles and an API token; the password is TEST_PASSWORD. */
export async function createUser(pool: Pool, username: string, roles: RoleGrant[]): Promise<{ id: string; token: string; username: string }> {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  const id = await insertUser(pool, { username, displayName: username, email: null, passwordHash: await passwordHash });
  await replaceRoles(pool, id, roles);
  const { token, tokenHash } = newApiToken();
  await insertApiToken(pool, { userId: id, name: 'test', tokenHash });
  return { id, token, username };
}

export const admin = (): RoleGrant => ({ role: 'admin', organizationId: null, body: null });
export const organizer = (organizationId: string): RoleGrant => ({ role: 'organizer', organizationId, body: null });
export const viewer = (organizationId: string): RoleGrant => ({ role: 'viewer', organizationId, body: null });
export const approver = (organizationId: string, body: RoleGrant['body']): RoleGrant => ({ role: 'approver', organizationId, body });
