/**
 * Online damped-trend exponential smoothing without a seasonal term, ETS(A,Ad,N) in the notation of
 * Hyndman et al., "Forecasting with Exponential Smoothing" (2008), on plain JSON state.
 *
 * It is the non-seasonal sibling of {@link HoltWinters} (./forecast): the early-warning forecaster
 * runs it on residuals from the profile's seasonal expectation (see ./early-warning), so the
 * seasonality comes from the profile and this model only carries the level and trend of the
 * departure from normal. That needs minutes of warm-up instead of the two full seasons (two weeks
 * for an hour-of-week season) a Holt-Winters model needs, and its state is four numbers, small
 * enough to live in the window closer's per-partition state item.
 *
 * Error-correction form (`e` the one-step error):
 * ```
 *   yhat_t = l + phi*b
 *   e_t    = y_t - yhat_t          (clipped at ±clipZ·sigma for the state update, see below)
 *   l     <- l + phi*b + alpha*e_t
 *   b     <- phi*b + alpha*beta*e_t
 * ```
 * Prediction interval: `mean_h ± z·sd_h`, `sd_h² = sigma²·(1 + E_h + D·(v_h - 1))`. `v_h = 1 +
 * sum_{j=1}^{h-1} c_j²`, `c_j = alpha·(1 + beta·(phi + ... + phi^j))`, is the exact h-step variance
 * of the linear innovations model (Hyndman et al. 2008, table 6.1), which takes the current level
 * and trend as known; `E_h` adds the variance of their estimates (see {@link DampedTrendStep.sdLevel}),
 * which dominates far ahead when the trend is estimated from noisy minutes. Gaussian, uncorrelated
 * errors are assumed.
 *
 * Robustness: the error that moves the level and trend is clipped at `clipZ` one-step sigmas (a
 * Huber-style filter), so one wild minute moves the forecast by at most `alpha·clipZ·sigma`; a real
 * shift still gets through, a little slower. The one-step variance starts from a prior (`priorMse`,
 * weighted as `priorWeight` observations: 1 for standardised residuals) and then follows an
 * exponentially weighted mean of squared (clipped) errors with weight `1/varianceWindow`.
 *
 * Pure: no I/O, no clock. Missing observations (non-finite) advance the clock with the model's own
 * forecast and do not learn.
 */

/** Options of the damped-trend model; all have defaults ({@link DAMPED_TREND_DEFAULTS}). */
export interface DampedTrendOptions {
  /** Level smoothing in (0, 1). */
  alpha: number;
  /** Trend smoothing (classic form, relative to the level change) in (0, 1). */
  beta: number;
  /** Trend damping phi in (0, 1]. */
  phi: number;
  /** Errors beyond this many one-step sigmas are clipped for the state update (> 0). */
  clipZ: number;
  /** Prior one-step mean squared error. */
  priorMse: number;
  /** Weight of the prior, in observations (>= 0). */
  priorWeight: number;
  /** Exponential window of the variance estimate, in observations (>= 1). */
  varianceWindow: number;
  /** Weight D of the future innovations in the level's forecast variance, in [0, 1] (see sdLevel). */
  driftWeight: number;
}

/**
 * Defaults of {@link DampedTrendOptions}, chosen for 1-minute standardised residuals of the early
 * warning: a slow level (alpha 0.05, about 40 minutes of memory), a trend that follows a ramp within
 * tens of minutes (alpha·beta = 0.01) and light damping (phi 0.99: the trend keeps about 60% of its
 * slope one hour ahead). Picked on synthetic ramps and flat days (test fixtures, not the benchmark's
 * generator) as the most responsive setting that raised no warning on the flat days.
 */
export const DAMPED_TREND_DEFAULTS: Readonly<DampedTrendOptions> = Object.freeze({
  alpha: 0.05,
  beta: 0.2,
  phi: 0.99,
  clipZ: 4,
  priorMse: 1,
  priorWeight: 30,
  varianceWindow: 240,
  driftWeight: 1,
});

/** Serialisable state (plain JSON). */
export interface DampedTrendState {
  level: number;
  trend: number;
  /** Running one-step mean squared error. */
  mse: number;
  /** Finite observations learned from. */
  n: number;
}

/** One forecast step on the model's own scale. */
export interface DampedTrendStep {
  /** Steps ahead (1 = the next observation). */
  h: number;
  mean: number;
  /** Standard deviation of the h-step-ahead observation: `sqrt(sigma² + sdLevel²)`. */
  sd: number;
  /**
   * Standard deviation of the h-step-ahead expected value (the level, without the observation's
   * own noise): `sigma·sqrt(E_h + D·(v_h - 1))`. `E_h = Σ_k (gl_k + φ_h·gb_k)²` is the variance of
   * the estimator `level + φ_h·trend` when the data are white noise around a constant (gl, gb the
   * filter's impulse responses, {@link estimatorVariance}), i.e. how far noise alone can push the
   * extrapolated level; `v_h - 1` is what innovations still to come add to the level in the ETS
   * model, weighted by `D` ({@link DampedTrendOptions.driftWeight}).
   */
  sdLevel: number;
}

/**
 * Fills in defaults and checks the options.
 * @throws RangeError naming the offending option
 */
export function resolveDampedTrendOptions(options: Partial<DampedTrendOptions> = {}): DampedTrendOptions {
  const o: DampedTrendOptions = { ...DAMPED_TREND_DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined && k in o) (o as unknown as Record<string, number>)[k] = v;
  const open = (k: 'alpha' | 'beta'): void => {
    if (!(o[k] > 0 && o[k] < 1)) throw new RangeError(`damped trend: ${k} must be in (0, 1), got ${o[k]}`);
  };
  open('alpha');
  open('beta');
  if (!(o.phi > 0 && o.phi <= 1)) throw new RangeError(`damped trend: phi must be in (0, 1], got ${o.phi}`);
  if (!(o.clipZ > 0)) throw new RangeError(`damped trend: clipZ must be > 0, got ${o.clipZ}`);
  if (!(o.priorMse > 0 && Number.isFinite(o.priorMse))) throw new RangeError(`damped trend: priorMse must be > 0, got ${o.priorMse}`);
  if (!(o.priorWeight >= 0)) throw new RangeError(`damped trend: priorWeight must be >= 0, got ${o.priorWeight}`);
  if (!(o.varianceWindow >= 1)) throw new RangeError(`damped trend: varianceWindow must be >= 1, got ${o.varianceWindow}`);
  if (!(o.driftWeight >= 0 && o.driftWeight <= 1)) throw new RangeError(`damped trend: driftWeight must be in [0, 1], got ${o.driftWeight}`);
  return o;
}

/** A model that has seen nothing: level `initial`, no trend, the prior variance. */
export function dampedTrendStart(initial: number, options: DampedTrendOptions): DampedTrendState {
  return { level: initial, trend: 0, mse: options.priorMse, n: 0 };
}

/**
 * The state after one more observation (returns a new object). A non-finite `y` is a missing
 * observation: level and trend advance by the damped trend, nothing is learned.
 */
export function dampedTrendUpdate(s: DampedTrendState, y: number, o: DampedTrendOptions): DampedTrendState {
  const pb = o.phi * s.trend;
  if (!Number.isFinite(y)) return { level: s.level + pb, trend: pb, mse: s.mse, n: s.n };
  const sigma = Math.sqrt(s.mse);
  const raw = y - (s.level + pb);
  const e = Math.max(-o.clipZ * sigma, Math.min(o.clipZ * sigma, raw));
  const n = s.n + 1;
  // Prior for the first observations, then an exponential window.
  const w = Math.max(1 / (o.priorWeight + n), 1 / o.varianceWindow);
  return {
    level: s.level + pb + o.alpha * e,
    trend: pb + o.alpha * o.beta * e,
    mse: s.mse + w * (e * e - s.mse),
    n,
  };
}

/**
 * Point forecasts and h-step standard deviations for steps 1..`steps`.
 * @throws RangeError when `steps` is not a positive integer
 */
export function dampedTrendForecast(s: DampedTrendState, steps: number, o: DampedTrendOptions): DampedTrendStep[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`damped trend: steps must be an integer >= 1, got ${steps}`);
  const out: DampedTrendStep[] = new Array(steps);
  const ev = estimatorVariance(o);
  let phiPow = 1;
  let phiSum = 0; // phi + ... + phi^h
  let v = 1;
  for (let h = 1; h <= steps; h++) {
    if (h > 1) {
      const c = o.alpha * (1 + o.beta * phiSum); // phiSum = phi + ... + phi^(h-1) here
      v += c * c;
    }
    phiPow *= o.phi;
    phiSum += phiPow;
    const est = ev.ll + 2 * phiSum * ev.lb + phiSum * phiSum * ev.bb;
    const level = est + o.driftWeight * (v - 1);
    out[h - 1] = { h, mean: s.level + phiSum * s.trend, sd: Math.sqrt(s.mse * (1 + level)), sdLevel: Math.sqrt(s.mse * level) };
  }
  return out;
}

const estimatorCache = new Map<string, { ll: number; lb: number; bb: number }>();
const estimatorByOptions = new WeakMap<object, { ll: number; lb: number; bb: number }>();

/**
 * Sums of squared impulse responses of the filter's level and trend estimates (`ll = Σ gl_k²`,
 * `lb = Σ gl_k·gb_k`, `bb = Σ gb_k²`): with white-noise input of unit variance, the variance of
 * `level + c·trend` is `ll + 2c·lb + c²·bb`. Computed once per parameter set (cached).
 */
export function estimatorVariance(o: Pick<DampedTrendOptions, 'alpha' | 'beta' | 'phi'>): { ll: number; lb: number; bb: number } {
  const same = estimatorByOptions.get(o);
  if (same) return same;
  const found = estimatorVarianceOf(o);
  estimatorByOptions.set(o, found);
  return found;
}

function estimatorVarianceOf(o: Pick<DampedTrendOptions, 'alpha' | 'beta' | 'phi'>): { ll: number; lb: number; bb: number } {
  const key = `${o.alpha}|${o.beta}|${o.phi}`;
  const hit = estimatorCache.get(key);
  if (hit) return hit;
  let l = 0;
  let b = 0;
  let ll = 0;
  let lb = 0;
  let bb = 0;
  for (let k = 0; k < 100_000; k++) {
    const y = k === 0 ? 1 : 0;
    const pb = o.phi * b;
    const e = y - (l + pb);
    l = l + pb + o.alpha * e;
    b = pb + o.alpha * o.beta * e;
    ll += l * l;
    lb += l * b;
    bb += b * b;
    if (k > 50 && Math.abs(l) < 1e-12 && Math.abs(b) < 1e-12) break;
  }
  const out = { ll, lb, bb };
  estimatorCache.set(key, out);
  return out;
}
