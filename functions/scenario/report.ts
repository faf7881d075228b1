/**
 * Report step of a scenario run: reads what the real pipeline found for the run's partitions and
 * stretch, scores it against the run's ground truth (scenarioReport) and stores the report and
 * every anomaly with its verdict. `scoreScenarioRun` is the one scoring both worlds use (the
 * embedded runtime's `harbinger scenario` too).
 */
import { labelAnomalies, scenarioReport, type AnomalyVerdict, type ReportOptions, type ScenarioReport } from '../core/synth/report';
import type { IncidentLabel } from '../core/synth/incidents';
import { readAnomalies, type AnomalyObjects } from './anomalies';
import { ScenarioRunStore, type RunObjects } from './store';
import type { ReportSummary, ScenarioRun } from './types';

/** Dependencies of {@link reportScenarioRun}. */
export interface ReportDeps {
  /** The synthetic bucket. */
  runs: RunObjects;
  /** The anomaly bucket. */
  anomalies: AnomalyObjects;
  options?: ReportOptions;
}

/** A run's report and its anomalies with their verdicts. */
export function scoreScenarioRun<A extends { partition: string; windowStart: number }>(
  labels: readonly IncidentLabel[],
  anomalies: readonly A[],
  span: { start: number; end: number },
  partitions: readonly string[],
  options: ReportOptions = {},
): { report: ScenarioReport; labelled: Array<A & { verdict: AnomalyVerdict }> } {
  return { report: scenarioReport(labels, anomalies, span, partitions, options), labelled: labelAnomalies(labels, anomalies, options) };
}

/** The summary the state machine carries (the full report is in S3). */
export function reportSummary(report: ScenarioReport): ReportSummary {
  return {
    status: 'reported',
    recall: report.recall,
    precision: report.precision,
    anomalies: report.anomalies,
    falseAnomalies: report.falseAnomalies,
    meanDelayMin: report.meanDelayMin,
    incidentsDetected: report.incidents.filter((i) => i.detected).length,
  };
}

/** Reads the run's anomalies, scores them, writes report.json and labelled-anomalies.json. */
export async function reportScenarioRun(run: ScenarioRun, deps: ReportDeps): Promise<ReportSummary> {
  const store = new ScenarioRunStore(deps.runs, run.runId);
  const labels = await store.readLabels();
  const span = { start: Date.parse(run.start), end: Date.parse(run.end) };
  const anomalies = await readAnomalies(deps.anomalies, run.partitions, span);
  const { report, labelled } = scoreScenarioRun(labels, anomalies, span, run.partitions, deps.options);
  await store.writeReport(report, labelled);
  return reportSummary(report);
}
