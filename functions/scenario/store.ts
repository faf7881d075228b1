/**
 * A scenario run's objects in the synthetic bucket (keys from `scenarioRunKeys` in
 * functions/core/resources.ts). The ONE writer of scenario runs: the AWS steps (generate, replay,
 * report) and the embedded runtime (`harbinger scenario`, infra/local/demo.ts) both store through it.
 * Every key is deterministic, so a retried step overwrites what it wrote before.
 */
import { scenarioRunKeys } from '../core/resources';
import type { IncidentLabel } from '../core/synth/incidents';
import type { PlanTick } from '../core/synth/replay-plan';
import type { AnomalyVerdict, ScenarioReport } from '../core/synth/report';
import type { PartitionGeneration } from '../core/synth/generation-source';
import type { RealismSection } from '../core/synth/realism-section';
import type { LogEvent } from '../core/types';
import type { ObjectStore } from '../adapters/object-store';

/** The object store operations a run needs (an {@link ObjectStore}, or an in-memory one in tests). */
export type RunObjects = Pick<ObjectStore, 'bucket' | 'putJson' | 'putJsonLines' | 'getJson' | 'getJsonLines' | 'list'>;

/** report.json: the ground-truth report, how each partition was generated, and the realism check. */
export type StoredReport = ScenarioReport & {
  generation?: PartitionGeneration[];
  /** Null when the check could not run (its reason is in `realismError`). */
  realism?: RealismSection | null;
  realismError?: string;
};

/** One record of a chunk: partition key, base64 data (a gzip subscription payload), events, last event time. */
export interface ChunkRecord {
  k: string;
  d: string;
  n: number;
  t: number;
}

/** One minute of the replay: its records and when each request of them goes out. */
export interface MinuteChunk {
  index: number;
  /** The minute's start, epoch ms (tick offsets are from here). */
  start: number;
  records: ChunkRecord[];
  /** Shard count the plan was made for, and the plan's ticks (record indices per request). */
  shardCount: number;
  ticks: PlanTick[];
}

/** How one PutRecords request ended (stored as its progress marker). */
export interface RequestOutcome {
  records: number;
  failed: number;
  events: number;
  retries: number;
}

/** A scenario run's objects. */
export class ScenarioRunStore {
  readonly keys: ReturnType<typeof scenarioRunKeys>;

  constructor(
    readonly objects: RunObjects,
    readonly runId: string,
  ) {
    this.keys = scenarioRunKeys(runId);
  }

  /** `s3://<bucket>/<prefix>`. */
  get uri(): string {
    return `s3://${this.objects.bucket}/${this.keys.prefix}`;
  }

  /** What a run is: its spec (a custom spec JSON), ground truth and generated events. */
  async writeGenerated(run: { spec: unknown; labels: readonly IncidentLabel[]; events: readonly LogEvent[] }): Promise<void> {
    await this.objects.putJson(this.keys.spec, run.spec);
    await this.objects.putJson(this.keys.labels, run.labels);
    await this.objects.putJsonLines(this.keys.events, run.events as LogEvent[]);
  }

  /** What the run measured: the report, and every anomaly with its verdict. */
  async writeReport(report: StoredReport, labelled: ReadonlyArray<{ verdict: AnomalyVerdict }>): Promise<void> {
    await this.objects.putJson(this.keys.report, report);
    await this.objects.putJson(this.keys.labelledAnomalies, labelled);
  }

  async writeManifest(manifest: unknown): Promise<void> {
    await this.objects.putJson(this.keys.manifest, manifest);
  }

  async readLabels(): Promise<IncidentLabel[]> {
    const labels = await this.objects.getJson<IncidentLabel[]>(this.keys.labels);
    if (!labels) throw new MissingRunObjectError(`${this.uri}labels.json is missing: the Generate step writes it; start the run again.`);
    return labels;
  }

  /** The run's generated events (events.jsonl.gz). */
  async readEvents(): Promise<LogEvent[]> {
    const events = await this.objects.getJsonLines<LogEvent>(this.keys.events);
    if (!events) throw new MissingRunObjectError(`${this.uri}events.jsonl.gz is missing: the Generate step writes it; start the run again.`);
    return events;
  }

  async writeChunk(chunk: MinuteChunk): Promise<void> {
    await this.objects.putJson(this.keys.chunk(chunk.index), chunk);
  }

  async readChunk(index: number): Promise<MinuteChunk> {
    const chunk = await this.objects.getJson<MinuteChunk>(this.keys.chunk(index));
    if (!chunk) throw new MissingRunObjectError(`${this.uri}${this.keys.chunk(index).slice(this.keys.prefix.length)} is missing: the Generate step writes one chunk per minute; start the run again.`);
    return chunk;
  }

  /** Requests of a minute already settled by an earlier attempt, by request number. */
  async settledRequests(index: number): Promise<Map<number, RequestOutcome>> {
    const out = new Map<number, RequestOutcome>();
    for (const key of await this.objects.list(this.keys.doneMinutePrefix(index))) {
      const m = /-r(\d+)\.json$/.exec(key);
      const outcome = m ? await this.objects.getJson<RequestOutcome>(key) : null;
      if (m && outcome) out.set(Number(m[1]), outcome);
    }
    return out;
  }

  /** Marks a request settled (after PutRecords, before the next request). */
  async markSettled(index: number, request: number, outcome: RequestOutcome): Promise<void> {
    await this.objects.putJson(this.keys.done(index, request), outcome);
  }
}

/** An object an earlier step should have written is not there. */
export class MissingRunObjectError extends Error {
  override readonly name = 'MissingRunObjectError';
}
