/** Data the load and fault benches share: an upper committee with its cells and members, and users with tokens. */
import { newApiToken } from '../api/auth/passwords.js';
import type { Pool } from '../infra/db/pool.js';
import { insertPerson } from '../infra/db/queries/cases.js';
import { insertApiToken, insertUser, replaceRoles, type RoleGrant } from '../infra/db/queries/users.js';

/** An upper committee (symbol ĐUKKT, place Hải Phòng) and `cells` grassroots cells, each with three official members. */
export async function seedTree(pool: Pool, o: { upperName: string; cellName: string; cells: number }): Promise<{ upper: string; cells: Array<{ id: string; members: string[] }> }> {
  const insert = async (sql: string, params: unknown[]) => (await pool.query<{ id: string }>(sql, params)).rows[0]!.id;
  const upper = await insert(`INSERT INTO organizations (name, kind, symbol, place, path) VALUES ($1, 'upper-committee', 'ĐUKKT', 'Hải Phòng', '{}') RETURNING id`, [o.upperName]);
  await pool.query('UPDATE organizations SET path = ARRAY[id] WHERE id = $1', [upper]);
  const cells: Array<{ id: string; members: string[] }> = [];
  for (let i = 0; i < o.cells; i++) {
    const id = await insert(`INSERT INTO organizations (name, kind, parent_id, official_members, path) VALUES ($1, 'grassroots-cell', $2, 9, '{}') RETURNING id`, [`${o.cellName} ${i + 1}`, upper]);
    await pool.query('UPDATE organizations SET path = ARRAY[$2::uuid, id] WHERE id = $1', [id, upper]);
    const members: string[] = [];
    for (let m = 0; m < 3; m++) {
      const personId = await insertPerson(pool, { fullName: `Đảng viên ${i}-${m}`, dateOfBirth: '1980-01-01', organizationId: id });
      await pool.query(`UPDATE people SET member_status = 'full', admitted_on = '2010-05-19' WHERE id = $1`, [personId]);
      members.push(personId);
    }
    cells.push({ id, members });
  }
  return { upper, cells };
}

/** A user with these roles (and an email when `emailDomain` is given) and an API token. */
export async function benchUser(pool: Pool, username: string, roles: RoleGrant[], emailDomain?: string): Promise<{ id: string; token: string }> {
  const id = await insertUser(pool, { username, displayName: username, email: emailDomain ? `${username}@${emailDomain}` : null, passwordHash: 'x' });
  await replaceRoles(pool, id, roles);
  const { token, tokenHash } = newApiToken();
  await insertApiToken(pool, { userId: id, name: 'bench', tokenHash });
  return { id, token };
}
