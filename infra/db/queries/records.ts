/**
 * People and enterprises: plain records whose columns map one to one to API fields. The maps below are the
 * only place the two spellings meet.
 */
import type { Queryable } from '../pool.js';

export const PERSON_COLUMNS = {
  fullName: 'full_name',
  dateOfBirth: 'date_of_birth',
  organizationId: 'organization_id',
  sex: 'sex',
  birthName: 'birth_name',
  aliases: 'aliases',
  placeOfBirth: 'place_of_birth',
  hometown: 'hometown',
  permanentResidence: 'permanent_residence',
  temporaryResidence: 'temporary_residence',
  ethnicity: 'ethnicity',
  religion: 'religion',
  generalEducation: 'general_education',
  professionalQualification: 'professional_qualification',
  politicalTheory: 'political_theory',
  foreignLanguage: 'foreign_language',
  occupation: 'occupation',
  workplaceEnterpriseId: 'workplace_enterprise_id',
  youthUnionJoinedOn: 'youth_union_joined_on',
  tradeUnionJoinedOn: 'trade_union_joined_on',
  memberStatus: 'member_status',
  admittedOn: 'admitted_on',
  fullMemberOn: 'full_member_on',
  phone: 'phone',
  email: 'email',
} as const;

export const ENTERPRISE_COLUMNS = {
  name: 'name',
  zone: 'zone',
  investorCountry: 'investor_country',
  workforce: 'workforce',
  address: 'address',
  taxCode: 'tax_code',
  contacts: 'contacts',
} as const;

type ColumnMap = Readonly<Record<string, string>>;

const select = (map: ColumnMap) =>
  ['id', ...Object.entries(map).map(([field, col]) => `${col} AS "${field}"`), `to_json(updated_at) #>> '{}' AS "updatedAt"`].join(', ');

export async function insertRecord(db: Queryable, table: 'people' | 'enterprises', map: ColumnMap, values: Record<string, unknown>): Promise<string> {
  const fields = Object.keys(values).filter((f) => f in map);
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO ${table} (${fields.map((f) => map[f]).join(', ')}) VALUES (${fields.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
    fields.map((f) => encode(values[f])),
  );
  return rows[0]!.id;
}

export async function updateRecord(db: Queryable, table: 'people' | 'enterprises', map: ColumnMap, id: string, values: Record<string, unknown>): Promise<boolean> {
  const fields = Object.keys(values).filter((f) => f in map);
  const sets = fields.map((f, i) => `${map[f]} = $${i + 2}`);
  const { rowCount } = await db.query(`UPDATE ${table} SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1`, [
    id,
    ...fields.map((f) => encode(values[f])),
  ]);
  return (rowCount ?? 0) > 0;
}

export async function getRecord<T>(db: Queryable, table: 'people' | 'enterprises', map: ColumnMap, id: string): Promise<T | undefined> {
  const { rows } = await db.query<T & object>(`SELECT ${select(map)} FROM ${table} WHERE id = $1`, [id]);
  return rows[0];
}

/** People in the caller's scope (organizations whose path meets `scope`), keyset-paged by name then id. */
export async function listPeople<T>(
  db: Queryable,
  f: { scope: readonly string[] | 'all'; organizationId?: string | undefined; memberStatus?: string | undefined; limit: number; offset: number },
): Promise<T[]> {
  const { rows } = await db.query<T & object>(
    `SELECT ${select(PERSON_COLUMNS)} FROM people
      WHERE ($1::boolean OR organization_id IN (SELECT id FROM organizations WHERE path && $2::uuid[]))
        AND ($3::uuid IS NULL OR organization_id = $3) AND ($4::text IS NULL OR member_status = $4)
      ORDER BY full_name, id LIMIT $5 OFFSET $6`,
    [f.scope === 'all', f.scope === 'all' ? [] : f.scope, f.organizationId ?? null, f.memberStatus ?? null, f.limit, f.offset],
  );
  return rows;
}

export async function listEnterprises<T>(db: Queryable, f: { zone?: string | undefined; limit: number; offset: number }): Promise<T[]> {
  const { rows } = await db.query<T & object>(
    `SELECT ${select(ENTERPRISE_COLUMNS)} FROM enterprises WHERE ($1::text IS NULL OR zone = $1) ORDER BY name, id LIMIT $2 OFFSET $3`,
    [f.zone ?? null, f.limit, f.offset],
  );
  return rows;
}

const encode = (v: unknown) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : v);
