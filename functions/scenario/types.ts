/**
 * Documents passed between the scenario-run steps (infra/scenario/definition.ts): the run manifest
 * Generate returns and every later state carries under `$.run`, the replay cursor ReplayMinute
 * advances, the report summary, and the Lambda's step events. All small, so the state stays far
 * below Step Functions' 256 KB; the bulk lives in S3 under the run's prefix.
 */
import type { ScenarioRunCompletedDetail } from '../core/resources';
import type { PartitionGeneration } from '../core/synth/generation-source';

/** Where the replay stands. */
export interface ReplayCursor {
  /** Next minute to replay (0-based; equals `minutes` when done). */
  index: number;
  /** When minute `index` may start (ISO): its start, so no record goes out before its events happened. */
  waitUntil: string;
  done: boolean;
  /** Records Kinesis accepted, and records still rejected after every retry (never dropped silently). */
  recordsPut: number;
  recordsFailed: number;
  /** Events in the accepted records. */
  eventsPut: number;
  /** PutRecords requests skipped because an earlier attempt of the step had already put them. */
  requestsSkipped: number;
  /** Entries retried after Kinesis rejected them (throttling, internal failures). */
  retries: number;
  /** Largest delay of a minute behind its schedule, seconds. */
  maxLagSeconds: number;
}

/** The run manifest: what Generate decided and wrote (`manifest.json` holds the same plus the input). */
export interface ScenarioRun {
  runId: string;
  name: string;
  bucket: string;
  /** Prefix of every object of the run (`scenario-runs/<runId>/`). */
  prefix: string;
  replay: boolean;
  /** Generated stretch `[start, end)`, ISO. */
  start: string;
  end: string;
  /** Minutes in the stretch = payload chunks (`replay/m00000.json.gz` ...). */
  minutes: number;
  partitions: string[];
  incidents: number;
  events: number;
  /** Kinesis records (subscription payloads) in all chunks. */
  records: number;
  /** The stream and the shard count the chunks were planned for (null without replay). */
  stream: { name: string; shardCount: number; shardShare: number; recordsPerSecond: number | null } | null;
  /** Earliest time to read the pipeline's anomalies (ISO): the stretch's end + allowed lateness + a closer tick + slack. */
  reportAt: string;
  cursor: ReplayCursor;
  /** How each partition was generated: its CURRENT profile (VAE or statistics windows) or the service generator, and why. */
  generation: PartitionGeneration[];
}

/** What the Report step found (the full report is `report.json`). */
export interface ReportSummary {
  status: 'reported' | 'not-replayed';
  recall: number | null;
  precision: number | null;
  anomalies: number | null;
  falseAnomalies: number | null;
  meanDelayMin: number | null;
  incidentsDetected: number | null;
}

/** The Lambda's input for each state, and the direct invoke (no `step`: the run request itself). */
export type ScenarioStepEvent =
  | { step: 'generate'; request: unknown; executionName?: string; executionStartTime?: string }
  | { step: 'replayMinute'; run: ScenarioRun }
  | { step: 'report'; run: ScenarioRun }
  | { step: 'publish'; run: ScenarioRun; report: ReportSummary };

/** What the direct invoke answers. */
export interface DirectRunResult {
  run: ScenarioRun;
  summary: ScenarioRunCompletedDetail;
}
