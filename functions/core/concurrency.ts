/**
 * Runs `fn` over `items` with at most `limit` calls in flight, in item order of starting.
 * The first rejection rejects the whole run (remaining items are not started).
 * @param limit - at least 1
 */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
