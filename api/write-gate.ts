/**
 * The write gate: at most `limit` operations that drive a workflow (a start, an update) run at once in
 * this API process; the others wait their turn, first come first served.
 *
 * Why: a sign-off costs far more than a read — the API's checks, a Temporal update, the workflow task, the
 * worker's activities (papers, the read model), each with Postgres writes — and it all lands on the same
 * few cores as the reads. Fifty approvers signing at once would otherwise keep every core busy, and the
 * staff reading the pipeline would wait behind them (reads' p99 went from tens of milliseconds to seconds in
 * `npm run bench:load`). With the gate a burst of sign-offs queues in the API instead: each still goes
 * through, a little later, and the reads keep their cores. Set by API_WRITE_CONCURRENCY per process.
 */
import pLimit from 'p-limit';

export { DEFAULT_WRITE_CONCURRENCY } from '../infra/config.js';

export interface WriteLoad {
  /** Operations running now (at most the limit). */
  readonly inProgress: number;
  /** Operations waiting for their turn. */
  readonly waiting: number;
}

/**
 * `service` with each method named in `writes` run through one gate of `limit`. The methods must not call
 * each other through the returned object (a gated call waiting on another would hold its place).
 */
export function gateWrites<S extends object, K extends keyof S>(
  service: S,
  writes: readonly K[],
  limit: number,
): S & { writeLoad(): WriteLoad } {
  const gate = pLimit(limit);
  const gated: Partial<S> = {};
  for (const name of writes) {
    const method = service[name];
    if (typeof method !== 'function') throw new TypeError(`gateWrites: ${String(name)} is not a method`);
    gated[name] = ((...args: unknown[]) => gate(() => (method as (...a: unknown[]) => Promise<unknown>).apply(service, args))) as S[K];
  }
  return { ...service, ...gated, writeLoad: () => ({ inProgress: gate.activeCount, waiting: gate.pendingCount }) };
}
