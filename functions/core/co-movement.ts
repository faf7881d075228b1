/**
 * "Partitions that moved at the same time": a root-cause hint. A dependency outage shows up in
 * several services in the same minute; naming the others next to an anomaly points at the shared
 * cause (the database, the network, the deploy) instead of at one service. Pure.
 *
 * A partition "moved" in a minute when one of its key features is far outside its own seasonal
 * expectation (the seasonal band detector's effective z, so the noise model is the same one that
 * raises anomalies), whether or not that alone was enough to raise an anomaly there.
 */
import { featureZ } from './detectors/seasonalBand';
import type { FeatureName, Profile, WindowFeatures } from './types';

/** Features looked at: volume, errors, server errors, tail latency. */
export const CO_MOVEMENT_FEATURES: readonly FeatureName[] = ['count', 'errorRate', 'status5xxRate', 'latencyP95'];

/** The strongest move of one partition in one minute. */
export interface Movement {
  partition: string;
  windowStart: number;
  feature: FeatureName;
  observed: number;
  expected: number;
  /** Effective z (signed). */
  z: number;
}

/** Options of {@link strongestMovement} and {@link coMovementHint}. */
export interface CoMovementOptions {
  /** |z| from which a feature counts as moved. Default 4. */
  minZ?: number;
  /** Other partitions named at most. Default 3. */
  maxPartitions?: number;
  /** Windows this close in time count as "the same time", ms. Default 60 000 (the next or previous minute). */
  toleranceMs?: number;
}

/** The feature of a window furthest from its expectation (|z| ≥ minZ), or null. */
export function strongestMovement(w: WindowFeatures, profile: Profile, options: CoMovementOptions = {}): Movement | null {
  const minZ = options.minZ ?? 4;
  let best: Movement | null = null;
  for (const feature of CO_MOVEMENT_FEATURES) {
    const r = featureZ(feature, w, { profile, recent: [], rolling: {} });
    if (!r || !Number.isFinite(r.z) || Math.abs(r.z) < minZ) continue;
    if (!best || Math.abs(r.z) > Math.abs(best.z)) {
      best = { partition: w.partition, windowStart: w.windowStart, feature, observed: w.features[feature], expected: r.median, z: r.z };
    }
  }
  return best;
}

/** Movements of many partitions' windows (one tick of the window closer), by window start. */
export function movementsByMinute(windows: ReadonlyArray<{ features: WindowFeatures; profile: Profile | null }>, options: CoMovementOptions = {}): Map<number, Movement[]> {
  const out = new Map<number, Movement[]>();
  for (const { features, profile } of windows) {
    if (!profile) continue;
    const m = strongestMovement(features, profile, options);
    if (!m) continue;
    const list = out.get(m.windowStart) ?? [];
    list.push(m);
    out.set(m.windowStart, list);
  }
  return out;
}

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(1) : x.toPrecision(2));

/**
 * The hint for an anomaly of `partition` at `windowStart`: the other partitions that moved within
 * the tolerance, strongest first, e.g. `moved at the same time: payments#eu-west-1 errorRate 0.31
 * (usually 0.010), gateway#us-east-1 latencyP95 2400 (usually 180)`; null when none did.
 */
export function coMovementHint(partition: string, windowStart: number, byMinute: ReadonlyMap<number, Movement[]>, options: CoMovementOptions = {}): string | null {
  const tolerance = options.toleranceMs ?? 60_000;
  const best = new Map<string, Movement>();
  for (const [t, list] of byMinute) {
    if (Math.abs(t - windowStart) > tolerance) continue;
    for (const m of list) {
      if (m.partition === partition) continue;
      const prev = best.get(m.partition);
      if (!prev || Math.abs(m.z) > Math.abs(prev.z)) best.set(m.partition, m);
    }
  }
  if (best.size === 0) return null;
  const named = [...best.values()].sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.partition.localeCompare(b.partition));
  const shown = named.slice(0, options.maxPartitions ?? 3).map((m) => `${m.partition} ${m.feature} ${fmt(m.observed)} (usually ${fmt(m.expected)})`);
  const more = named.length > shown.length ? ` and ${named.length - shown.length} more` : '';
  return `moved at the same time: ${shown.join(', ')}${more}`;
}
