/**
 * The capacity function on the embedded default: the very same handler (functions/capacity/handler.ts
 * -> capacity-run.ts), driven by the simulated clock, against the emulators through the real SDK
 * clients. Kinesis: kinesis-local, so UpdateShardCount really reshards the local stream (and the
 * poller follows the new shards). Lambda: there is no Lambda service locally, so the scorer's
 * memory and parallelization factor are decided and reported as "not applied locally: no Lambda
 * service"; nothing pretends to be the Lambda API.
 *
 * The demo streams ~9 events/s, a thousandth of what needs more than the two-shard floor. By
 * default the local run multiplies the forecast load by 1,000 before sizing (LOCAL_LOAD_MODEL), so
 * the decisions and their reasons read in production units (~9,000 events/s, ~2,000 records/s);
 * the shadow log stays in the demo's own units.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { AlertPublisher } from '../../functions/adapters/alert-publisher';
import { CapacityStateStore } from '../../functions/adapters/capacity-state-store';
import { ObjectStore } from '../../functions/adapters/object-store';
import { KinesisStreamCapacity } from '../../functions/adapters/stream-capacity';
import { WindowVolumeHistory } from '../../functions/adapters/volume-history';
import type { CapacityPorts, CapacityRunOptions, CapacityRunReport } from '../../functions/capacity/capacity-run';
import { createCapacityHandler } from '../../functions/capacity/handler';
import type { CapacityLimits } from '../../functions/core/capacity';
import { SHADOW_LOG_LATEST_KEY, type ResourceNames } from '../../functions/core/resources';
import type { LoadModel } from '../../functions/core/shadow-log';
import type { LocalClients } from './clients';

const MINUTE = 60_000;

/**
 * How the demo's events become Kinesis load locally: 4.4 events per record and 0.78 record bytes
 * per message byte were measured on the demo's simulated subscription payloads (one live hour,
 * `toSubscriptionPayloads` with 10 s slices: 32,689 events in 7,405 records, 5.9 MB of messages in
 * 4.6 MB of records); the load is multiplied by 1,000 (see the module comment).
 */
export const LOCAL_LOAD_MODEL: Readonly<Required<LoadModel>> = Object.freeze({ eventsPerRecord: 4.4, wireBytesRatio: 0.78, loadMultiplier: 1000 });

/** Outcome of the Lambda-side decisions locally. */
export const NOT_APPLIED_LOCALLY = 'not applied locally: no Lambda service';

/** Options of {@link createLocalCapacity}. */
export interface LocalCapacityOptions {
  clients: LocalClients;
  names: ResourceNames;
  /** Where "Capacity Adjusted" events go. Default: kept in memory (`events`). */
  publisher?: AlertPublisher;
  /** Report only. Default false. */
  dryRun?: boolean;
  /** Simulated minutes between runs (the schedule's rate). Default 5. */
  everyMinutes?: number;
  /** The closer's allowed lateness, seconds: windows are read once lateness + 3 min have passed. Default 120. */
  latenessSec?: number;
  /** Load model. Default {@link LOCAL_LOAD_MODEL}. */
  load?: LoadModel;
  /** Shard policy limits. Default: ceiling 8 (one poller worker per shard on two cores). */
  limits?: Partial<CapacityLimits>;
  /** Wall-clock wait for the stream to be ACTIVE after a change, ms. Default 10,000. */
  waitForActiveMs?: number;
  /** Prints a line per run that changed (or would change) something. */
  print?: (line: string) => void;
  /** Further run options (horizon, bootstrap days, ...). */
  runOptions?: Partial<CapacityRunOptions>;
}

/** The open shard count after one run. */
export interface ShardSample {
  /** Simulated time of the run, epoch ms. */
  time: number;
  openShards: number;
  /** Open shards before the run. */
  current: number;
  action: 'scale' | 'hold';
  target: number;
  outcome: string;
  reason: string;
  recordsPerSecUpper: number | null;
  confidence: number | null;
}

/** What the local capacity did over a stretch (for the demo summary). */
export interface LocalCapacitySummary {
  runs: number;
  everyMinutes: number;
  loadMultiplier: number;
  initialShards: number | null;
  finalShards: number | null;
  minShards: number | null;
  maxShards: number | null;
  /** Applied (or, in dry run, reported) shard changes. */
  changes: Array<{ time: number; from: number; to: number; outcome: string; reason: string }>;
  /** The last run's Lambda-side decisions. */
  scorer: { memory: string; parallelizationFactor: string } | null;
  /** Partitions the shadow log saw waking up, with the first time. */
  waking: Array<{ partition: string; time: number }>;
  timeline: ShardSample[];
}

/** The local capacity function on the simulated clock. */
export interface LocalCapacity {
  /**
   * Runs the capacity handler when a run is due at `simNow` (the first call, then every
   * `everyMinutes`); returns its report, or null when no run was due.
   * @param options.dryRun - this run only reports (default: the factory's `dryRun`)
   * @param options.force - run now even when no run is due (an invoke outside the schedule, e.g. a remediation action)
   */
  tick(simNow: number, options?: { dryRun?: boolean; force?: boolean }): Promise<CapacityRunReport | null>;
  /** Every run's report, in order. */
  readonly reports: CapacityRunReport[];
  /** Events published when no publisher was given. */
  readonly events: Array<{ detailType: string; detail: object }>;
  /** Open shards after every run. */
  timeline(): ShardSample[];
  summary(): LocalCapacitySummary;
}

const hhmm = (t: number): string => `${new Date(t).toISOString().slice(11, 16)}Z`;

/**
 * Creates the local capacity function. The handler's ports are the same adapters as on AWS, built
 * on the emulators' clients, except the scorer's (none: no Lambda service).
 */
export function createLocalCapacity(options: LocalCapacityOptions): LocalCapacity {
  const { clients, names } = options;
  const every = (options.everyMinutes ?? 5) * MINUTE;
  const load = { ...LOCAL_LOAD_MODEL, ...(options.load ?? {}) };
  const events: Array<{ detailType: string; detail: object }> = [];
  const publisher: AlertPublisher = options.publisher ?? { publish: async (detailType, detail) => void events.push({ detailType, detail }) };
  const datasets = new ObjectStore({ client: clients.s3, bucket: names.datasetBucket });
  const stream = new KinesisStreamCapacity({ client: clients.kinesis, streamName: names.stream, pollMs: 50 });
  const ports: CapacityPorts = {
    stream,
    scorer: null,
    volume: new WindowVolumeHistory({ client: clients.s3, bucket: names.datasetBucket }),
    state: new CapacityStateStore({
      client: DynamoDBDocumentClient.from(clients.dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
      table: names.table,
      stream: names.stream,
    }),
    shadow: {
      put: async (key, log) => {
        await datasets.putJson(key, log);
        await datasets.putJson(SHADOW_LOG_LATEST_KEY, log);
      },
    },
    events: publisher,
  };
  const handler = createCapacityHandler({
    ports,
    logger: new Logger({ serviceName: 'harbinger-capacity', logLevel: 'ERROR' }),
    runOptions: {
      stream: names.stream,
      load,
      limits: { maxShards: 8, ...(options.limits ?? {}) },
      refreshMinutes: every / MINUTE,
      settleMs: ((options.latenessSec ?? 120) + 180) * 1000,
      waitForActiveMs: options.waitForActiveMs ?? 10_000,
      notAppliedReason: NOT_APPLIED_LOCALLY,
      ...(options.runOptions ?? {}),
    },
  });
  const context = { functionName: 'harbinger-capacity', awsRequestId: 'local', getRemainingTimeInMillis: () => 240_000 } as unknown as Context;
  const reports: CapacityRunReport[] = [];
  const samples: ShardSample[] = [];
  let lastRun: number | undefined;

  return {
    reports,
    events,
    async tick(simNow: number, tickOptions: { dryRun?: boolean; force?: boolean } = {}): Promise<CapacityRunReport | null> {
      if (!tickOptions.force && lastRun !== undefined && simNow - lastRun < every) return null;
      lastRun = simNow;
      const dryRun = tickOptions.dryRun ?? options.dryRun ?? false;
      const report = (await handler({ time: new Date(simNow).toISOString(), dryRun }, context)) as CapacityRunReport;
      reports.push(report);
      const s = report.decisions[0];
      if (s) {
        samples.push({
          time: simNow,
          openShards: report.openShardsAfter ?? report.stream?.openShards ?? s.current,
          current: s.current,
          action: s.action,
          target: s.target,
          outcome: s.outcome,
          reason: s.reason,
          recordsPerSecUpper: report.forecast?.recordsPerSecUpper ?? null,
          confidence: report.forecast?.confidence ?? null,
        });
        if (options.print && (s.action === 'scale' || s.outcome.startsWith('skipped'))) {
          options.print(`  CAPACITY ${hhmm(simNow)} shards ${s.current} -> ${s.target} (${s.outcome}): ${s.reason}`);
        }
      }
      return report;
    },
    timeline: () => [...samples],
    summary(): LocalCapacitySummary {
      const initial = reports.find((r) => r.decisions[0])?.decisions[0].current ?? null;
      const shards = [...(initial === null ? [] : [initial]), ...samples.map((x) => x.openShards)];
      const last = reports.at(-1);
      const fmt = (i: number): string => {
        const d = last?.decisions[i];
        if (!d) return '';
        const unit = d.setting === 'scorerMemoryMb' ? ' MB' : '';
        return d.action === 'scale' ? `${d.current} -> ${d.target}${unit} (${d.outcome})` : `${d.current}${unit} (hold)`;
      };
      const waking = new Map<string, number>();
      for (const r of reports) for (const p of r.shadow?.waking ?? []) if (!waking.has(p)) waking.set(p, Date.parse(r.time));
      return {
        runs: reports.length,
        everyMinutes: every / MINUTE,
        loadMultiplier: load.loadMultiplier ?? 1,
        initialShards: initial,
        finalShards: shards.at(-1) ?? null,
        minShards: shards.length ? Math.min(...shards) : null,
        maxShards: shards.length ? Math.max(...shards) : null,
        changes: samples
          .filter((x) => x.action === 'scale' && (x.outcome === 'applied' || x.outcome === 'dry-run'))
          .map((x) => ({ time: x.time, from: x.current, to: x.target, outcome: x.outcome, reason: x.reason })),
        scorer: last ? { memory: fmt(1), parallelizationFactor: fmt(2) } : null,
        waking: [...waking].map(([partition, time]) => ({ partition, time })),
        timeline: [...samples],
      };
    },
  };
}

/** Summary lines for the demo's output. */
export function formatCapacitySummary(s: LocalCapacitySummary): string[] {
  if (s.runs === 0) return ['capacity: no run'];
  const lines = [
    `capacity: ${s.runs} runs every ${s.everyMinutes} simulated min (load x${s.loadMultiplier.toLocaleString('en-US')}); ` +
      `shards ${s.initialShards} -> ${s.finalShards} (range ${s.minShards}..${s.maxShards})`,
  ];
  for (const c of s.changes) lines.push(`           ${hhmm(c.time)} ${c.from} -> ${c.to} shards (${c.outcome}): ${c.reason}`);
  if (s.scorer) lines.push(`           scorer memory ${s.scorer.memory}; parallelization factor ${s.scorer.parallelizationFactor}`);
  if (s.waking.length) lines.push(`           waking partitions: ${s.waking.map((w) => `${w.partition} at ${hhmm(w.time)}`).join(', ')}`);
  return lines;
}
