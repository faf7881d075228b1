/**
 * Report step of a scenario run: reads what the real pipeline found for the run's partitions and
 * stretch, scores it against the run's ground truth (scenarioReport), checks the realism of the
 * generated events against real windows (./realism.ts), and stores the report (with each
 * partition's generation source and the realism section) and every anomaly with its verdict.
 * `scoreScenarioRun` is the one scoring both worlds use (the embedded runtime's `harbinger
 * scenario` too).
 */
import { labelAnomalies, scenarioReport, type AnomalyVerdict, type ReportOptions, type ScenarioReport } from '../core/synth/report';
import type { IncidentLabel } from '../core/synth/incidents';
import { readAnomalies, readPredictions, type AnomalyObjects } from './anomalies';
import { ScenarioRunStore, type RunObjects, type StoredReport } from './store';
import { runRealism, type RealismDeps } from './realism';
import type { ReportSummary, ScenarioRun } from './types';

/** How long before an incident a warning counts as its early warning (the forecast horizon). */
const LEAD_WINDOW_MS = 60 * 60_000;

/** Dependencies of {@link reportScenarioRun}. */
export interface ReportDeps {
  /** The synthetic bucket. */
  runs: RunObjects;
  /** The anomaly bucket. */
  anomalies: AnomalyObjects;
  options?: ReportOptions;
  /** The realism check's sources (dataset bucket, profiles, partition rules); without it report.json has no realism section. */
  realism?: RealismDeps;
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
  // Warnings up to the forecast horizon before the stretch count as the incidents' early warnings.
  const predictions = await readPredictions(deps.anomalies, run.partitions, { start: span.start - LEAD_WINDOW_MS, end: span.end });
  const { report, labelled } = scoreScenarioRun(labels, anomalies, span, run.partitions, { ...deps.options, predictions });
  const stored: StoredReport = { ...report, generation: run.generation };
  if (deps.realism) {
    // A realism check that cannot run (e.g. the dataset bucket unreadable) never fails the report.
    try {
      stored.realism = await runRealism({ events: await store.readEvents(), partitions: run.partitions, stretch: span, labels, generation: run.generation }, deps.realism);
    } catch (err) {
      stored.realism = null;
      stored.realismError = `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`;
    }
  }
  await store.writeReport(stored, labelled);
  return reportSummary(report);
}
