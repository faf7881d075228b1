/**
 * O(1) rolling mean / standard deviation (exponentially weighted), with a JSON-serialisable state
 * so the window closer can keep it in DynamoDB between invocations.
 */

/** Serialised state of a {@link RollingStats}. */
export interface RollingStatsState {
  mean: number;
  /** Exponentially weighted variance. */
  variance: number;
  /** Number of updates seen. */
  n: number;
  /** Smoothing factor in (0, 1]: weight of the newest value. */
  alpha: number;
  /** Minimum standard deviation used by {@link RollingStats.zScore}. */
  minStd: number;
  /** Timestamp (epoch ms) of the last update, when the caller provided one. */
  lastTs?: number;
}

/** Options for a new {@link RollingStats}. */
export interface RollingStatsOptions {
  /**
   * Half-life in updates (windows): after this many updates an old value weighs half.
   * Default 30 (half an hour of 1-minute windows). Ignored when `alpha` is given.
   */
  halfLife?: number;
  /** Explicit smoothing factor in (0, 1]. */
  alpha?: number;
  /** Floor of the standard deviation in z-scores (default 1e-9). */
  minStd?: number;
}

/**
 * Exponentially weighted moving mean and variance (West / Finch incremental form): each update is
 * O(1) in time and memory. `n` counts updates so callers can require a warm-up.
 */
export class RollingStats {
  private state: RollingStatsState;

  constructor(options: RollingStatsOptions = {}) {
    const alpha = options.alpha ?? 1 - Math.pow(0.5, 1 / (options.halfLife ?? 30));
    if (!(alpha > 0 && alpha <= 1)) throw new Error(`RollingStats: alpha must be in (0, 1], got ${alpha}`);
    this.state = { mean: 0, variance: 0, n: 0, alpha, minStd: options.minStd ?? 1e-9 };
  }

  /** Restores from a state produced by {@link RollingStats.toJSON}. */
  static from(state: RollingStatsState): RollingStats {
    const r = new RollingStats({ alpha: state.alpha, minStd: state.minStd });
    r.state = { ...state };
    return r;
  }

  /**
   * Adds one value. Non-finite values are ignored.
   * @param ts - optional timestamp of the value (kept as `lastTs`, lets callers detect gaps)
   */
  update(x: number, ts?: number): void {
    if (!Number.isFinite(x)) return;
    const s = this.state;
    if (ts !== undefined) s.lastTs = ts;
    if (s.n === 0) {
      s.mean = x;
      s.variance = 0;
    } else {
      const diff = x - s.mean;
      const incr = s.alpha * diff;
      s.mean += incr;
      s.variance = (1 - s.alpha) * (s.variance + diff * incr);
    }
    s.n += 1;
  }

  /** z-score of `x` against the current mean/std (std floored at `minStd`); 0 before any update. */
  zScore(x: number): number {
    if (this.state.n === 0) return 0;
    return (x - this.state.mean) / Math.max(this.std, this.state.minStd);
  }

  get mean(): number {
    return this.state.mean;
  }

  get std(): number {
    return Math.sqrt(Math.max(0, this.state.variance));
  }

  get n(): number {
    return this.state.n;
  }

  /** Timestamp of the last update (undefined when never given). */
  get lastTs(): number | undefined {
    return this.state.lastTs;
  }

  /** Forgets everything (keeps alpha and minStd). */
  reset(): void {
    this.state = { mean: 0, variance: 0, n: 0, alpha: this.state.alpha, minStd: this.state.minStd };
  }

  /** Serialisable state (a copy). */
  toJSON(): RollingStatsState {
    return { ...this.state };
  }
}
