/**
 * Online anomaly scoring of metric series (CloudWatch metrics, NAB-style CSVs): rows of
 * `{timestamp, values[]}` stream in, and every row gets an anomaly probability computed from the
 * rows BEFORE it only (no look-ahead), so the scores of the first N rows never depend on what follows.
 *
 * Per row: a feature vector of the last `context` values of every column (transformed and
 * standardised with statistics of past rows), conditioned on the time of day (and of week once the
 * history spans weeks); a small VAE (models/vae.ts) fitted on past rows after a warm-up and
 * warm-start refitted every `refitEvery` rows scores it (negative importance-weighted
 * log-likelihood); the anomaly likelihood of HTM (Ahmad et al. 2017) turns those raw scores into a
 * probability: the tail probability of a short moving average of raw scores under a normal fitted
 * to the moving averages of a longer history. Rows before the first fit get a statistical fallback
 * (z of the value against the rows seen so far).
 *
 * Deterministic: seeded weights, shuffling and noise; scoring is independent of batch boundaries.
 */
import { initBackend } from './backend';
import { Vae, DEFAULT_HYPERPARAMETERS, type VaeHyperparameters } from './vae';
import { TIME_CONTEXT, timeContext } from './vectorize';
import { normalUpperTail } from '../functions/core/stats';

/** One row of a metric series. */
export interface SeriesRow {
  /** Epoch ms. */
  timestamp: number;
  /** One value per column (non-finite values repeat the column's previous value). */
  values: readonly number[];
}

/** What the scorer says about one row. */
export interface SeriesScore {
  timestamp: number;
  /** Anomaly probability in [0, 1); 0.95 is the default alert level. */
  probability: number;
  /** Raw model score (negative log-likelihood of the row's context vector); NaN before the first fit. */
  raw: number;
  /** z of the short-term average raw score against the longer history (or of the value, before the first fit). */
  z: number;
  /** 'warmup': statistical fallback (no model yet); 'model': scored by the VAE. */
  phase: 'warmup' | 'model';
}

/** Value transform before standardisation. */
export type SeriesTransform = 'none' | 'log' | 'auto';

/** Options of {@link SeriesScorer}. */
export interface SeriesScorerOptions {
  /** Value columns per row. */
  columns: number;
  /** Seed of the model (default 7). */
  seed?: number;
  /** Rows seen before the first fit (default 400). */
  warmupRows?: number;
  /** Rows between warm-start refits (default 250). */
  refitEvery?: number;
  /** Past values per column in the feature vector, the current one included (default 6). */
  context?: number;
  /** Per column, the mean of the last n values for each n here is added to the feature vector (default [12, 48]). */
  aggregates?: readonly number[];
  /** Most recent rows a fit uses (default 3000). */
  trainRows?: number;
  /** Optimiser steps of the first fit (default 300). */
  firstFitSteps?: number;
  /** Optimiser steps of each refit (default 60). */
  refitSteps?: number;
  /** Rows in the short moving average of raw scores (default 1: no averaging). */
  averagingWindow?: number;
  /** Rows of (averaged) raw scores the calibration uses (default 5000). */
  historyRows?: number;
  /**
   * How a raw score becomes a tail probability: 'empirical' (share of past scores at least as high,
   * exponential tail beyond their 90th percentile; default) or 'normal' (HTM: a normal fitted to the past scores).
   */
  calibration?: 'empirical' | 'normal';
  /** At the first fit, seed the calibration history with the (in-sample) scores of the training rows (default true). */
  seedHistory?: boolean;
  /** During a cooldown, cap every row (true) or only rows less extreme than the alert (false, default). */
  strictCooldown?: boolean;
  /** Tail probability that maps to probability 0.95 (default 1e-4). */
  alertTail?: number;
  /**
   * Rows after an alert (probability >= 0.95) during which further rows are capped just below
   * 0.95 unless they are more extreme than the alert (default 0: off).
   */
  cooldownRows?: number;
  /** Value transform: 'auto' picks log for non-negative right-skewed columns at the first fit (default 'auto'). */
  transform?: SeriesTransform;
  /** VAE hyperparameters over the series defaults. */
  hyperparameters?: Partial<VaeHyperparameters>;
}

/** Thrown for rows or options the scorer cannot use. */
export class SeriesInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeriesInputError';
  }
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

/** The default alert level of a probability. */
export const SERIES_ALERT_LEVEL = 0.95;

const DAY_MS = 86_400_000;

/** log P(Z >= z) for the standard normal, accurate far into the tail. */
export function logNormalTail(z: number): number {
  if (z < 8) return Math.log(Math.max(normalUpperTail(z), Number.MIN_VALUE));
  return -0.5 * z * z - Math.log(z) - 0.5 * Math.log(2 * Math.PI) + Math.log1p(-1 / (z * z));
}

/** Resolved options. */
type Resolved = Required<Omit<SeriesScorerOptions, 'hyperparameters'>> & { hp: VaeHyperparameters };

function resolve(o: SeriesScorerOptions): Resolved {
  if (!Number.isInteger(o.columns) || o.columns < 1) throw new SeriesInputError(`columns must be a positive integer, got ${o.columns}`);
  const r: Resolved = {
    columns: o.columns,
    seed: o.seed ?? 7,
    warmupRows: o.warmupRows ?? 400,
    refitEvery: o.refitEvery ?? 250,
    context: o.context ?? 6,
    aggregates: o.aggregates ?? [12, 48],
    trainRows: o.trainRows ?? 3000,
    firstFitSteps: o.firstFitSteps ?? 300,
    refitSteps: o.refitSteps ?? 60,
    averagingWindow: o.averagingWindow ?? 1,
    historyRows: o.historyRows ?? 5000,
    calibration: o.calibration ?? 'empirical',
    seedHistory: o.seedHistory ?? true,
    strictCooldown: o.strictCooldown ?? false,
    alertTail: o.alertTail ?? 1e-4,
    cooldownRows: o.cooldownRows ?? 0,
    transform: o.transform ?? 'auto',
    hp: { ...SERIES_HYPERPARAMETERS, seed: o.seed ?? 7, ...o.hyperparameters },
  };
  if (r.warmupRows < Math.max(20, r.context)) throw new SeriesInputError(`warmupRows must be at least ${Math.max(20, r.context)}, got ${r.warmupRows}`);
  if (r.context < 1 || r.refitEvery < 1 || r.averagingWindow < 1 || r.historyRows < 10) throw new SeriesInputError('context, refitEvery and averagingWindow must be >= 1 and historyRows >= 10');
  if (!(r.alertTail > 0 && r.alertTail < 0.5)) throw new SeriesInputError(`alertTail must be in (0, 0.5), got ${r.alertTail}`);
  return r;
}

/** Fixed-size ring of numbers with running sum and sum of squares. */
class Ring {
  private readonly buf: Float64Array;
  private next = 0;
  size = 0;
  sum = 0;
  sumSq = 0;
  constructor(capacity: number) {
    this.buf = new Float64Array(capacity);
  }
  push(x: number): void {
    if (this.size === this.buf.length) {
      const old = this.buf[this.next];
      this.sum -= old;
      this.sumSq -= old * old;
    } else this.size++;
    this.buf[this.next] = x;
    this.sum += x;
    this.sumSq += x * x;
    this.next = (this.next + 1) % this.buf.length;
  }
  mean(): number {
    return this.size ? this.sum / this.size : 0;
  }
  std(): number {
    if (this.size < 2) return 0;
    const m = this.mean();
    return Math.sqrt(Math.max(0, this.sumSq / this.size - m * m));
  }
  /** Recomputes the running sums (float drift). */
  resync(): void {
    let s = 0;
    let q = 0;
    for (let i = 0; i < this.size; i++) {
      s += this.buf[i];
      q += this.buf[i] * this.buf[i];
    }
    this.sum = s;
    this.sumSq = q;
  }
}

/**
 * The last `capacity` scores, kept sorted: tail probability of a new score as the share of past
 * scores at least as high, with an exponential tail (mean excess) beyond the 90th percentile.
 */
export class EmpiricalTail {
  private readonly fifo: Float64Array;
  private readonly sorted: number[] = [];
  private next = 0;
  constructor(capacity: number) {
    this.fifo = new Float64Array(capacity);
  }
  get size(): number {
    return this.sorted.length;
  }
  push(x: number): void {
    if (this.sorted.length === this.fifo.length) this.sorted.splice(this.lowerBound(this.fifo[this.next]), 1);
    this.fifo[this.next] = x;
    this.next = (this.next + 1) % this.fifo.length;
    this.sorted.splice(this.lowerBound(x), 0, x);
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
  /** log P(past score >= x), with the exponential tail beyond the 90th percentile. */
  logTail(x: number): number {
    const n = this.sorted.length;
    if (n === 0) return 0;
    const k = Math.floor(0.9 * (n - 1));
    const threshold = this.sorted[k];
    const share = (n - 1 - k) / n;
    if (x > threshold && share > 0) {
      let excess = 0;
      for (let i = k + 1; i < n; i++) excess += this.sorted[i] - threshold;
      const spread = Math.max(1e-9, threshold - this.sorted[n >> 1]);
      const scale = Math.max(excess / (n - 1 - k), 0.05 * spread);
      return Math.log(share) - (x - threshold) / scale;
    }
    return Math.log(Math.max(1, n - this.lowerBound(x)) / n);
  }
}

/** Per-column value transform and standardisation, frozen at each fit. */
interface Scaling {
  log: boolean[];
  center: number[];
  scale: number[];
  /** Use the weekly time context (history spans at least three weeks). */
  weekly: boolean;
  /** Use the daily time context (rows are less than a day apart). */
  daily: boolean;
}

/**
 * The online scorer. Feed rows in time order with {@link SeriesScorer.push} or
 * {@link SeriesScorer.pushMany} (same results; pushMany scores the rows between two fits in one batch).
 */
export class SeriesScorer {
  readonly options: Readonly<Resolved>;
  private readonly values: number[][] = [];
  private readonly stamps: number[] = [];
  /** Index (in all rows seen) of values[0]. */
  private offset = 0;
  private seen = 0;
  private last: number[];
  private vae: Vae | null = null;
  private scaling: Scaling | null = null;
  private lastFit = 0;
  private fits = 0;
  private readonly recentRaw: Ring;
  private readonly history: Ring;
  private readonly empirical: EmpiricalTail;
  private readonly welford: Array<{ n: number; mean: number; m2: number }>;
  private cooldown = 0;
  private cooldownZ = 0;

  /** Use {@link SeriesScorer.create} (initialises the TensorFlow.js backend). */
  constructor(options: SeriesScorerOptions) {
    this.options = resolve(options);
    this.last = new Array<number>(this.options.columns).fill(0);
    this.recentRaw = new Ring(this.options.averagingWindow);
    this.history = new Ring(this.options.historyRows);
    this.empirical = new EmpiricalTail(this.options.historyRows);
    this.welford = Array.from({ length: this.options.columns }, () => ({ n: 0, mean: 0, m2: 0 }));
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

  /** Fits so far (first fit plus refits). */
  get fitCount(): number {
    return this.fits;
  }

  /** Scores one row, then learns from it. */
  push(row: SeriesRow): SeriesScore {
    return this.pushMany([row])[0];
  }

  /**
   * Scores rows in order, learning from each after scoring it.
   * @throws SeriesInputError when a row has the wrong number of values or a bad timestamp
   */
  pushMany(rows: readonly SeriesRow[]): SeriesScore[] {
    const out: SeriesScore[] = [];
    let pending: number[] = [];
    for (const row of rows) {
      this.accept(row);
      pending.push(this.seen - 1);
      const due = this.vae ? this.seen - this.lastFit >= this.options.refitEvery : this.seen >= this.options.warmupRows;
      if (due) {
        out.push(...this.scoreRows(pending));
        pending = [];
        this.fit();
      }
    }
    out.push(...this.scoreRows(pending));
    this.trim();
    return out;
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.vae?.dispose();
    this.vae = null;
  }

  private accept(row: SeriesRow): void {
    const { columns } = this.options;
    if (!row || row.values.length !== columns) throw new SeriesInputError(`row ${this.seen + 1}: expected ${columns} values, got ${row?.values.length}`);
    if (!Number.isFinite(row.timestamp)) throw new SeriesInputError(`row ${this.seen + 1}: timestamp is not a number`);
    const v = row.values.map((x, c) => (Number.isFinite(x) ? x : this.last[c]));
    this.last = v;
    this.values.push(v);
    this.stamps.push(row.timestamp);
    this.seen++;
  }

  /** Drops rows no fit or feature needs any more. */
  private trim(): void {
    const keep = this.options.trainRows + Math.max(this.options.context, ...this.options.aggregates) + 1;
    const extra = this.values.length - keep;
    if (extra > 1000) {
      this.values.splice(0, extra);
      this.stamps.splice(0, extra);
      this.offset += extra;
    }
  }

  private valueAt(index: number, c: number): number {
    const i = Math.max(this.offset, index) - this.offset;
    return this.values[i][c];
  }

  /** Feature vector of row `index` (absolute) under `s`, written at `out[at]`. */
  private features(index: number, s: Scaling, out: Float32Array, at: number): void {
    const { columns, context, aggregates } = this.options;
    let k = at;
    const t = (i: number, c: number): number => {
      const raw = this.valueAt(Math.max(0, i), c);
      return ((s.log[c] ? Math.log1p(Math.max(0, raw)) : raw) - s.center[c]) / s.scale[c];
    };
    for (let c = 0; c < columns; c++) {
      for (let j = 0; j < context; j++) out[k++] = t(index - j, c);
      for (const n of aggregates) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += t(index - j, c);
        out[k++] = sum / n;
      }
    }
  }

  /** Width of the feature vector. */
  private get width(): number {
    return this.options.columns * (this.options.context + this.options.aggregates.length);
  }

  private time(index: number, s: Scaling, out: Float32Array, at: number): void {
    timeContext(this.stamps[index - this.offset], out, at);
    if (!s.daily) for (let j = 0; j < 4; j++) out[at + j] = 0;
    if (!s.weekly) {
      out[at + 4] = 0;
      out[at + 5] = 0;
    }
  }

  /** Scores rows (absolute indices, ascending) with the current model, then calibrates in order. */
  private scoreRows(indices: number[]): SeriesScore[] {
    if (indices.length === 0) return [];
    let raws: Float64Array | null = null;
    if (this.vae && this.scaling) {
      const width = this.vae.features;
      const x = new Float32Array(indices.length * width);
      const time = new Float32Array(indices.length * TIME_CONTEXT);
      indices.forEach((idx, r) => {
        this.features(idx, this.scaling!, x, r * width);
        this.time(idx, this.scaling!, time, r * TIME_CONTEXT);
      });
      const s = this.vae.score({ x, time, partition: new Int32Array(indices.length), n: indices.length });
      raws = s.logLikelihood.map((ll) => -ll);
    }
    return indices.map((idx, r) => (raws ? this.calibrate(idx, raws[r]) : this.fallback(idx)));
  }

  /** Statistical fallback before the first fit: the largest |z| of a value against earlier values. */
  private fallback(index: number): SeriesScore {
    let zMax = 0;
    this.welford.forEach((w, c) => {
      const x = this.valueAt(index, c);
      if (w.n >= 20) {
        const sd = Math.sqrt(w.m2 / (w.n - 1));
        const z = Math.abs(x - w.mean) / Math.max(sd, 1e-9 + 1e-6 * Math.abs(w.mean));
        zMax = Math.max(zMax, z);
      }
      w.n++;
      const d = x - w.mean;
      w.mean += d / w.n;
      w.m2 += d * (x - w.mean);
    });
    const ready = this.welford[0].n > 20;
    const probability = ready ? this.probabilityOf(zMax, 2 * this.options.columns) : 0.5;
    return { timestamp: this.stamps[index - this.offset], probability, raw: Number.NaN, z: zMax, phase: 'warmup' };
  }

  /** Maps z to a probability: 1 - tail^k with tail^k = 0.05 at `alertTail` (tail: one-sided, times `tests`). */
  private probabilityOf(z: number, tests = 1): number {
    const logTail = Math.min(0, logNormalTail(z) + Math.log(tests));
    const k = Math.log(1 - SERIES_ALERT_LEVEL) / Math.log(this.options.alertTail);
    return Math.max(0, Math.min(1, -Math.expm1(k * logTail)));
  }

  /** Tail probability of the short-term average raw score against the history, then the cooldown. */
  private calibrate(index: number, raw: number): SeriesScore {
    this.recentRaw.push(raw);
    const m = this.recentRaw.mean();
    const ready = this.addToHistory(m);
    let z = ready.z;
    let probability = ready.ready ? this.probabilityOf(z) : 0.5;
    if (this.options.cooldownRows > 0) {
      if (this.cooldown > 0) {
        this.cooldown--;
        if (this.options.strictCooldown || z <= this.cooldownZ) probability = Math.min(probability, SERIES_ALERT_LEVEL - 1e-3 * (1 - probability));
        else this.cooldownZ = z;
      } else if (probability >= SERIES_ALERT_LEVEL) {
        this.cooldown = this.options.cooldownRows;
        this.cooldownZ = z;
      }
    }
    return { timestamp: this.stamps[index - this.offset], probability, raw, z, phase: 'model' };
  }

  /** z (normal-equivalent) of `m` against the history before it, then adds it. */
  private addToHistory(m: number): { z: number; ready: boolean } {
    let z = 0;
    let ready = false;
    if (this.options.calibration === 'normal') {
      const h = this.history;
      if (h.size >= 20) {
        const sd = Math.max(h.std(), 1e-3 * Math.abs(h.mean()) + 1e-6);
        z = (m - h.mean()) / sd;
        ready = true;
      }
      h.push(m);
      if ((this.seen & 1023) === 0) h.resync();
    } else {
      const e = this.empirical;
      if (e.size >= 20) {
        z = zOfLogTail(e.logTail(m));
        ready = true;
      }
      e.push(m);
    }
    return { z, ready };
  }

  /** Scaling from the rows of the training span. */
  private fitScaling(from: number, to: number): Scaling {
    const { columns, transform } = this.options;
    const log: boolean[] = [];
    const center: number[] = [];
    const scale: number[] = [];
    for (let c = 0; c < columns; c++) {
      const xs: number[] = [];
      for (let i = from; i < to; i++) xs.push(this.valueAt(i, c));
      let useLog = transform === 'log';
      if (transform === 'auto') {
        // Decided once, at the first fit: non-negative and right-skewed (volumes, bytes, counts).
        useLog = this.scaling ? this.scaling.log[c] : autoLog(xs);
      }
      const ts = useLog ? xs.map((x) => Math.log1p(Math.max(0, x))) : xs;
      const mean = ts.reduce((a, b) => a + b, 0) / Math.max(1, ts.length);
      const sd = Math.sqrt(ts.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, ts.length));
      log.push(useLog);
      center.push(mean);
      scale.push(Math.max(sd, 1e-6 + 1e-3 * Math.abs(mean)));
    }
    const span = this.stamps[to - 1 - this.offset] - this.stamps[from - this.offset];
    const step = span / Math.max(1, to - from - 1);
    return { log, center, scale, weekly: span >= 21 * DAY_MS, daily: step < DAY_MS / 4 };
  }

  /** First fit or warm-start refit on the most recent `trainRows` rows. */
  private fit(): void {
    const { trainRows, firstFitSteps, refitSteps, hp } = this.options;
    const to = this.seen;
    const from = Math.max(this.offset, to - trainRows);
    const n = to - from;
    this.scaling = this.fitScaling(from, to);
    const width = this.width;
    const x = new Float32Array(n * width);
    const time = new Float32Array(n * TIME_CONTEXT);
    for (let r = 0; r < n; r++) {
      this.features(from + r, this.scaling, x, r * width);
      this.time(from + r, this.scaling, time, r * TIME_CONTEXT);
    }
    const first = this.vae === null;
    this.vae ??= Vae.create(hp, 1, { features: width });
    const steps = first ? firstFitSteps : refitSteps;
    const epochs = Math.max(1, Math.ceil(steps / Math.ceil(n / hp.batchSize)));
    const data = { x, time, partition: new Int32Array(n), n };
    this.vae.fit(data, undefined, { epochs, minSteps: 0, klWarmup: first, seed: hp.seed + this.fits * 7919 });
    this.fits++;
    this.lastFit = to;
    if (first && this.options.seedHistory) {
      const raws = this.vae.score(data).logLikelihood;
      for (let r = 0; r < n; r++) {
        this.recentRaw.push(-raws[r]);
        this.addToHistory(this.recentRaw.mean());
      }
    }
  }
}

/** The z whose normal upper tail has log probability `logTail` (<= 0). */
export function zOfLogTail(logTail: number): number {
  if (logTail >= Math.log(0.5)) return 0;
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (logNormalTail(mid) > logTail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** True for a non-negative, right-skewed sample (a log scale suits it better). */
function autoLog(xs: readonly number[]): boolean {
  if (xs.length < 10 || xs.some((x) => x < 0)) return false;
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
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
 * Scores a whole series online (each row from the rows before it only).
 * @throws SeriesInputError when rows disagree on the number of values
 */
export async function scoreSeries(rows: readonly SeriesRow[], options: ScoreSeriesOptions = {}): Promise<SeriesScore[]> {
  if (rows.length === 0) return [];
  const scorer = await SeriesScorer.create({ ...options, columns: rows[0].values.length });
  const block = options.blockRows ?? 500;
  const out: SeriesScore[] = [];
  try {
    for (let i = 0; i < rows.length; i += block) {
      out.push(...scorer.pushMany(rows.slice(i, i + block)));
      options.onProgress?.(Math.min(rows.length, i + block), rows.length);
    }
  } finally {
    scorer.dispose();
  }
  return out;
}
