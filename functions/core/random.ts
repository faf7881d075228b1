/**
 * Tiny deterministic random helpers for tests, synthetic data and benchmarks.
 * Pure: no global state; every generator is seeded explicitly.
 */

/**
 * mulberry32: a fast seeded 32-bit PRNG.
 * @param seed - any integer seed
 * @returns a function yielding uniform floats in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal sample (Box-Muller).
 * @param rng - uniform [0,1) source
 */
export function normal(rng: () => number): number {
  let u = 0;
  while (u === 0) u = rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Poisson sample. Knuth's method for small lambda, normal approximation (rounded, clamped at 0)
 * for lambda > 60.
 * @param rng - uniform [0,1) source
 * @param lambda - mean (>= 0)
 */
export function poisson(rng: () => number, lambda: number): number {
  if (!(lambda > 0)) return 0;
  if (lambda > 60) {
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(rng)));
  }
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rng();
  } while (p > l);
  return k - 1;
}

/** 32-bit mixing (murmur3 finaliser). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
