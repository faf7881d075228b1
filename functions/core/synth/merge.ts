/**
 * Merging per-partition event streams (each sorted by timestamp) into one sorted stream, lazily:
 * e.g. `generateFromProfile` for every partition of a scenario, fed to `toSubscriptionPayloads`.
 */
import type { LogEvent } from '../types';

/**
 * K-way merge of sorted event iterables by timestamp; ties keep the order of `sources`. Lazy: holds
 * one pending event per source.
 * @param sources - iterables each sorted by timestamp
 */
export function* mergeByTimestamp(sources: ReadonlyArray<Iterable<LogEvent>>): Generator<LogEvent> {
  const its = sources.map((s) => s[Symbol.iterator]());
  const heads: Array<LogEvent | undefined> = its.map((it) => {
    const r = it.next();
    return r.done ? undefined : r.value;
  });
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h !== undefined && (best < 0 || h.timestamp < (heads[best] as LogEvent).timestamp)) best = i;
    }
    if (best < 0) return;
    yield heads[best] as LogEvent;
    const r = its[best].next();
    heads[best] = r.done ? undefined : r.value;
  }
}
