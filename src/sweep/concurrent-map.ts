type Settled<R> = { id: number; ok: true; value: R } | { id: number; ok: false; error: unknown };

/**
 * Runs `task` over `items` with at most `limit` at once and yields each result as it settles
 * (not in input order). Items are pulled lazily, so a paginated source is read only as fast as
 * its items are worked off. A rejected task rejects the iteration when its turn comes.
 */
export async function* concurrentMap<T, R>(items: AsyncIterable<T> | Iterable<T>, limit: number, task: (item: T) => Promise<R>): AsyncIterable<R> {
  // Settled outcomes instead of rejections: a task failing while the next item is awaited
  // must not count as an unhandled rejection.
  const inFlight = new Map<number, Promise<Settled<R>>>();
  let nextId = 0;
  for await (const item of items) {
    const id = nextId++;
    inFlight.set(
      id,
      task(item).then(
        (value): Settled<R> => ({ id, ok: true, value }),
        (error: unknown): Settled<R> => ({ id, ok: false, error }),
      ),
    );
    if (inFlight.size >= limit) yield await settleOne(inFlight);
  }
  while (inFlight.size) yield await settleOne(inFlight);
}

async function settleOne<R>(inFlight: Map<number, Promise<Settled<R>>>): Promise<R> {
  const settled = await Promise.race(inFlight.values());
  inFlight.delete(settled.id);
  if (!settled.ok) throw settled.error;
  return settled.value;
}
