import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, withTransaction, type Pool } from '../../infra/db/pool.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * PostgreSQL going away under a checked-out client (a restart, a failover) must fail that work, not end the
 * process: pg reports it as an 'error' event on the client, and an unheard one is an uncaught exception.
 */
describe('pool when the server drops a connection', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url, 2);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('a transaction whose connection is killed between two queries fails; the pool goes on with a new connection', async () => {
    const work = withTransaction(pool, async (c) => {
      const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      await new Promise((r) => setTimeout(r, 300)); // the termination arrives while no query runs
      await c.query('SELECT 1');
    });
    await expect(work).rejects.toThrow();
    for (let i = 0; i < 4; i++) expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
  });
});
