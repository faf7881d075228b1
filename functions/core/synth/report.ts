/**
 * A scenario run's report, computed from its ground truth: which injected incidents were caught,
 * how fast, how many anomalies were true, and how often clean stretches raised anything.
 */
import type { IncidentLabel } from './incidents';

const MINUTE = 60_000;

/** The verdict on one injected incident. */
export interface LabelOutcome extends IncidentLabel {
  detected: boolean;
  /** Minutes from the incident's start to its first anomalous window (null when missed). */
  delayMin: number | null;
  /** Anomalous windows matched to it. */
  anomalies: number;
  /**
   * Minutes from the first early warning ("Log Anomaly Predicted" opened in the incident's partition
   * within the lead window before the first detection) to that detection; null when no warning came
   * first (or the incident was missed).
   */
  leadMin: number | null;
}

/** What a scenario run measured. */
export interface ScenarioReport {
  incidents: LabelOutcome[];
  /** Detected incidents / injected incidents. */
  recall: number;
  /** Anomalous windows matching an incident / all anomalous windows (1 when there are none). */
  precision: number;
  anomalies: number;
  falseAnomalies: number;
  /** Partition-hours outside every incident (plus its grace period). */
  cleanPartitionHours: number;
  /** Anomalous windows outside incidents per clean partition-hour. */
  falseAlertsPerPartitionHour: number;
  /** Mean delay over detected incidents, minutes (null when none was detected). */
  meanDelayMin: number | null;
  /** Detected incidents an early warning came before. */
  warnedBeforeDetection: number;
  /** Mean lead time over those, minutes (null when none). */
  meanLeadMin: number | null;
  /** Early warnings opened during the stretch, and those outside every incident (and its lead window). */
  predictions: number;
  falsePredictions: number;
}

/** Anomalies this long after an incident's end still count as caused by it. */
export const DEFAULT_GRACE_MS = 5 * MINUTE;

/** True when an anomalous window belongs to an incident: same partition, start in `[start, end + grace]`. */
export function matchesIncident(label: IncidentLabel, anomaly: { partition: string; windowStart: number }, graceMs = DEFAULT_GRACE_MS): boolean {
  return anomaly.partition === label.partition && anomaly.windowStart >= label.start && anomaly.windowStart <= label.end + graceMs;
}

/** Options of {@link scenarioReport}. */
export interface ReportOptions {
  /** Anomalies this long after an incident's end still count as caused by it. Default 5 min. */
  graceMs?: number;
  /** Early warnings opened during the run (the closer's predictions, `issuedAt` epoch ms). */
  predictions?: ReadonlyArray<{ partition: string; issuedAt: number }>;
  /** How long before an incident's start a warning still counts as its warning. Default 60 min (the forecast horizon). */
  leadWindowMs?: number;
}

/**
 * Scores anomalies against ground truth. An anomaly matches a label when it is in the label's
 * partition and its window starts in `[start, end + grace]` (as the demo has always counted).
 * @param span - the scored stretch `[start, end)`, epoch ms
 * @param partitions - every partition scored in that stretch
 */
export function scenarioReport(
  labels: readonly IncidentLabel[],
  anomalies: ReadonlyArray<{ partition: string; windowStart: number }>,
  span: { start: number; end: number },
  partitions: readonly string[],
  options: ReportOptions = {},
): ScenarioReport {
  const grace = options.graceMs ?? DEFAULT_GRACE_MS;
  const leadWindow = options.leadWindowMs ?? 60 * MINUTE;
  const predictions = options.predictions ?? [];
  const matches = (l: IncidentLabel, a: { partition: string; windowStart: number }): boolean => matchesIncident(l, a, grace);
  const warns = (l: IncidentLabel, p: { partition: string; issuedAt: number }): boolean =>
    p.partition === l.partition && p.issuedAt >= l.start - leadWindow && p.issuedAt <= l.end + grace;
  const incidents: LabelOutcome[] = labels.map((l) => {
    const mine = anomalies.filter((a) => matches(l, a));
    const first = mine.length ? Math.min(...mine.map((a) => a.windowStart)) : null;
    const before = first === null ? [] : predictions.filter((p) => warns(l, p) && p.issuedAt < first);
    const warnedAt = before.length ? Math.min(...before.map((p) => p.issuedAt)) : null;
    return {
      ...l,
      detected: mine.length > 0,
      delayMin: first === null ? null : Math.max(0, (first - l.start) / MINUTE),
      anomalies: mine.length,
      leadMin: first === null || warnedAt === null ? null : (first - warnedAt) / MINUTE,
    };
  });
  const falseAnomalies = anomalies.filter((a) => !labels.some((l) => matches(l, a))).length;
  let cleanMinutes = 0;
  for (const p of partitions) {
    const busy = labels.filter((l) => l.partition === p);
    for (let t = span.start; t < span.end; t += MINUTE) if (!busy.some((l) => matchesIncident(l, { partition: p, windowStart: t }, grace))) cleanMinutes++;
  }
  const cleanPartitionHours = cleanMinutes / 60;
  const detected = incidents.filter((i) => i.detected);
  const warned = incidents.filter((i) => i.leadMin !== null);
  return {
    incidents,
    recall: labels.length ? detected.length / labels.length : 1,
    precision: anomalies.length ? (anomalies.length - falseAnomalies) / anomalies.length : 1,
    anomalies: anomalies.length,
    falseAnomalies,
    cleanPartitionHours,
    falseAlertsPerPartitionHour: cleanPartitionHours > 0 ? falseAnomalies / cleanPartitionHours : 0,
    meanDelayMin: detected.length ? detected.reduce((s, i) => s + (i.delayMin ?? 0), 0) / detected.length : null,
    warnedBeforeDetection: warned.length,
    meanLeadMin: warned.length ? warned.reduce((s, i) => s + (i.leadMin ?? 0), 0) / warned.length : null,
    predictions: predictions.length,
    falsePredictions: predictions.filter((p) => !labels.some((l) => warns(l, p))).length,
  };
}

/** An anomaly's verdict against a run's ground truth. */
export interface AnomalyVerdict {
  /** True when the anomaly belongs to an injected incident (see {@link matchesIncident}). */
  matched: boolean;
  /** Index of that incident in the labels (the first that matches), or null for a false anomaly. */
  incident: number | null;
  /** Its kind, or null. */
  kind: IncidentLabel['kind'] | null;
}

/**
 * Gives every anomaly its verdict: which injected incident it matched, or none (a false anomaly),
 * with the same rule {@link scenarioReport} counts by. Order is kept.
 */
export function labelAnomalies<A extends { partition: string; windowStart: number }>(
  labels: readonly IncidentLabel[],
  anomalies: readonly A[],
  options: ReportOptions = {},
): Array<A & { verdict: AnomalyVerdict }> {
  const grace = options.graceMs ?? DEFAULT_GRACE_MS;
  return anomalies.map((a) => {
    const k = labels.findIndex((l) => matchesIncident(l, a, grace));
    return { ...a, verdict: { matched: k >= 0, incident: k >= 0 ? k : null, kind: k >= 0 ? labels[k].kind : null } };
  });
}
