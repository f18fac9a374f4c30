/**
 * Group commit: callers that write (or read) at the same moment share one statement. While a write is in flight,
 * new items queue; when it finishes, everything queued goes in the next one. Each caller's promise settles
 * when the statement holding its items has committed (or failed), so nothing is acknowledged early; it
 * resolves to what that statement returned (for all of its items: a caller picks out its own).
 *
 * (A dozen lines rather than a batching library: DataLoader batches per tick and caches by key, neither
 * of which fits writes that arrive spread out over time.)
 */
export function groupCommit<T, R = void>(write: (items: T[]) => Promise<R>): (items: T[]) => Promise<R | undefined> {
  let queue: Array<{ items: T[]; settle: (result: { ok: true; value: R } | { ok: false; err: unknown }) => void }> = [];
  let writing = false;
  async function drain(): Promise<void> {
    writing = true;
    while (queue.length) {
      const batch = queue;
      queue = [];
      try {
        const value = await write(batch.flatMap((b) => b.items));
        for (const b of batch) b.settle({ ok: true, value });
      } catch (err) {
        for (const b of batch) b.settle({ ok: false, err: err ?? new Error('group write failed') });
      }
    }
    writing = false;
  }
  return (items) =>
    items.length === 0
      ? Promise.resolve(undefined)
      : new Promise<R>((resolve, reject) => {
          queue.push({ items, settle: (r) => (r.ok ? resolve(r.value) : reject(r.err)) });
          if (!writing) void drain();
        });
}
