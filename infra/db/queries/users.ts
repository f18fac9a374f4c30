/** Users, their roles and API tokens. */
import { LRUCache } from 'lru-cache';
import type { Body } from '../../../workflows/org/tree.js';
import type { Pool, Queryable } from '../pool.js';

export const ROLES = ['admin', 'organizer', 'approver', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface RoleGrant {
  readonly role: Role;
  readonly organizationId: string | null;
  readonly body: Body | null;
}

export interface UserRow {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly email: string | null;
  readonly active: boolean;
  readonly createdAt: string;
  readonly lastLoginAt: string | null;
  readonly roles: RoleGrant[];
}

const USER_COLUMNS = `u.id, u.username, u.display_name AS "displayName", u.email, u.active,
  to_json(u.created_at) #>> '{}' AS "createdAt", to_json(u.last_login_at) #>> '{}' AS "lastLoginAt",
  coalesce((SELECT json_agg(json_build_object('role', r.role, 'organizationId', r.organization_id, 'body', r.body)
                            ORDER BY r.role, r.organization_id)
              FROM user_roles r WHERE r.user_id = u.id), '[]') AS roles`;

export async function getUser(db: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`, [id]);
  return rows[0];
}

export async function listUsers(db: Queryable): Promise<UserRow[]> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u ORDER BY u.username`);
  return rows;
}

/** For login only: the hash never leaves the auth module. */
export async function findCredentials(db: Queryable, username: string): Promise<{ id: string; passwordHash: string; active: boolean } | undefined> {
  const { rows } = await db.query<{ id: string; passwordHash: string; active: boolean }>(
    'SELECT id, password_hash AS "passwordHash", active FROM users WHERE username = $1',
    [username],
  );
  return rows[0];
}

export async function insertUser(
  db: Queryable,
  u: { username: string; displayName: string; email: string | null; passwordHash: string },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO users (username, display_name, email, password_hash) VALUES ($1, $2, $3, $4) RETURNING id',
    [u.username, u.displayName, u.email, u.passwordHash],
  );
  return rows[0]!.id;
}

export async function updateUser(
  db: Queryable,
  id: string,
  u: { displayName?: string | undefined; email?: string | null | undefined; active?: boolean | undefined; passwordHash?: string | undefined },
): Promise<void> {
  await db.query(
    `UPDATE users SET display_name = coalesce($2, display_name), email = CASE WHEN $3::boolean THEN $4 ELSE email END,
                      active = coalesce($5, active), password_hash = coalesce($6, password_hash)
      WHERE id = $1`,
    [id, u.displayName ?? null, u.email !== undefined, u.email ?? null, u.active ?? null, u.passwordHash ?? null],
  );
  authChanged();
}

export async function replaceRoles(db: Queryable, userId: string, roles: readonly RoleGrant[]): Promise<void> {
  authChanged();
  await db.query('DELETE FROM user_roles WHERE user_id = $1', [userId]);
  await db.query(
    `INSERT INTO user_roles (user_id, role, organization_id, body)
     SELECT $1, r.role, r."organizationId", r.body FROM jsonb_to_recordset($2::jsonb) AS r(role text, "organizationId" uuid, body text)`,
    [userId, JSON.stringify(roles)],
  );
}

export async function touchLogin(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE users SET last_login_at = now() WHERE id = $1', [id]);
}

export async function insertApiToken(db: Queryable, t: { userId: string; name: string; tokenHash: string }): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, $2, $3) RETURNING id',
    [t.userId, t.name, t.tokenHash],
  );
  return rows[0]!.id;
}

/** The active user holding this unrevoked token, in one round trip (every API request asks). */
export async function findUserByTokenHash(db: Queryable, tokenHash: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>({
    name: 'find-user-by-token',
    // last_used_at to the minute: a read-only request then writes (and waits for a WAL flush) once a minute.
    text: `WITH t AS (
       SELECT t.id, t.user_id, t.last_used_at FROM api_tokens t WHERE t.token_hash = $1 AND t.revoked_at IS NULL
     ), touched AS (
       UPDATE api_tokens a SET last_used_at = now() FROM t
        WHERE a.id = t.id AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')
     )
     SELECT ${USER_COLUMNS} FROM users u JOIN t ON t.user_id = u.id WHERE u.active`,
    values: [tokenHash],
  });
  return rows[0];
}

export async function listApiTokens(db: Queryable, userId: string) {
  const { rows } = await db.query<{ id: string; name: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }>(
    `SELECT id, name, to_json(created_at) #>> '{}' AS "createdAt", to_json(last_used_at) #>> '{}' AS "lastUsedAt",
            to_json(revoked_at) #>> '{}' AS "revokedAt"
       FROM api_tokens WHERE user_id = $1 ORDER BY created_at`,
    [userId],
  );
  return rows;
}

export async function revokeApiToken(db: Queryable, userId: string, id: string): Promise<boolean> {
  authChanged();
  const { rowCount } = await db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [
    id,
    userId,
  ]);
  return (rowCount ?? 0) > 0;
}

/**
 * Who a request's API token or session belongs to, read on every request: kept AUTH_CACHE_MS per pool
 * (the API's most frequent query, a round trip saved per request). Any change to users, roles or tokens
 * made through this module clears the cache of this process and keeps it off for AUTH_CACHE_MS, so a change
 * (and its commit) applies at once here; an API process that did not make it applies it within
 * AUTH_CACHE_MS. Only users found are kept; the lookup that reads the database still touches
 * `last_used_at` (to the minute).
 */
export const AUTH_CACHE_MS = 2000;
const principalCaches = new WeakMap<Pool, LRUCache<string, UserRow>>();
let authGeneration = 0;
let uncachedUntil = 0;

function authChanged(): void {
  authGeneration += 1;
  uncachedUntil = Date.now() + AUTH_CACHE_MS;
}

/**
 * For a caller whose change ran in a transaction: once it committed, the cache starts afresh (a read that
 * slipped in before the commit is not kept however long the transaction took).
 */
export const forgetPrincipals = authChanged;

async function cachedPrincipal(pool: Pool, key: string, load: () => Promise<UserRow | undefined>): Promise<UserRow | undefined> {
  let cache = principalCaches.get(pool);
  if (!cache) principalCaches.set(pool, (cache = new LRUCache<string, UserRow>({ max: 10_000, ttl: AUTH_CACHE_MS })));
  const now = Date.now();
  if (now >= uncachedUntil) {
    const hit = cache.get(key);
    if (hit) return hit;
  } else cache.clear();
  const generation = authGeneration;
  const user = await load();
  // A change made while this read ran (or not yet committed when it began) may not be in it: keep only a
  // read that began outside the quiet period and that no change overtook.
  if (user && generation === authGeneration && now >= uncachedUntil) cache.set(key, user);
  return user;
}

/** The active user holding this unrevoked API token (see AUTH_CACHE_MS). */
export const principalByTokenHash = (pool: Pool, tokenHash: string) => cachedPrincipal(pool, `token:${tokenHash}`, () => findUserByTokenHash(pool, tokenHash));

/** A logged-in session's user (see AUTH_CACHE_MS). */
export const principalByUserId = (pool: Pool, userId: string) => cachedPrincipal(pool, `user:${userId}`, () => getUser(pool, userId));
