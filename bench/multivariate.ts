/**
 * Multivariate benchmark: what the one conditional VAE catches that per-feature bands cannot.
 *
 * Trains AnomalyModel on 4 partitions x 7 days of synthetic 1-minute windows (synthWindows, bursty load: latency
 * and errors rise with load, bytes follow volume) and builds one statistical profile per partition
 * from the same windows. On two fresh days it injects two kinds of incidents into a labelled set:
 *
 * - combination incidents: every feature stays inside its own seasonal band (verified: |z| < 3 per
 *   feature with featureZ, the band detector's own statistic), but the combination is abnormal
 *   (volume at the slot's low end while latency is at its high end; errors and latency both
 *   moderately up; bytes per event far off while count and bytes are each in band; p50 up while
 *   the p95/p99 tail collapses);
 * - single-feature incidents: an error burst, latency x3, a volume drop, a volume spike.
 *
 * For both the VAE (anomalyProbability) and the seasonalBand detector (its score): average
 * precision, recall and false-positive rate at 0.95, and recall per incident type.
 *
 * Run directly: `npx tsx bench/multivariate.ts`.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../models/backend';
import { AnomalyModel } from '../models/model';
import { DEFAULT_HYPERPARAMETERS } from '../models/vae';
import { synthWindows } from '../functions/core/synth/windows';
import { buildProfile } from '../functions/core/profile';
import { seasonalBand, featureZ } from '../functions/core/detectors/seasonalBand';
import { expected, type DetectorContext } from '../functions/core/detectors/context';
import { holdoutMetrics, type HoldoutMetrics } from '../functions/core/evaluation';
import { mulberry32 } from '../functions/core/random';
import { FEATURE_NAMES, type FeatureName, type WindowFeatures } from '../functions/core/types';
import type { ModelWindow } from '../functions/core/model-contract';

/** One incident type's recall for both detectors. */
export interface IncidentTypeResult {
  type: string;
  incidents: number;
  vaeRecall: number;
  bandRecall: number;
}

/** One table: a labelled set (normal windows + incidents of some types). */
export interface MultivariateTable {
  incidents: number;
  normalWindows: number;
  vae: HoldoutMetrics;
  band: HoldoutMetrics;
  perType: IncidentTypeResult[];
  /** Combination table only: how far inside the bands the incidents are. */
  inBand?: { candidates: number; kept: number; maxAbsZMedian: number; maxAbsZMax: number };
}

/** Whole benchmark result. */
export interface MultivariateBenchResult {
  partitions: number;
  trainingDays: number;
  burstiness: number;
  trainingWindows: number;
  trainingSeconds: number;
  combination: MultivariateTable;
  single: MultivariateTable;
}

/** Options of {@link runMultivariateBench}. */
export interface MultivariateBenchOptions {
  partitions?: number;
  trainingDays?: number;
  testDays?: number;
  /** Incidents per type (default 100). */
  perType?: number;
  /**
   * Minute-to-minute load burstiness of the synthetic windows (synthWindows; default 0.35): bands
   * within an hour are wide while the features stay tied to the load.
   */
  burstiness?: number;
  seed?: number;
  log?: (line: string) => void;
}

type Features = Record<FeatureName, number>;
type Stat = ReturnType<typeof expected>;

/** A value k "band half-widths" from the slot median toward its p95 (up) or p05 (down). */
function toward(s: Stat, side: 'up' | 'down', k: number): number {
  return side === 'up' ? s.median + k * (s.p95 - s.median) : Math.max(0, s.median - k * (s.median - s.p05));
}

/** Keeps the window's rate features consistent with its (possibly changed) counts. */
function withErrors(f: Features, rate: number, rate5xx: number): void {
  f.errorCount = Math.round(rate * f.count);
  f.errorRate = f.count > 0 ? f.errorCount / f.count : 0;
  f.status5xxRate = f.count > 0 ? Math.min(f.errorRate, Math.round(rate5xx * f.count) / f.count) : 0;
}

/** Combination incidents: each changes features to in-band values whose combination is abnormal. */
const COMBINATIONS: Record<string, (f: Features, at: (x: FeatureName) => Stat, k: number) => void> = {
  'volume low, latency high': (f, at, k) => {
    const perEvent = f.count > 0 ? f.bytes / f.count : 220;
    f.count = Math.round(toward(at('count'), 'down', k));
    f.bytes = f.count * perEvent;
    f.latencyP50 = toward(at('latencyP50'), 'up', k);
    f.latencyP95 = toward(at('latencyP95'), 'up', k);
    f.latencyP99 = toward(at('latencyP99'), 'up', k);
  },
  'errors and latency both up': (f, at, k) => {
    withErrors(f, toward(at('errorRate'), 'up', k), toward(at('status5xxRate'), 'up', k));
    f.latencyP50 = toward(at('latencyP50'), 'up', k);
    f.latencyP95 = toward(at('latencyP95'), 'up', k);
    f.latencyP99 = toward(at('latencyP99'), 'up', k);
  },
  'bytes per event off': (f, at, k) => {
    const rate = f.count > 0 ? f.errorRate : 0;
    f.count = Math.round(toward(at('count'), 'up', k));
    f.bytes = toward(at('bytes'), 'down', k);
    withErrors(f, rate, f.status5xxRate);
  },
  'p50 up, tail collapsed': (f, at, k) => {
    f.latencyP50 = toward(at('latencyP50'), 'up', k);
    f.latencyP95 = Math.max(f.latencyP50, toward(at('latencyP95'), 'down', k));
    f.latencyP99 = Math.max(f.latencyP95, toward(at('latencyP99'), 'down', k));
  },
};

/** Single-symptom incidents: one feature (group) far outside its band. */
const SINGLES: Record<string, (f: Features) => void> = {
  'error burst (20%)': (f) => withErrors(f, 0.2, 0.15),
  'latency x3': (f) => {
    f.latencyP50 *= 3;
    f.latencyP95 *= 3;
    f.latencyP99 *= 3;
  },
  'volume drop (x0.25)': (f) => {
    const rate = f.errorRate;
    f.count = Math.round(f.count * 0.25);
    f.bytes *= 0.25;
    f.distinctTemplates = Math.min(f.distinctTemplates, f.count);
    withErrors(f, rate, f.status5xxRate);
  },
  'volume spike (x3)': (f) => {
    const rate = f.errorRate;
    f.count = Math.round(f.count * 3);
    f.bytes *= 3;
    withErrors(f, rate, f.status5xxRate);
  },
};

const asWindow = (w: ModelWindow): WindowFeatures => ({ partition: w.partition, windowStart: w.windowStart, features: w.features, templates: {}, newTemplates: {}, samples: {} });

/** Largest |z| over the features the band detector tests. */
function maxAbsZ(w: WindowFeatures, ctx: DetectorContext): number {
  let m = 0;
  for (const f of FEATURE_NAMES) {
    const r = featureZ(f, w, ctx);
    if (r) m = Math.max(m, Math.abs(r.z));
  }
  return m;
}

/** Runs the benchmark. */
export async function runMultivariateBench(options: MultivariateBenchOptions = {}): Promise<MultivariateBenchResult> {
  const log = options.log ?? (() => {});
  const partitions = ['checkout#us-east-1', 'search#us-east-1', 'auth#eu-west-1', 'catalog#eu-west-1'].slice(0, options.partitions ?? 4);
  const trainingDays = options.trainingDays ?? 7;
  const perType = options.perType ?? 100;
  const seed = options.seed ?? 1;
  await initBackend();
  const start = Date.UTC(2026, 10, 2);
  const burstiness = options.burstiness ?? 0.35;
  const training = synthWindows({ partitions, days: trainingDays, seed, start, burstiness });
  const t0 = Date.now();
  const model = AnomalyModel.train(training, { version: 'bench-multivariate', hyperparameters: DEFAULT_HYPERPARAMETERS });
  const trainingSeconds = (Date.now() - t0) / 1000;
  log(`  trained the VAE in ${trainingSeconds.toFixed(1)} s; scoring...`);
  const contexts = new Map<string, DetectorContext>(
    partitions.map((p) => [
      p,
      { profile: buildProfile({ partition: p, windows: training.filter((w) => w.partition === p).map(asWindow), templates: [], patterns: [], version: 1, builtAt: start }), recent: [], rolling: {} },
    ]),
  );
  try {
    // Fresh days right after training (same weekdays one week on); busy enough minutes only.
    const fresh = synthWindows({ partitions, days: options.testDays ?? 2, seed: seed + 100, start: start + trainingDays * 86_400_000, burstiness }).filter(
      (w) => w.features.count >= 20,
    );
    const rng = mulberry32(seed + 7);
    const pick = (): ModelWindow => fresh[Math.floor(rng() * fresh.length)];

    const combos: Array<{ w: ModelWindow; type: string }> = [];
    let candidates = 0;
    const zs: number[] = [];
    for (const [type, apply] of Object.entries(COMBINATIONS)) {
      let made = 0;
      for (let tries = 0; made < perType && tries < perType * 20; tries++) {
        const base = pick();
        const ctx = contexts.get(base.partition)!;
        candidates++;
        // As far out as the bands allow: back off toward the median until every |z| < 3.
        for (const k of [1.6, 1.3, 1.0]) {
          const f = { ...base.features };
          apply(f, (x) => expected(ctx, x, base.windowStart), k);
          const w = { ...base, features: f };
          const z = maxAbsZ(asWindow(w), ctx);
          if (z < 3) {
            combos.push({ w, type });
            zs.push(z);
            made++;
            break;
          }
        }
      }
    }
    zs.sort((a, b) => a - b);
    const singles: Array<{ w: ModelWindow; type: string }> = [];
    for (const [type, apply] of Object.entries(SINGLES)) {
      for (let i = 0; i < perType; i++) {
        const base = pick();
        const f = { ...base.features };
        apply(f);
        singles.push({ w: { ...base, features: f }, type });
      }
    }

    const vaeNormal = model.scoreWindows(fresh).map((s) => s.anomalyProbability);
    const bandScore = (w: ModelWindow): number => seasonalBand(asWindow(w), contexts.get(w.partition)!)?.score ?? 0;
    const bandNormal = fresh.map(bandScore);
    const table = (incidents: Array<{ w: ModelWindow; type: string }>): MultivariateTable => {
      const vaeInc = model.scoreWindows(incidents.map((i) => i.w)).map((s) => s.anomalyProbability);
      const bandInc = incidents.map((i) => bandScore(i.w));
      const labels = [...fresh.map(() => 0 as const), ...incidents.map(() => 1 as const)];
      const types = [...new Set(incidents.map((i) => i.type))];
      return {
        incidents: incidents.length,
        normalWindows: fresh.length,
        vae: holdoutMetrics([...vaeNormal, ...vaeInc], labels, 0.95),
        band: holdoutMetrics([...bandNormal, ...bandInc], labels, 0.95),
        perType: types.map((type) => {
          const idx = incidents.map((inc, i) => (inc.type === type ? i : -1)).filter((i) => i >= 0);
          const recall = (s: number[]): number => idx.filter((i) => s[i] >= 0.95).length / Math.max(1, idx.length);
          return { type, incidents: idx.length, vaeRecall: recall(vaeInc), bandRecall: recall(bandInc) };
        }),
      };
    };
    const combination: MultivariateTable = {
      ...table(combos),
      inBand: { candidates, kept: combos.length, maxAbsZMedian: zs[zs.length >> 1] ?? 0, maxAbsZMax: zs[zs.length - 1] ?? 0 },
    };
    return { partitions: partitions.length, trainingDays, burstiness, trainingWindows: training.length, trainingSeconds, combination, single: table(singles) };
  } finally {
    model.dispose();
  }
}

/** Prints both tables. */
export function printMultivariateResult(r: MultivariateBenchResult, print: (line: string) => void = (l) => console.log(l)): void {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(6);
  const table = (title: string, t: MultivariateTable): void => {
    print(`  ${title}: ${t.incidents} incidents among ${t.normalWindows.toLocaleString('en-US')} normal windows`);
    if (t.inBand) {
      print(`    inside the bands: ${t.inBand.kept} of ${t.inBand.candidates} candidates kept with every feature |z| < 3 (max |z| per incident: median ${t.inBand.maxAbsZMedian.toFixed(2)}, max ${t.inBand.maxAbsZMax.toFixed(2)})`);
    }
    print(`    ${'detector'.padEnd(14)} ${'AP'.padStart(6)} ${'recall'.padStart(7)} ${'FPR'.padStart(7)}   (at 0.95)`);
    for (const [name, m] of [['VAE', t.vae], ['seasonalBand', t.band]] as const) {
      print(`    ${name.padEnd(14)} ${m.averagePrecision.toFixed(3).padStart(6)} ${pct(m.recall).padStart(7)} ${`${(m.falsePositiveRate * 100).toFixed(2)}%`.padStart(7)}`);
    }
    for (const p of t.perType) print(`      ${p.type.padEnd(28)} recall VAE ${pct(p.vaeRecall)}  band ${pct(p.bandRecall)}  (${p.incidents})`);
  };
  print(`  VAE trained on ${r.trainingWindows.toLocaleString('en-US')} windows (${r.partitions} partitions x ${r.trainingDays} days, load burstiness ${r.burstiness}) in ${r.trainingSeconds.toFixed(1)} s`);
  table('combination incidents (every feature inside its band)', r.combination);
  table('single-feature incidents', r.single);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runMultivariateBench({ log: (l) => console.log(l) }).then(
    (r) => printMultivariateResult(r),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
