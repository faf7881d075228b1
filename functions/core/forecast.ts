/**
 * Short-horizon forecasting core: additive Holt-Winters with a damped trend, i.e. the
 * ETS(A,Ad,A) model of Hyndman et al., "Forecasting with Exponential Smoothing" (2008), run
 * online one observation at a time, with prediction intervals.
 *
 * Pure: no AWS SDK, no I/O, no clock. Callers own timestamps and the alignment of the seasonal
 * phase (the first observation fed to a model is phase 0).
 *
 * Why hand-written rather than an npm dependency (checked 2026-11): `holtwinters` (0.0.1, a
 * single release in 2024-12, a port of a batch triple-exponential-smoothing routine) has no
 * damped trend, no prediction intervals, no online update and no serialisable state; `arima`
 * (0.2.8, 2026-03, an Emscripten/WASM build of a C ARIMA library) is maintained but is
 * (S)ARIMA, not exponential smoothing: a seasonal period of 1440 steps makes its state space
 * impractically large, it refits in batch rather than updating in O(1), and its fitted state
 * cannot be persisted between Lambda invocations. Neither is in node_modules, and the model
 * below is ~300 lines with an exact closed-form interval.
 *
 * Model (error-correction form, `e` the one-step error, `m` the season length):
 * ```
 *   yhat_t = l + phi*b + s[t mod m]
 *   e_t    = y_t - yhat_t
 *   l     <- l + phi*b + alpha*e_t
 *   b     <- phi*b + alpha*beta*e_t
 *   s[t mod m] <- s[t mod m] + gamma*(1-alpha)*e_t
 * ```
 * which is exactly the classic component form with `alpha`, `beta`, `gamma` all in (0, 1):
 * `b = beta*(l_t - l_{t-1}) + (1-beta)*phi*b` and `s = gamma*(y_t - l_t) + (1-gamma)*s`.
 *
 * Seasonality: one additive seasonal component. Hour-of-day seasonality is `seasonLength` =
 * steps per day (1440 at 1-minute steps, 96 at 15 minutes, 24 hourly). Day-of-week effects need
 * a weekly season (168 hourly, 672 at 15 minutes, 10080 at 1 minute), which in turn needs two
 * weeks of history to initialise; for volume forecasting the cheap option is a weekly season at
 * 15-minute or hourly steps.
 *
 * Missing data (handled poorly, by design of this first increment): a non-finite observation
 * (NaN, ±Infinity) after initialisation advances the clock with the model's own forecast and no
 * learning (`e = 0`), so the seasonal phase stays aligned but the state is frozen; long gaps
 * (whole seasons) therefore replay stale seasonality and a damped-out trend, and the residual
 * variance does not grow to reflect the gap. During initialisation a missing value is filled
 * from the same phase of the other initial season, else with the mean of the finite values.
 */

import { normalQuantile } from './stats';

/** One forecast step: point forecast and prediction interval. */
export interface ForecastPoint {
  /** epoch ms of the forecast step */
  t: number;
  mean: number;
  lower: number;
  upper: number;
}

/** Options of {@link HoltWinters}. */
export interface HoltWintersOptions {
  /** level smoothing, in (0, 1); default 0.2 */
  alpha?: number;
  /** trend smoothing (classic form, relative to the level change), in (0, 1); default 0.02 */
  beta?: number;
  /** seasonal smoothing (classic form), in (0, 1); default 0.1 */
  gamma?: number;
  /** season length in steps, integer >= 2 (e.g. 1440 for a day of minutes, 24 for hourly) */
  seasonLength: number;
  /** trend damping phi, in (0, 1]; default 0.98 (1 = undamped Holt-Winters) */
  damped?: number;
  /** prediction-interval coverage, in (0, 1); default 0.95 */
  level?: number;
  /** clamp mean and bounds at 0 (for counts, bytes, rates); default false */
  nonNegative?: boolean;
  /**
   * Residual variance window in steps: the one-step error variance is a plain running mean of
   * squared errors for the first `residualWindow` steps, then an exponentially weighted mean
   * with weight 1/`residualWindow` (so it tracks slow changes in noise). Default
   * max(2 * seasonLength, 500).
   */
  residualWindow?: number;
}

/** Serialisable state of a {@link HoltWinters} model (plain JSON). */
export interface HoltWintersState {
  version: 1;
  options: Required<HoltWintersOptions>;
  /** observations seen (including missing ones) */
  n: number;
  /** true once the first two seasons have been seen */
  ready: boolean;
  /** initialisation buffer (only before `ready`; missing values as null) */
  buffer: (number | null)[];
  levelValue: number;
  trend: number;
  season: number[];
  /** running mean squared one-step error */
  mse: number;
  /** number of residuals in `mse` */
  residuals: number;
}

const DEFAULTS = { alpha: 0.2, beta: 0.02, gamma: 0.1, damped: 0.98, level: 0.95, nonNegative: false };

function inOpenUnit(name: string, v: number): void {
  if (typeof v !== 'number' || !(v > 0 && v < 1)) {
    throw new RangeError(`HoltWinters: ${name} must be in the open interval (0, 1), got ${v}`);
  }
}

/** Validate and complete options; throws RangeError with a clear message. */
function resolveOptions(o: HoltWintersOptions): Required<HoltWintersOptions> {
  if (o == null || typeof o !== 'object') throw new TypeError('HoltWinters: options are required');
  const m = o.seasonLength;
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 2) {
    throw new RangeError(`HoltWinters: seasonLength must be an integer >= 2 (steps per season), got ${m}`);
  }
  const r: Required<HoltWintersOptions> = {
    alpha: o.alpha ?? DEFAULTS.alpha,
    beta: o.beta ?? DEFAULTS.beta,
    gamma: o.gamma ?? DEFAULTS.gamma,
    seasonLength: m,
    damped: o.damped ?? DEFAULTS.damped,
    level: o.level ?? DEFAULTS.level,
    nonNegative: o.nonNegative ?? DEFAULTS.nonNegative,
    residualWindow: o.residualWindow ?? Math.max(2 * m, 500),
  };
  inOpenUnit('alpha', r.alpha);
  inOpenUnit('beta', r.beta);
  inOpenUnit('gamma', r.gamma);
  inOpenUnit('level', r.level);
  if (typeof r.damped !== 'number' || !(r.damped > 0 && r.damped <= 1)) {
    throw new RangeError(`HoltWinters: damped (phi) must be in (0, 1], got ${r.damped}`);
  }
  if (!Number.isInteger(r.residualWindow) || r.residualWindow < 1) {
    throw new RangeError(`HoltWinters: residualWindow must be a positive integer, got ${r.residualWindow}`);
  }
  return r;
}

function minLengthError(m: number, got: number): RangeError {
  return new RangeError(
    `HoltWinters: need at least 2 full seasons to initialise: ${2 * m} observations (seasonLength ${m}), got ${got}`,
  );
}

/**
 * Online additive Holt-Winters with damped trend, ETS(A,Ad,A).
 *
 * Feed one observation per step with {@link HoltWinters.update} (O(1)); the first
 * `2 * seasonLength` observations are buffered and used for the classic initialisation, after
 * which {@link HoltWinters.forecast} is available. Persist with `toJSON()` and restore with
 * {@link HoltWinters.from}.
 *
 * Prediction intervals: `mean ± z * sigma * sqrt(v_h)`, `sigma²` the running one-step error
 * variance and `v_h = 1 + sum_{j=1}^{h-1} c_j²`, `c_j = alpha + alpha*beta*(phi + ... + phi^j)
 * + gamma*(1-alpha)*[j mod m == 0]`: the exact ETS(A,Ad,A) h-step variance for a linear
 * innovations state space model (Hyndman et al. 2008, ch. 6), with the parameters mapped from
 * the classic form. It assumes Gaussian, uncorrelated errors and known parameters, so it is
 * slightly optimistic for real (bursty, heavy-tailed) traffic.
 */
export class HoltWinters {
  readonly options: Readonly<Required<HoltWintersOptions>>;
  private n = 0;
  private ready = false;
  private buffer: (number | null)[] = [];
  private l = 0;
  private b = 0;
  private s: Float64Array;
  private mse = 0;
  private residuals = 0;
  private sse = 0;
  private sseCount = 0;

  constructor(options: HoltWintersOptions) {
    this.options = Object.freeze(resolveOptions(options));
    this.s = new Float64Array(this.options.seasonLength);
  }

  /** True once `2 * seasonLength` observations have been seen and the model is initialised. */
  get isReady(): boolean {
    return this.ready;
  }
  /** Observations seen so far (including missing ones). */
  get count(): number {
    return this.n;
  }
  /** Current level. */
  get levelValue(): number {
    return this.l;
  }
  /** Current (undamped) trend per step. */
  get trend(): number {
    return this.b;
  }
  /** Seasonal phase (0..seasonLength-1) of the next observation. */
  get phase(): number {
    return this.n % this.options.seasonLength;
  }
  /** Running one-step error standard deviation (0 before any residual). */
  get sigma(): number {
    return Math.sqrt(this.mse);
  }
  /**
   * Sum of squared one-step errors after the initialisation seasons, and their count (used by
   * {@link fitHoltWinters}; not persisted).
   */
  get fitError(): { sse: number; count: number } {
    return { sse: this.sse, count: this.sseCount };
  }

  /**
   * Add the next observation. Non-finite values are treated as missing (see module docs).
   * O(1) after initialisation; the step that completes the second season costs O(seasonLength).
   */
  update(x: number): void {
    const m = this.options.seasonLength;
    const finite = Number.isFinite(x);
    if (!this.ready) {
      this.buffer.push(finite ? x : null);
      this.n++;
      if (this.buffer.length === 2 * m) this.initialise();
      return;
    }
    this.step(finite ? x : NaN, true);
  }

  /** One filter step at phase n % m; `countFit` adds the error to the fit SSE. */
  private step(x: number, countFit: boolean): void {
    const { alpha, beta, gamma, damped: phi, residualWindow } = this.options;
    const idx = this.n % this.options.seasonLength;
    const pb = phi * this.b;
    const yhat = this.l + pb + this.s[idx];
    if (Number.isNaN(x)) {
      // missing: advance with the forecast, no learning
      this.l += pb;
      this.b = pb;
      this.n++;
      return;
    }
    const e = x - yhat;
    this.l += pb + alpha * e;
    this.b = pb + alpha * beta * e;
    this.s[idx] += gamma * (1 - alpha) * e;
    this.n++;
    const e2 = e * e;
    this.residuals++;
    const w = this.residuals <= residualWindow ? 1 / this.residuals : 1 / residualWindow;
    this.mse += w * (e2 - this.mse);
    if (countFit) {
      this.sse += e2;
      this.sseCount++;
    }
  }

  /**
   * Classic initialisation from the first two seasons: trend from the difference of the two
   * season means, level from the first season's mean back-cast to t = 0, seasonal indices as
   * the mean detrended deviation at each phase (normalised to sum to 0). The two seasons are
   * then filtered through the model so the residual variance has a starting value; those
   * residuals are in-sample and not counted in `fitError`.
   */
  private initialise(): void {
    const m = this.options.seasonLength;
    const y = this.fillMissing(this.buffer);
    let a1 = 0;
    let a2 = 0;
    for (let i = 0; i < m; i++) {
      a1 += y[i];
      a2 += y[m + i];
    }
    a1 /= m;
    a2 /= m;
    const b0 = (a2 - a1) / m;
    // season 1 mean sits at t = (m - 1) / 2 (0-based); level "just before" t = 0
    const l0 = a1 - b0 * ((m - 1) / 2 + 1);
    let sum = 0;
    for (let i = 0; i < m; i++) {
      const d1 = y[i] - (l0 + b0 * (i + 1));
      const d2 = y[m + i] - (l0 + b0 * (m + i + 1));
      this.s[i] = (d1 + d2) / 2;
      sum += this.s[i];
    }
    const mean = sum / m;
    for (let i = 0; i < m; i++) this.s[i] -= mean;
    this.l = l0;
    this.b = b0;
    this.buffer = [];
    this.ready = true;
    this.n = 0;
    for (let i = 0; i < 2 * m; i++) this.step(y[i], false);
  }

  private fillMissing(buf: readonly (number | null)[]): number[] {
    const m = this.options.seasonLength;
    let total = 0;
    let finite = 0;
    for (const v of buf) {
      if (v !== null) {
        total += v;
        finite++;
      }
    }
    if (finite === 0) throw new RangeError('HoltWinters: the first 2 seasons contain no finite observation');
    const fallback = total / finite;
    return buf.map((v, i) => {
      if (v !== null) return v;
      const other = buf[i < m ? i + m : i - m];
      return other !== null ? other : fallback;
    });
  }

  /**
   * Forecast the next `steps` steps with prediction intervals.
   * @param steps - horizon in steps (integer >= 1)
   * @param stepMs - step duration in ms
   * @param fromT - epoch ms of the most recent observation; point h is at `fromT + h * stepMs`
   * @throws RangeError before the model has seen 2 full seasons
   */
  forecast(steps: number, stepMs: number, fromT: number): ForecastPoint[] {
    if (!this.ready) throw minLengthError(this.options.seasonLength, this.n);
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`HoltWinters: steps must be an integer >= 1, got ${steps}`);
    const { alpha, beta, gamma, damped: phi, level, nonNegative, seasonLength: m } = this.options;
    const z = normalQuantile(0.5 + level / 2);
    const sigma = Math.sqrt(this.mse);
    const betaEc = alpha * beta;
    const gammaEc = gamma * (1 - alpha);
    const out: ForecastPoint[] = new Array(steps);
    let phiPow = 1; // phi^h
    let phiSum = 0; // phi + ... + phi^h
    let v = 1; // 1 + sum_{j=1}^{h-1} c_j^2
    for (let h = 1; h <= steps; h++) {
      if (h > 1) {
        const j = h - 1; // phiSum currently = phi + ... + phi^j
        const c = alpha + betaEc * phiSum + (j % m === 0 ? gammaEc : 0);
        v += c * c;
      }
      phiPow *= phi;
      phiSum += phiPow;
      let mean = this.l + phiSum * this.b + this.s[(this.n + h - 1) % m];
      const half = z * sigma * Math.sqrt(v);
      let lower = mean - half;
      let upper = mean + half;
      if (nonNegative) {
        mean = Math.max(0, mean);
        lower = Math.max(0, lower);
        upper = Math.max(0, upper);
      }
      out[h - 1] = { t: fromT + h * stepMs, mean, lower, upper };
    }
    return out;
  }

  /** Serialisable state (plain JSON; numbers round-trip exactly through JSON.stringify). */
  toJSON(): HoltWintersState {
    return {
      version: 1,
      options: { ...this.options },
      n: this.n,
      ready: this.ready,
      buffer: [...this.buffer],
      levelValue: this.l,
      trend: this.b,
      season: Array.from(this.s),
      mse: this.mse,
      residuals: this.residuals,
    };
  }

  /** Restore a model from {@link HoltWinters.toJSON} output; validates shape and options. */
  static from(state: HoltWintersState): HoltWinters {
    if (state == null || typeof state !== 'object' || state.version !== 1) {
      throw new TypeError('HoltWinters.from: unsupported state (expected version 1)');
    }
    const hw = new HoltWinters(state.options);
    const m = hw.options.seasonLength;
    if (!Array.isArray(state.season) || state.season.length !== m) {
      throw new TypeError(`HoltWinters.from: season must be an array of ${m} numbers`);
    }
    if (!Array.isArray(state.buffer) || (!state.ready && state.buffer.length !== state.n)) {
      throw new TypeError('HoltWinters.from: inconsistent initialisation buffer');
    }
    hw.n = state.n;
    hw.ready = state.ready;
    hw.buffer = [...state.buffer];
    hw.l = state.levelValue;
    hw.b = state.trend;
    hw.s = Float64Array.from(state.season);
    hw.mse = state.mse;
    hw.residuals = state.residuals;
    return hw;
  }
}

/** Grid used by {@link fitHoltWinters} for parameters not fixed in the options (4×4×4 = 64). */
export const HOLT_WINTERS_GRID = {
  alpha: [0.05, 0.15, 0.3, 0.5],
  beta: [0.005, 0.02, 0.08, 0.2],
  gamma: [0.05, 0.15, 0.3, 0.5],
} as const;

/**
 * Fit a model to a history and return it, updated through the whole series (ready to
 * forecast the step after the last value).
 *
 * With `grid: true`, searches {@link HOLT_WINTERS_GRID} over every smoothing parameter not
 * given explicitly (at most 64 combinations, each one O(n) pass), minimising the one-step SSE
 * after the two initialisation seasons; ties keep the first (smallest) combination.
 * @throws RangeError when `series.length < 2 * seasonLength` (message names the minimum)
 */
export function fitHoltWinters(series: readonly number[], options: HoltWintersOptions & { grid?: boolean }): HoltWinters {
  const { grid, ...opts } = options;
  const base = resolveOptions(opts); // validate early
  if (series.length < 2 * base.seasonLength) throw minLengthError(base.seasonLength, series.length);
  const run = (o: HoltWintersOptions): HoltWinters => {
    const hw = new HoltWinters(o);
    for (let i = 0; i < series.length; i++) hw.update(series[i]);
    return hw;
  };
  if (!grid) return run(opts);
  const alphas = opts.alpha !== undefined ? [opts.alpha] : HOLT_WINTERS_GRID.alpha;
  const betas = opts.beta !== undefined ? [opts.beta] : HOLT_WINTERS_GRID.beta;
  const gammas = opts.gamma !== undefined ? [opts.gamma] : HOLT_WINTERS_GRID.gamma;
  let best: HoltWinters | undefined;
  let bestSse = Infinity;
  for (const alpha of alphas) {
    for (const beta of betas) {
      for (const gamma of gammas) {
        const hw = run({ ...opts, alpha, beta, gamma });
        const { sse } = hw.fitError;
        if (best === undefined || sse < bestSse) {
          best = hw;
          bestSse = sse;
        }
      }
    }
  }
  return best as HoltWinters;
}

/**
 * Seasonal-naive baseline: each future step repeats the value one season earlier
 * (`yhat_{n+h} = y_{n+h-m*ceil(h/m)}`).
 * @param series - history, oldest first, at least `seasonLength` long
 * @param seasonLength - steps per season (integer >= 1)
 * @param steps - horizon in steps
 * @returns point forecasts for steps 1..`steps`
 */
export function seasonalNaive(series: readonly number[], seasonLength: number, steps: number): number[] {
  if (!Number.isInteger(seasonLength) || seasonLength < 1) {
    throw new RangeError(`seasonalNaive: seasonLength must be an integer >= 1, got ${seasonLength}`);
  }
  if (series.length < seasonLength) {
    throw new RangeError(`seasonalNaive: need at least one season (${seasonLength} observations), got ${series.length}`);
  }
  const n = series.length;
  const out = new Array<number>(steps);
  for (let h = 1; h <= steps; h++) {
    out[h - 1] = series[n - seasonLength + ((h - 1) % seasonLength)];
  }
  return out;
}

/**
 * Mean absolute percentage error in percent, skipping points whose actual value is 0.
 * @returns NaN when no point is usable
 */
export function mape(actual: readonly number[], predicted: readonly number[]): number {
  const k = Math.min(actual.length, predicted.length);
  let sum = 0;
  let used = 0;
  for (let i = 0; i < k; i++) {
    if (actual[i] === 0) continue;
    sum += Math.abs((actual[i] - predicted[i]) / actual[i]);
    used++;
  }
  return used === 0 ? NaN : (100 * sum) / used;
}
