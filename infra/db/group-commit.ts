/**
 * Group commit: callers that write at the same moment share one statement. While a write is in flight,
 * new items queue; when it finishes, everything queued goes in the next one. Each caller's promise settles
 * when the statement holding its items has committed (or failed), so nothing is acknowledged early.
 *
 * (A dozen lines rather than a batching library: DataLoader batches per tick and caches by key, neither
 * of which fits writes that arrive spread out over time.)
 */
export function groupCommit<T>(write: (items: T[]) => Promise<void>): (items: T[]) => Promise<void> {
  let queue: Array<{ items: T[]; settle: (err?: unknown) => void }> = [];
  let writing = false;
  async function drain(): Promise<void> {
    writing = true;
    while (queue.length) {
      const batch = queue;
      queue = [];
      try {
        await write(batch.flatMap((b) => b.items));
        for (const b of batch) b.settle();
      } catch (err) {
        for (const b of batch) b.settle(err ?? new Error('group write failed'));
      }
    }
    writing = false;
  }
  return (items) =>
    items.length === 0
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          queue.push({ items, settle: (err) => (err === undefined ? resolve() : reject(err)) });
          if (!writing) void drain();
        });
}
