import type { ObjectStore } from './object-store';
import { labelKey, partitionPrefix } from '../core/resources';
import type { AlertLabel } from '../core/feedback';
import type { Anomaly } from '../core/types';

/** The window start and id an anomaly or label key names (`.../date=YYYY-MM-DD/HHMM-<id>.json`). */
export function parseAnomalyKey(key: string): { windowStart: number; id: string } | null {
  const m = /\/date=(\d{4}-\d{2}-\d{2})\/(\d{2})(\d{2})-([0-9a-f]+)\.json$/.exec(key);
  if (!m) return null;
  return { windowStart: Date.parse(`${m[1]}T${m[2]}:${m[3]}:00Z`), id: m[4] };
}

/**
 * Stored anomalies and the labels people gave them, both in the anomaly bucket: `anomalies/...`
 * written by the window closer, `labels/...` (same key suffix) written here. A label overwrites
 * itself, so relabelling is idempotent.
 */
export class LabelStore {
  constructor(private readonly store: ObjectStore) {}

  /** A stored anomaly of a partition by id, or null (lists the partition's anomaly keys). */
  async findAnomaly(partition: string, anomalyId: string): Promise<Anomaly | null> {
    const keys = await this.store.list(partitionPrefix('anomalies', partition));
    const key = keys.find((k) => k.endsWith(`-${anomalyId}.json`));
    return key ? this.store.getJson<Anomaly>(key) : null;
  }

  /** The label of one anomaly, or null. */
  async get(partition: string, windowStart: number, anomalyId: string): Promise<AlertLabel | null> {
    return this.store.getJson<AlertLabel>(labelKey(partition, windowStart, anomalyId));
  }

  /** Stores (or replaces) a label. */
  async put(label: AlertLabel): Promise<void> {
    await this.store.putJson(labelKey(label.partition, label.windowStart, label.anomalyId), label);
  }

  /** A partition's labels with window starts in [from, to) (default: all), oldest first. */
  async list(partition: string, from = -Infinity, to = Infinity): Promise<AlertLabel[]> {
    const keys = (await this.store.list(partitionPrefix('labels', partition))).filter((k) => {
      const parsed = parseAnomalyKey(k);
      return parsed !== null && parsed.windowStart >= from && parsed.windowStart < to;
    });
    const labels = await Promise.all(keys.map((k) => this.store.getJson<AlertLabel>(k)));
    return labels.filter((l): l is AlertLabel => l !== null).sort((a, b) => a.windowStart - b.windowStart);
  }

  /** Window start and id of a partition's stored anomalies in [from, to), from their keys alone. */
  async anomalyRefs(partition: string, from = -Infinity, to = Infinity): Promise<Array<{ windowStart: number; id: string }>> {
    const out: Array<{ windowStart: number; id: string }> = [];
    for (const k of await this.store.list(partitionPrefix('anomalies', partition))) {
      const parsed = parseAnomalyKey(k);
      if (parsed && parsed.windowStart >= from && parsed.windowStart < to) out.push(parsed);
    }
    return out;
  }
}
