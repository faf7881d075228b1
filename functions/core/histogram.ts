/**
 * Fixed log-scale histogram buckets, identical in every process, so partial histograms from many
 * shards add up exactly (bucket index -> count, DynamoDB ADD).
 *
 * Layout: bucket `i` holds values in [GROWTH^i, GROWTH^(i+1)) with GROWTH = 1.1, so the geometric
 * midpoint of a bucket is within sqrt(1.1) - 1 ≈ 4.9% of any value in it. Indices cover
 * 1e-3 (index -73) .. 1e9 (index 217); values outside are clamped to the first/last bucket.
 * Values <= 0 (and NaN) go to the dedicated zero bucket {@link ZERO_BUCKET}.
 */

/** Ratio between consecutive bucket bounds. */
export const GROWTH = 1.1;
const LOG_GROWTH = Math.log(GROWTH);

/** Smallest regular bucket index (values below 1e-3 are clamped here). */
export const MIN_BUCKET = Math.floor(Math.log(1e-3) / LOG_GROWTH);
/** Largest regular bucket index (values above 1e9 are clamped here). */
export const MAX_BUCKET = Math.floor(Math.log(1e9) / LOG_GROWTH);
/** Bucket index for values <= 0 (its representative value is 0). */
export const ZERO_BUCKET = -1000;

/**
 * Bucket index of a value.
 * @param value - any number; <= 0 or NaN go to {@link ZERO_BUCKET}
 */
export function bucketOf(value: number): number {
  if (!(value > 0)) return ZERO_BUCKET;
  // Tiny epsilon so exact powers of GROWTH land in their own bucket despite float rounding.
  const i = Math.floor(Math.log(value) / LOG_GROWTH + 1e-9);
  return Math.min(MAX_BUCKET, Math.max(MIN_BUCKET, i));
}

/**
 * Representative value of a bucket: its geometric midpoint (0 for the zero bucket).
 * @param index - a bucket index from {@link bucketOf}
 */
export function bucketValue(index: number): number {
  if (index === ZERO_BUCKET) return 0;
  return Math.exp((index + 0.5) * LOG_GROWTH);
}

/**
 * Quantile from bucket counts (nearest-rank on the bucket representatives).
 * @param h - bucket index -> count (keys may be numeric strings, as after JSON round trips)
 * @param q - quantile in [0, 1]
 * @returns the representative value of the bucket holding rank ceil(q * total); 0 when empty
 */
export function quantileFromBuckets(h: Record<number, number>, q: number): number {
  const entries: Array<[number, number]> = [];
  let total = 0;
  for (const [k, v] of Object.entries(h)) {
    if (!(v > 0)) continue;
    entries.push([Number(k), v]);
    total += v;
  }
  if (total === 0) return 0;
  entries.sort((a, b) => a[0] - b[0]);
  const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * total - 1e-9));
  let cum = 0;
  for (const [idx, c] of entries) {
    cum += c;
    if (cum >= rank) return bucketValue(idx);
  }
  return bucketValue(entries[entries.length - 1][0]);
}

/**
 * Adds `b` into `a` (mutates and returns `a`).
 */
export function addBuckets(a: Record<number, number>, b: Record<number, number>): Record<number, number> {
  for (const [k, v] of Object.entries(b)) {
    const key = Number(k);
    a[key] = (a[key] ?? 0) + v;
  }
  return a;
}
