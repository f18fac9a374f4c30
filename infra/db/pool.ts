import pg from 'pg';

// DATE columns come back as 'YYYY-MM-DD' strings: a calendar date has no time zone, and turning it into a JS
// Date at local midnight is how off-by-one-day bugs start.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
// BIGINT counts fit in a JS number for every table we have.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export type Queryable = Pick<pg.Pool, 'query'>;

export function createPool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, application_name: 'admissions-engine' });
  // An idle client losing its connection (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  // Nor a client that loses it while checked out between two queries (a transaction rendering a paper, a
  // lock held across a Temporal call): pg emits that as an 'error' event on the client, which unheard ends
  // the process. The next query on it fails instead, and the client is dropped when released with the error.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Runs `fn` in a transaction on one client: COMMIT when it resolves, ROLLBACK when it throws. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A client whose connection broke cannot even roll back: it is destroyed on release, not reused.
    await client.query('ROLLBACK').catch(() => (broken = err as Error));
    throw err;
  } finally {
    client.release(broken);
  }
}
