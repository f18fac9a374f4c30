import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiToken, newApiToken } from '../../api/auth/passwords.js';
import type { Pool } from '../../infra/db/pool.js';
import {
  AUTH_CACHE_MS,
  insertApiToken,
  insertUser,
  principalByTokenHash,
  principalByUserId,
  replaceRoles,
  revokeApiToken,
  updateUser,
} from '../../infra/db/queries/users.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/** The principal read on every request: kept briefly, dropped at once by a change made in this process. */
describe('principal cache', () => {
  let db: TestDatabase;
  /** The pool the lookups use, counting the statements they send. */
  let counted: Pool;
  let statements = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    counted = new Proxy(db.pool, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver);
        return (...args: unknown[]) => {
          statements += 1;
          return (target.query as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    }) as Pool;
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function userWithToken(name: string) {
    const userId = await insertUser(db.pool, { username: name, displayName: name, email: null, passwordHash: 'x' });
    await replaceRoles(db.pool, userId, [{ role: 'admin', organizationId: null, body: null }]);
    const { token } = newApiToken();
    const tokenId = await insertApiToken(db.pool, { userId, name: 'cli', tokenHash: hashApiToken(token) });
    // Past the quiet period that the changes above started.
    await new Promise((r) => setTimeout(r, AUTH_CACHE_MS + 20));
    return { userId, tokenId, hash: hashApiToken(token) };
  }

  it('reads a token’s user once, then answers from memory', async () => {
    const { userId, hash } = await userWithToken('cache-a');
    statements = 0;
    const first = await principalByTokenHash(counted, hash);
    const again = await principalByTokenHash(counted, hash);
    expect(first).toMatchObject({ id: userId, active: true, roles: [{ role: 'admin' }] });
    expect(again).toEqual(first);
    expect(statements).toBe(1);
    await principalByUserId(counted, userId);
    await principalByUserId(counted, userId);
    expect(statements).toBe(2);
  });

  it('a revocation, a deactivation or new roles made here apply to the very next request', async () => {
    const a = await userWithToken('cache-b');
    expect(await principalByTokenHash(counted, a.hash)).toBeDefined();
    expect(await revokeApiToken(db.pool, a.userId, a.tokenId)).toBe(true);
    expect(await principalByTokenHash(counted, a.hash)).toBeUndefined();

    const b = await userWithToken('cache-c');
    expect((await principalByUserId(counted, b.userId))?.active).toBe(true);
    await updateUser(db.pool, b.userId, { active: false });
    expect((await principalByUserId(counted, b.userId))?.active).toBe(false);
    expect(await principalByTokenHash(counted, b.hash)).toBeUndefined();

    const c = await userWithToken('cache-d');
    expect((await principalByTokenHash(counted, c.hash))?.roles).toEqual([{ role: 'admin', organizationId: null, body: null }]);
    await replaceRoles(db.pool, c.userId, []);
    expect((await principalByTokenHash(counted, c.hash))?.roles).toEqual([]);
  });

  it('a change another process made applies here within AUTH_CACHE_MS', async () => {
    const { userId, tokenId, hash } = await userWithToken('cache-e');
    expect(await principalByTokenHash(counted, hash)).toBeDefined();
    // Another API process revokes it (straight SQL: nothing here hears of it).
    await db.pool.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [tokenId]);
    const revokedAt = Date.now();
    expect((await principalByTokenHash(counted, hash))?.id).toBe(userId);
    await new Promise((r) => setTimeout(r, AUTH_CACHE_MS + 20 - (Date.now() - revokedAt)));
    expect(await principalByTokenHash(counted, hash)).toBeUndefined();
  });
});
