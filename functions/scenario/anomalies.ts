/**
 * Reads the anomalies the pipeline stored (window closer, `anomalyKey` in functions/core/resources.ts)
 * for some partitions over a stretch of time: one listing per partition and UTC day, then only the
 * objects whose key time falls in the stretch are read.
 */
import type { ObjectStore } from '../adapters/object-store';
import { partitionPrefix } from '../core/resources';
import type { Anomaly } from '../core/types';
import type { Prediction } from '../core/early-warning';

const DAY = 86_400_000;

/** The object store operations needed (the anomaly bucket). */
export type AnomalyObjects = Pick<ObjectStore, 'list' | 'getJson'>;

/** Window start encoded in an anomaly key (`.../date=YYYY-MM-DD/HHMM-<id>.json`), or null. */
export function windowStartOfKey(key: string): number | null {
  const m = /\/date=(\d{4}-\d{2}-\d{2})\/(\d{2})(\d{2})-[^/]+\.json$/.exec(key);
  return m ? Date.parse(`${m[1]}T${m[2]}:${m[3]}:00Z`) : null;
}

/** Documents of one kind whose key time falls in `[start, end)`, per partition and UTC day. */
async function readStored<T>(store: AnomalyObjects, kind: 'anomalies' | 'predictions', partitions: readonly string[], span: { start: number; end: number }): Promise<T[]> {
  const out: T[] = [];
  for (const p of partitions) {
    for (let day = Math.floor(span.start / DAY) * DAY; day < span.end; day += DAY) {
      const prefix = `${partitionPrefix(kind, p)}date=${new Date(day).toISOString().slice(0, 10)}/`;
      for (const key of await store.list(prefix)) {
        const t = windowStartOfKey(key);
        if (t === null || t < span.start || t >= span.end) continue;
        const doc = await store.getJson<T>(key);
        if (doc) out.push(doc);
      }
    }
  }
  return out;
}

/**
 * Anomalies of `partitions` whose window starts in `[start, end)`, sorted by window start then partition.
 */
export async function readAnomalies(store: AnomalyObjects, partitions: readonly string[], span: { start: number; end: number }): Promise<Anomaly[]> {
  const out = await readStored<Anomaly>(store, 'anomalies', partitions, span);
  return out.sort((a, b) => a.windowStart - b.windowStart || (a.partition < b.partition ? -1 : a.partition > b.partition ? 1 : 0));
}

/**
 * Early warnings of `partitions` issued in `[start, end)` (the closer stores each prediction under
 * `predictions/`, rewritten with each change), oldest first.
 */
export async function readPredictions(store: AnomalyObjects, partitions: readonly string[], span: { start: number; end: number }): Promise<Array<Prediction & { change: string }>> {
  const out = await readStored<Prediction & { change: string }>(store, 'predictions', partitions, span);
  return out.sort((a, b) => a.issuedAt - b.issuedAt);
}
