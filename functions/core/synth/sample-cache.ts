/**
 * A synchronous {@link WindowSampler} over window feature vectors fetched ahead of time (e.g. VAE
 * decoder samples from the model endpoint, one call per run instead of one per hour): hours found
 * in the cache are served from it, any other hour from the fallback (the profile's seasonal
 * statistics), and every fallback is recorded with its reason. Pure.
 */
import type { FeatureName } from '../types';
import type { WindowSampler } from './window-sampler';

const HOUR = 3_600_000;

/** Rows of one hour (row i = minute i). */
export type HourRows = ReadonlyArray<Partial<Record<FeatureName, number>>>;

/** Every hour start (epoch ms, whole hours) whose hour overlaps `[start, end)`, in order. */
export function hourStartsOf(start: number, end: number): number[] {
  const out: number[] = [];
  if (!(Number.isFinite(start) && Number.isFinite(end)) || end <= start) return out;
  for (let h = Math.floor(start / HOUR) * HOUR; h < end; h += HOUR) out.push(h);
  return out;
}

/** An hour the cache could not serve. */
export interface SamplerFallback {
  partition: string;
  hourStart: number;
  reason: string;
}

/** Options of {@link cachedWindowSampler}. */
export interface CachedSamplerOptions {
  /** Prefetched rows per hour start (one partition's, or keyed the same for every partition asked). */
  hours: ReadonlyMap<number, HourRows>;
  /** Used for hours not in the cache, or with fewer rows than asked for. */
  fallback: WindowSampler;
  /** Told about each hour served by the fallback. */
  onFallback?: (f: SamplerFallback) => void;
}

/**
 * A sampler that reads prefetched rows and falls back per hour.
 * @returns rows `0..n-1` of the cached hour, or the fallback's rows
 */
export function cachedWindowSampler(options: CachedSamplerOptions): WindowSampler {
  return (partition, hourStart, n) => {
    const rows = options.hours.get(hourStart);
    if (rows && rows.length >= n) return rows.slice(0, n).map((r) => ({ ...r }));
    options.onFallback?.({
      partition,
      hourStart,
      reason: rows ? `${rows.length} prefetched rows for ${new Date(hourStart).toISOString()}, ${n} needed` : `hour ${new Date(hourStart).toISOString()} was not prefetched`,
    });
    return options.fallback(partition, hourStart, n);
  };
}
