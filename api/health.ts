/** Reachability of the two backends; `GET /healthz` answers 200 only when both answer. */
import type { Client } from '@temporalio/client';
import type { Pool } from '../infra/db/pool.js';

export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly checks: Record<'postgres' | 'temporal', { readonly ok: boolean; readonly error?: string }>;
}

export type HealthCheck = () => Promise<HealthReport>;

const TIMEOUT_MS = 2_000;

async function probe(fn: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      }),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export function createHealthCheck(deps: { pool: Pool; client: Client }): HealthCheck {
  return async () => {
    const [postgres, temporal] = await Promise.all([
      probe(() => deps.pool.query('SELECT 1')),
      probe(() => deps.client.workflowService.getSystemInfo({})),
    ]);
    return { status: postgres.ok && temporal.ok ? 'ok' : 'degraded', checks: { postgres, temporal } };
  };
}
