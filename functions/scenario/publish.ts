/**
 * Publish step of a scenario run: "Scenario Run Completed" on the bus, with a summary a person or a
 * rule can act on (run id, status, recall, precision, where the objects are).
 */
import type { AlertPublisher } from '../adapters/alert-publisher';
import { EVENTS, type ScenarioRunCompletedDetail } from '../core/resources';
import type { ReportSummary, ScenarioRun } from './types';

/** Dependencies of {@link publishScenarioRun}. */
export interface PublishDeps {
  alerts: AlertPublisher;
}

const pct = (x: number): string => `${Math.round(100 * x)}%`;

/** The event's detail for a run and its report (null: not reported). */
export function completedDetail(run: ScenarioRun, report: ReportSummary | null): ScenarioRunCompletedDetail {
  const reported = report?.status === 'reported';
  const status: ScenarioRunCompletedDetail['status'] = reported ? 'reported' : run.replay ? 'replayed' : 'generated';
  const where = `s3://${run.bucket}/${run.prefix}`;
  const failed = run.replay && run.cursor.recordsFailed > 0 ? `; ${run.cursor.recordsFailed} records could not be put after retries` : '';
  const message =
    status === 'reported'
      ? `Scenario ${run.name}: recall ${pct(report!.recall ?? 0)}, precision ${pct(report!.precision ?? 0)} (${report!.anomalies} anomalous windows, ${report!.falseAnomalies} false)${failed}; report at ${where}report.json`
      : status === 'replayed'
        ? `Scenario ${run.name}: ${run.cursor.recordsPut} records replayed into the stream${failed}; no report (run it through the scenario state machine for one); objects at ${where}`
        : `Scenario ${run.name}: generated and stored only (replay was off): ${run.events} events, labels and spec at ${where}`;
  return {
    runId: run.runId,
    name: run.name,
    status,
    bucket: run.bucket,
    prefix: run.prefix,
    s3Uri: where,
    start: run.start,
    end: run.end,
    partitions: run.partitions,
    incidents: run.incidents,
    events: run.events,
    recordsPut: run.replay ? run.cursor.recordsPut : null,
    recordsFailed: run.replay ? run.cursor.recordsFailed : null,
    recall: reported ? report!.recall : null,
    precision: reported ? report!.precision : null,
    anomalies: reported ? report!.anomalies : null,
    falseAnomalies: reported ? report!.falseAnomalies : null,
    meanDelayMin: reported ? report!.meanDelayMin : null,
    message,
  };
}

/** Publishes "Scenario Run Completed" and returns its detail (the execution's output). */
export async function publishScenarioRun(run: ScenarioRun, report: ReportSummary | null, deps: PublishDeps): Promise<ScenarioRunCompletedDetail> {
  const detail = completedDetail(run, report);
  await deps.alerts.publish(EVENTS.scenarioRunCompleted, detail);
  return detail;
}
