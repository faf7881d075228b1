/**
 * Robust statistics and tail probabilities used by the profile builder and the detectors.
 * Pure numeric helpers, no dependencies.
 */

/** Consistency constant: 1.4826 * MAD estimates the standard deviation of a normal distribution. */
export const MAD_TO_SIGMA = 1.4826;

/**
 * Quantile of an ascending-sorted array with linear interpolation (type 7, as numpy/R default).
 * @returns 0 for an empty array
 */
export function quantile(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  if (n === 1) return sorted[0];
  const pos = Math.min(1, Math.max(0, q)) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median of (unsorted) values; 0 when empty. */
export function median(values: readonly number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/** Median absolute deviation (unscaled) around the median; 0 when empty. */
export function mad(values: readonly number[], center?: number): number {
  if (values.length === 0) return 0;
  const m = center ?? median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/** Floors applied to the robust scale. See {@link robustScale}. */
export interface ScaleFloor {
  /** Relative floor: fraction of |median| (default 0.1, i.e. a 10% change is "one sigma" at most). */
  relative?: number;
  /** Absolute floor in the feature's unit (default 1e-9). */
  absolute?: number;
}

/**
 * Robust scale (sigma estimate) with floors:
 * `max(1.4826 * mad, relative * |median|, absolute)`.
 *
 * Why the floors: a flat baseline (e.g. an error count that was 0 in every training window) has
 * MAD 0, which would make any wobble an infinite z. The relative floor says a change smaller than
 * ~10% of the typical value is never more than one sigma; the absolute floor gives a per-feature
 * minimum resolution (1 event for counts, 1 ms for latency, 1 percentage point for rates...).
 */
export function robustScale(madValue: number, medianValue: number, floor: ScaleFloor = {}): number {
  const rel = floor.relative ?? 0.1;
  const abs = floor.absolute ?? 1e-9;
  return Math.max(MAD_TO_SIGMA * madValue, rel * Math.abs(medianValue), abs);
}

/**
 * Robust z-score: `(x - median) / robustScale(mad, median, floor)`.
 */
export function robustZ(x: number, medianValue: number, madValue: number, floor: ScaleFloor = {}): number {
  return (x - medianValue) / robustScale(madValue, medianValue, floor);
}

/**
 * Complementary error function, Numerical Recipes `erfcc` (fractional error < 1.2e-7 everywhere,
 * accurate deep into the tails).
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF Phi(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Upper tail of the standard normal: P(Z >= z). */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** log Gamma(x) for x > 0 (Lanczos approximation, ~1e-15 relative accuracy). */
export function logGamma(x: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xx = x - 1;
  let a = c[0];
  const t = xx + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i] / (xx + i);
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Regularized lower incomplete gamma P(a, x) (series for x < a+1, continued fraction otherwise).
 */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  if (a <= 0) return 1;
  const gln = logGamma(a);
  if (x < a + 1) {
    let ap = a;
    let sum = 1 / a;
    let del = sum;
    for (let n = 0; n < 1000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-15) break;
    }
    return Math.min(1, sum * Math.exp(-x + a * Math.log(x) - gln));
  }
  return Math.max(0, 1 - gammaQcf(a, x, gln));
}

/** Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x), computed without cancellation. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (a <= 0) return 0;
  if (x < a + 1) return 1 - gammaP(a, x);
  return gammaQcf(a, x, logGamma(a));
}

function gammaQcf(a: number, x: number, gln: number): number {
  const FPMIN = 1e-300;
  let b = x + 1 - a;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - gln) * h;
}

/**
 * Poisson upper tail P(X >= k | lambda). For non-integer k this is the continuous extension
 * P(k, lambda) (regularized lower incomplete gamma), which lets callers use quasi-Poisson scaling.
 * @returns 1 when k <= 0
 */
export function poissonUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (!(lambda > 0)) return 0;
  return gammaP(k, lambda);
}

/**
 * Poisson lower tail P(X <= k | lambda) (continuous extension for non-integer k).
 */
export function poissonLowerTail(k: number, lambda: number): number {
  if (k < 0) return 0;
  if (!(lambda > 0)) return 1;
  return gammaQ(k + 1, lambda);
}

/**
 * Inverse of the standard normal CDF (Acklam's algorithm, relative error < 1.2e-9).
 * @returns -Infinity for p <= 0, +Infinity for p >= 1
 */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - plow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * z-equivalent of an upper-tail probability: the z with P(Z >= z) = p, capped at ±`cap`
 * (default 40) so p = 0 from underflow stays finite.
 */
export function zFromUpperTail(p: number, cap = 40): number {
  if (!(p > 0)) return cap;
  if (p >= 1) return -cap;
  return Math.max(-cap, Math.min(cap, -normalQuantile(p)));
}
