/**
 * Synthetic window FEATURES (not log lines): fast, seeded, with the correlations real services
 * show (latency and errors rise with load, bytes follow volume). For model tests and benchmarks
 * that need weeks of 1-minute windows for many partitions in milliseconds; the log-line generator
 * (./generator) is the realistic but slower path.
 */
import { mulberry32, normal, poisson } from '../random';
import type { ModelWindow } from '../model-contract';
import type { FeatureName } from '../types';

/** Options of {@link synthWindows}. */
export interface SynthWindowsOptions {
  partitions: readonly string[];
  /** First window, epoch ms (default Mon 2026-11-02 00:00 UTC). */
  start?: number;
  days: number;
  seed: number;
  /** Mean events per minute at the daily peak, per partition (default 40..240 by partition). */
  peakPerMinute?: number;
  /**
   * Minute-to-minute burstiness of the load: standard deviation of an AR(1) log-normal factor
   * (default 0: smooth seasonal load). With bursts, every feature's band within an hour is wide while
   * the features stay tied to each other (latency and bytes follow the load): the case where only a
   * joint model sees a broken relation.
   */
  burstiness?: number;
}

const MINUTE = 60_000;

/** Daily load shape in [0.15, 1]: low at night, peak mid-afternoon UTC, lighter at weekends. */
export function loadAt(ts: number, phaseHours = 0): number {
  const d = new Date(ts);
  const h = (d.getUTCHours() + d.getUTCMinutes() / 60 + phaseHours + 24) % 24;
  const daily = 0.15 + 0.85 * Math.max(0, Math.sin((Math.PI * (h - 6)) / 14)) ** 1.5;
  const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6 ? 0.6 : 1;
  return daily * weekend;
}

/**
 * One partition's features for one minute given its load in [0,1]: count is Poisson around the
 * load; latency grows with load (queueing), errors rise slightly with load, bytes follow count.
 */
export function windowAt(rng: () => number, load: number, peak: number): Record<FeatureName, number> {
  const count = poisson(rng, peak * load);
  const errorCount = count > 0 ? poisson(rng, count * (0.004 + 0.006 * load)) : 0;
  const warn = count > 0 ? poisson(rng, count * 0.03) : 0;
  const s5 = Math.min(errorCount, poisson(rng, errorCount * 0.7));
  const s4 = count > 0 ? poisson(rng, count * 0.02) : 0;
  const p50 = count > 0 ? 40 * (1 + 1.5 * load * load) * Math.exp(0.08 * normal(rng)) : 0;
  const tail = Math.exp(0.12 * normal(rng));
  return {
    count,
    bytes: count * 220 * Math.exp(0.05 * normal(rng)),
    errorCount,
    errorRate: count ? Math.min(1, errorCount / count) : 0,
    warnRate: count ? Math.min(1, warn / count) : 0,
    status5xxRate: count ? Math.min(1, s5 / count) : 0,
    status4xxRate: count ? Math.min(1, s4 / count) : 0,
    latencyP50: p50,
    latencyP95: p50 * 2.6 * tail,
    latencyP99: p50 * 4.2 * tail * Math.exp(0.1 * normal(rng)),
    bytesP95: count > 0 ? 480 * Math.exp(0.05 * normal(rng)) : 0,
    newTemplateCount: poisson(rng, 0.01),
    distinctTemplates: count > 0 ? Math.min(count, 6 + poisson(rng, Math.sqrt(count))) : 0,
    patternViolations: poisson(rng, 0.005),
  };
}

/** Every minute of `days` days for each partition, in time order per partition. */
export function synthWindows(options: SynthWindowsOptions): ModelWindow[] {
  const start = options.start ?? Date.UTC(2026, 10, 2);
  const out: ModelWindow[] = [];
  options.partitions.forEach((partition, i) => {
    const rng = mulberry32(options.seed * 7919 + i * 104729);
    const peak = options.peakPerMinute ?? 40 + ((i * 53) % 200);
    const phase = (i % 4) - 1.5;
    const sd = options.burstiness ?? 0;
    let ar = 0;
    for (let t = start; t < start + options.days * 86_400_000; t += MINUTE) {
      // AR(1) with coefficient 0.9 and stationary standard deviation `sd`.
      ar = 0.9 * ar + sd * Math.sqrt(1 - 0.81) * (sd > 0 ? normal(rng) : 0);
      const load = Math.min(1.6, loadAt(t, phase) * Math.exp(ar - (sd * sd) / 2));
      out.push({ partition, windowStart: t, features: windowAt(rng, load, peak) });
    }
  });
  return out;
}
