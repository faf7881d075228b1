/**
 * Early-warning benchmark ("Log Anomaly Predicted"): lead time and false warnings on ramp and
 * slow-burn incidents, through the real pure pipeline.
 *
 * A few partitions of the synthetic services (functions/core/synth) log a week of history, from
 * which templates, window features and baseline profiles are learned exactly as the demo does
 * (core/offline learnHistory, profileFromLearned). A live stretch follows with incidents that
 * build up rather than strike at once: latency degradations (ramp), slow burns (latency creeping up
 * over hours), error bursts that ramp in, slow error burns, and traffic surges that ramp up. Each
 * live minute goes through the scorer's path (parse, template, aggregate: core/pipeline), the
 * window detectors (core/scoring, incident grouping) and the early-warning core
 * (core/early-warning), in time order per partition, as the window closer runs them.
 *
 * Reported: per warning that came true, the lead time (minutes from the warning to the first
 * detection or confirmed crossing: median, p10, p90); the share of warnings that never came true
 * (expired); per incident, whether a warning on the incident's feature family came before the
 * first detection, and by how many minutes; warnings per clean partition-day.
 *
 * Run directly: `npx tsx bench/early-warning.ts [--list]` (`--list` prints every warning).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { learnHistory, profileFromLearned } from '../functions/core/offline';
import { DEFAULT_PARTITION_RULES, partitionOf as partitionOfGroup } from '../functions/core/partition';
import { aggregate, contextFromProfile, processEvent, type PartitionContext, type ProcessedEvent } from '../functions/core/pipeline';
import { emptyPartial, windowFeatures } from '../functions/core/features';
import { scoreWindow } from '../functions/core/scoring';
import { groupWindow, type Incident } from '../functions/core/incidents';
import { observeWindow, type EarlyWarningOptions, type EarlyWarningState, type Prediction } from '../functions/core/early-warning';
import { generateEvents } from '../functions/core/synth/generator';
import { labelsFor, type IncidentKind, type IncidentLabel, type IncidentSpec } from '../functions/core/synth/incidents';
import { matchesIncident } from '../functions/core/synth/report';
import { DEFAULT_SERVICES, withOverrides } from '../functions/core/synth/services';
import type { AnomalyKind, Profile, WindowFeatures } from '../functions/core/types';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Options of {@link runEarlyWarningBench}. */
export interface EarlyWarningBenchOptions {
  /** Days of history the profiles learn from (default 7: every hour-of-week slot). */
  historyDays?: number;
  /** Days of live traffic with incidents (default 2). */
  liveDays?: number;
  /** Generator scale (default 1: about 40 events a minute per partition at the daily mean). */
  scale?: number;
  seed?: number;
  /** Early-warning options (default: the core's defaults). */
  earlyWarning?: Partial<EarlyWarningOptions>;
  log?: (line: string) => void;
}

/** One injected incident and what happened to it. */
export interface IncidentOutcome {
  partition: string;
  scenario: string;
  kind: IncidentKind;
  start: string;
  durationMinutes: number;
  /** Minutes from the incident start to its first anomalous window (null: missed). */
  detectedAfterMinutes: number | null;
  /** Minutes from the incident start to the first warning on its feature family before detection (null: none). */
  warnedAfterMinutes: number | null;
  /** Minutes the warning came before the first detection (null without one). */
  warnedBeforeDetectionMinutes: number | null;
  /** Feature of that warning. */
  warningFeature?: string;
}

/** One warning, compactly. */
export interface WarningRecord {
  partition: string;
  feature: string;
  direction: string;
  issuedAt: string;
  /** Minutes from the warning to the predicted crossing. */
  predictedInMinutes: number;
  probability: number;
  status: Prediction['status'];
  by?: string;
  leadMinutes?: number;
  /** The incident it fell in (scenario name), if any. */
  incident?: string;
}

/** Whole benchmark result. */
export interface EarlyWarningBenchResult {
  partitions: string[];
  historyDays: number;
  liveDays: number;
  scale: number;
  historyEvents: number;
  liveEvents: number;
  liveWindows: number;
  seconds: number;
  options: Partial<EarlyWarningOptions>;
  warnings: {
    opened: number;
    cameTrue: number;
    expired: number;
    /** Still open at the end of the live stretch (not counted either way). */
    pending: number;
    /** expired / (cameTrue + expired). */
    neverCameTrueShare: number;
    /** came_true by a detector vs by a confirmed crossing. */
    byDetector: number;
    byCrossing: number;
    /** Minutes from warning to confirmation, over the warnings that came true. */
    leadMinutes: { median: number | null; p10: number | null; p90: number | null };
    /** Warnings opened during an injected incident (from its start to 30 min after its end): ground truth says something was wrong. */
    duringIncident: number;
    /** Warnings opened outside every incident (start - 30 min .. end + 30 min), per clean partition-day. */
    outsideIncidentsPerPartitionDay: number;
    /** Every warning: where, when, on what, and how it ended. */
    list: WarningRecord[];
  };
  incidents: {
    total: number;
    detected: number;
    /** Detected incidents with a warning on their feature family before their first detection. */
    warnedBeforeDetection: number;
    /** warnedBeforeDetection / detected. */
    warnedBeforeDetectionShare: number;
    /** Incidents the detectors missed that had a warning on their feature family. */
    warnedUndetected: number;
    /** Minutes between that warning and the first detection. */
    leadBeforeDetectionMinutes: { median: number | null; p10: number | null; p90: number | null };
    list: IncidentOutcome[];
  };
}

/** The services and regions used: one partition each, different formats and rates. */
const PARTITIONS: ReadonlyArray<{ service: string; region: string }> = [
  { service: 'checkout', region: 'us-east-1' },
  { service: 'payments', region: 'eu-west-1' },
  { service: 'gateway', region: 'us-east-1' },
];

/** The incidents each partition gets, in order, with the live minute offset of each. */
const PLAN: ReadonlyArray<{ scenario: string; kind: IncidentKind; shape: 'ramp'; magnitude: number; minutes: number }> = [
  { scenario: 'latency-degradation', kind: 'latency', shape: 'ramp', magnitude: 6, minutes: 30 },
  { scenario: 'slow-burn', kind: 'latency', shape: 'ramp', magnitude: 2.5, minutes: 240 },
  { scenario: 'error-burst (ramp)', kind: 'error_burst', shape: 'ramp', magnitude: 0.25, minutes: 45 },
  { scenario: 'slow error burn', kind: 'error_burst', shape: 'ramp', magnitude: 0.1, minutes: 180 },
  { scenario: 'traffic surge (ramp)', kind: 'flood', shape: 'ramp', magnitude: 3, minutes: 60 },
];

/** Feature families a warning must be on to count for an incident kind. */
const FAMILY: Record<IncidentKind, readonly string[]> = {
  latency: ['latencyP50', 'latencyP95', 'latencyP99'],
  error_burst: ['errorRate'],
  error_burst_latency: ['errorRate', 'latencyP50', 'latencyP95'],
  flood: ['count', 'bytes'],
  silent: ['count', 'bytes'],
  new_error_template: ['errorRate'],
};

/** Quantile of a sorted list (nearest rank), null when empty. */
function pct(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
const spread = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return { median: pct(s, 0.5), p10: pct(s, 0.1), p90: pct(s, 0.9) };
};

/** The incidents of the live stretch: each partition runs the plan, spaced and staggered. */
function planIncidents(liveStart: number, liveDays: number): Array<IncidentSpec & { scenario: string }> {
  const out: Array<IncidentSpec & { scenario: string }> = [];
  const slot = Math.floor((liveDays * DAY) / PLAN.length);
  PARTITIONS.forEach((p, i) => {
    PLAN.forEach((inc, k) => {
      // Spread over the live days at different hours per partition; 3 h of calm before each.
      const start = liveStart + k * slot + 3 * HOUR + i * 97 * MINUTE;
      out.push({ kind: inc.kind, service: p.service, region: p.region, start, durationMs: inc.minutes * MINUTE, magnitude: inc.magnitude, shape: inc.shape, scenario: inc.scenario });
    });
  });
  return out;
}

/** Runs the benchmark. */
export async function runEarlyWarningBench(options: EarlyWarningBenchOptions = {}): Promise<EarlyWarningBenchResult> {
  const log = options.log ?? (() => {});
  const historyDays = options.historyDays ?? 7;
  const liveDays = options.liveDays ?? 2;
  const scale = options.scale ?? 1;
  const seed = options.seed ?? 20261116;
  const started = Date.now();
  const services = PARTITIONS.map((p) => withOverrides(DEFAULT_SERVICES.find((s) => s.name === p.service)!, { regions: [p.region] }));
  // A Monday 00:00 UTC, so history covers every hour of the week once.
  const historyStart = Date.UTC(2026, 10, 2);
  const liveStart = historyStart + historyDays * DAY;
  const liveEnd = liveStart + liveDays * DAY;

  let historyEvents = 0;
  const learned = learnHistory(
    function* () {
      historyEvents = 0;
      for (const e of generateEvents({ services, start: historyStart, end: liveStart, seed, scale })) {
        historyEvents++;
        yield e;
      }
    },
    { rules: DEFAULT_PARTITION_RULES, defaultRegion: 'us-east-1' },
  );
  const profiles = new Map<string, Profile>();
  for (const l of learned.values()) profiles.set(l.partition, profileFromLearned(l, liveStart));
  log(`  history: ${historyEvents.toLocaleString('en-US')} events, ${historyDays} days -> ${profiles.size} profiles (${((Date.now() - started) / 1000).toFixed(0)} s)`);

  const planned = planIncidents(liveStart, liveDays);
  const labels = labelsFor(planned);
  const contexts = new Map<string, PartitionContext>();
  const processed: ProcessedEvent[] = [];
  let liveEvents = 0;
  for (const e of generateEvents({ services, start: liveStart, end: liveEnd, seed: seed + 1, scale, incidents: planned })) {
    const partition = partitionOfGroup(e.logGroup, DEFAULT_PARTITION_RULES, 'us-east-1').key;
    const profile = profiles.get(partition);
    if (!profile) continue;
    let ctx = contexts.get(partition);
    if (!ctx) contexts.set(partition, (ctx = contextFromProfile(profile)));
    processed.push(processEvent(e, partition, ctx));
    liveEvents++;
  }
  const byWindow = new Map<string, WindowFeatures>();
  for (const [key, partial] of aggregate(processed)) byWindow.set(key, windowFeatures(partial));
  processed.length = 0;

  // Score every live minute of every partition in order, as the window closer does.
  const opened: Prediction[] = [];
  const resolved: Prediction[] = [];
  const anomalies: Array<{ partition: string; windowStart: number; kind: AnomalyKind }> = [];
  let pending = 0;
  let liveWindows = 0;
  for (const [partition, profile] of [...profiles.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    let recent: WindowFeatures[] = [];
    let rolling: Record<string, unknown> = {};
    let incidents: Partial<Record<AnomalyKind, Incident>> = {};
    let warning: EarlyWarningState | undefined;
    for (let t = liveStart; t < liveEnd; t += MINUTE) {
      const w = byWindow.get(`${partition}|${t}`) ?? windowFeatures(emptyPartial(partition, t));
      const r = scoreWindow(w, { profile, recent, rolling: rolling as never }, { now: t + MINUTE });
      rolling = r.rolling as Record<string, unknown>;
      recent = [...recent, w].slice(-15);
      if (r.anomaly) anomalies.push({ partition, windowStart: t, kind: r.anomaly.kind });
      incidents = groupWindow(incidents, t, r.anomaly).incidents;
      const o = observeWindow(warning, w, { profile, anomaly: r.anomaly, openKinds: Object.keys(incidents) as AnomalyKind[] }, options.earlyWarning);
      warning = o.state;
      for (const c of o.changes) (c.change === 'opened' ? opened : resolved).push(c.prediction);
      liveWindows++;
    }
    pending += Object.keys(warning?.open ?? {}).length;
  }

  const cameTrue = resolved.filter((p) => p.status === 'came_true');
  const expired = resolved.filter((p) => p.status === 'expired');
  const near = (p: Prediction, l: IncidentLabel): boolean => p.partition === l.partition && p.issuedAt >= l.start - 30 * MINUTE && p.issuedAt <= l.end + 30 * MINUTE;
  const outside = opened.filter((p) => !labels.some((l) => near(p, l)));
  // Clean partition-days: live time outside every incident +-30 min.
  let dirty = 0;
  for (const l of labels) dirty += l.end - l.start + 60 * MINUTE;
  const cleanDays = (profiles.size * liveDays * DAY - dirty) / DAY;

  const outcomes: IncidentOutcome[] = planned.map((spec) => {
    const l = labelsFor([spec])[0];
    const first = anomalies.filter((a) => matchesIncident(l, a)).sort((a, b) => a.windowStart - b.windowStart)[0];
    const detectedAt = first?.windowStart;
    const family = FAMILY[spec.kind];
    const warn = opened
      .filter((p) => p.partition === l.partition && family.includes(p.feature) && p.issuedAt >= l.start && p.issuedAt < (detectedAt ?? l.end + 5 * MINUTE))
      .sort((a, b) => a.issuedAt - b.issuedAt)[0];
    return {
      partition: l.partition,
      scenario: spec.scenario,
      kind: spec.kind,
      start: new Date(l.start).toISOString(),
      durationMinutes: Math.round(spec.durationMs / MINUTE),
      detectedAfterMinutes: detectedAt === undefined ? null : Math.round((detectedAt - l.start) / MINUTE),
      warnedAfterMinutes: warn ? Math.round((warn.issuedAt - l.start) / MINUTE) : null,
      warnedBeforeDetectionMinutes: warn && detectedAt !== undefined ? Math.round((detectedAt - warn.issuedAt) / MINUTE) : null,
      ...(warn ? { warningFeature: warn.feature } : {}),
    };
  });
  const warned = outcomes.filter((o) => o.warnedBeforeDetectionMinutes !== null);
  const detected = outcomes.filter((o) => o.detectedAfterMinutes !== null).length;
  const resolvedCount = cameTrue.length + expired.length;
  return {
    partitions: [...profiles.keys()].sort(),
    historyDays,
    liveDays,
    scale,
    historyEvents,
    liveEvents,
    liveWindows,
    seconds: (Date.now() - started) / 1000,
    options: options.earlyWarning ?? {},
    warnings: {
      opened: opened.length,
      cameTrue: cameTrue.length,
      expired: expired.length,
      pending,
      neverCameTrueShare: resolvedCount ? expired.length / resolvedCount : 0,
      byDetector: cameTrue.filter((p) => p.resolution?.by === 'detector').length,
      byCrossing: cameTrue.filter((p) => p.resolution?.by === 'crossing').length,
      leadMinutes: spread(cameTrue.map((p) => p.resolution?.leadMinutes ?? 0)),
      duringIncident: opened.filter((p) => labels.some((l) => p.partition === l.partition && p.issuedAt >= l.start && p.issuedAt <= l.end + 30 * MINUTE)).length,
      outsideIncidentsPerPartitionDay: cleanDays > 0 ? outside.length / cleanDays : 0,
      list: opened.map((p) => {
        const end = resolved.find((x) => x.id === p.id);
        const inc = planned.find((spec) => near(p, labelsFor([spec])[0]));
        return {
          partition: p.partition,
          feature: p.feature,
          direction: p.direction,
          issuedAt: new Date(p.issuedAt).toISOString(),
          predictedInMinutes: Math.round((p.crossingAt - p.issuedAt) / MINUTE),
          probability: Number(p.probability.toFixed(3)),
          status: end?.status ?? 'open',
          ...(end?.resolution?.by ? { by: end.resolution.by } : {}),
          ...(end?.resolution?.leadMinutes !== undefined ? { leadMinutes: end.resolution.leadMinutes } : {}),
          ...(inc ? { incident: inc.scenario } : {}),
        };
      }),
    },
    incidents: {
      total: outcomes.length,
      detected,
      warnedBeforeDetection: warned.length,
      warnedBeforeDetectionShare: detected ? warned.length / detected : 0,
      warnedUndetected: outcomes.filter((o) => o.detectedAfterMinutes === null && o.warnedAfterMinutes !== null).length,
      leadBeforeDetectionMinutes: spread(warned.map((o) => o.warnedBeforeDetectionMinutes as number)),
      list: outcomes,
    },
  };
}

const fmtMin = (x: number | null): string => (x === null ? '-' : `${x}`);
const pctOf = (x: number): string => `${(100 * x).toFixed(0)}%`;

/** Prints a result table. */
export function printEarlyWarningResult(r: EarlyWarningBenchResult, print: (line: string) => void = (l) => console.log(l)): void {
  print(`  ${r.partitions.length} partitions (${r.partitions.join(', ')}), ${r.historyDays} days of history, ${r.liveDays} live days (${r.liveWindows.toLocaleString('en-US')} windows, ${r.liveEvents.toLocaleString('en-US')} events)`);
  print(`  ${'incident'.padEnd(22)} ${'partition'.padEnd(20)} ${'length'.padStart(6)}  detected  warned  warning before detection`);
  for (const o of r.incidents.list) {
    const before = o.warnedBeforeDetectionMinutes !== null ? `${o.warnedBeforeDetectionMinutes} min (${o.warningFeature})` : o.warnedAfterMinutes !== null ? `yes, not detected (${o.warningFeature})` : '-';
    print(`  ${o.scenario.padEnd(22)} ${o.partition.padEnd(20)} ${`${o.durationMinutes}m`.padStart(6)}  ${`+${fmtMin(o.detectedAfterMinutes)}`.padStart(8)}  ${`+${fmtMin(o.warnedAfterMinutes)}`.padStart(6)}  ${before}`);
  }
  const w = r.warnings;
  const i = r.incidents;
  print(`  detected ${i.detected}/${i.total} incidents; warned before their detection: ${i.warnedBeforeDetection}/${i.detected} (${pctOf(i.warnedBeforeDetectionShare)}), by a median ${fmtMin(i.leadBeforeDetectionMinutes.median)} min (p10 ${fmtMin(i.leadBeforeDetectionMinutes.p10)}, p90 ${fmtMin(i.leadBeforeDetectionMinutes.p90)}); warned though never detected: ${i.warnedUndetected}`);
  print(`  warnings: ${w.opened} opened, ${w.cameTrue} came true (${w.byDetector} by a detector, ${w.byCrossing} by a confirmed crossing), ${w.expired} expired, ${w.pending} pending; never came true ${pctOf(w.neverCameTrueShare)}`);
  print(`  warnings during an injected incident (ground truth): ${w.duringIncident}/${w.opened}`);
  print(`  lead time to the detection/crossing: median ${fmtMin(w.leadMinutes.median)} min, p10 ${fmtMin(w.leadMinutes.p10)}, p90 ${fmtMin(w.leadMinutes.p90)}; warnings outside incidents ${w.outsideIncidentsPerPartitionDay.toFixed(2)} per clean partition-day`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runEarlyWarningBench({ log: (l) => console.log(l) }).then(
    (r) => {
      printEarlyWarningResult(r);
      if (process.argv.includes('--list')) for (const w of r.warnings.list) console.log(`  ${JSON.stringify(w)}`);
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
