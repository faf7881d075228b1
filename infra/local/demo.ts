/**
 * The main job on the embedded default: emulators up, resources created with the stack's names, a
 * week of synthetic history learned into baseline profiles (published through the profile-builder
 * path), then a "live" hour streamed through Kinesis on a simulated clock, scored by the very same
 * scorer and window-closer handlers, with one injected incident.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { startLocalStack } from './local-stack';
import { learnHistoryInParallel } from './history';
import { KinesisPoller } from './poller';
import { putPayloads } from './replay';
import { LocalAlertSink } from './alert-sink';
import { silentProgress, type ProgressUi } from './progress';
import type { LocalClients } from './clients';
import { createLocalCapacity, type LocalCapacitySummary } from './capacity';
import { attachLocalRemediation } from './remediation';
import type { RuleOutcomes } from '../../functions/core/remediation';
import type { CapacityPoint } from './dashboard/server';
import { STREAM_DEFAULTS, type ResourceNames, windowBatchKey, catalogueKey } from '../../functions/core/resources';
import { toSubscriptionPayloads } from '../../functions/core/synth/payloads';
import { DEFAULT_SERVICES } from '../../functions/core/synth/services';
import { DEFAULT_PARTITION_RULES } from '../../functions/core/partition';
import type { PartitionGeneration, SourceOption } from '../../functions/core/synth/generation-source';
import type { RealismSection } from '../../functions/core/synth/realism-section';
import { generateSourcedRun, type WindowsOption } from '../../functions/scenario/sources';
import { runRealism } from '../../functions/scenario/realism';
import { SAMPLE_TIMEOUT_MS } from '../../functions/scenario/env';
import { SageMakerModelClient } from '../../functions/adapters/model-client';
import { labelsFor, type IncidentLabel, type IncidentSpec } from '../../functions/core/synth/incidents';
import { matchesIncident, type ScenarioReport } from '../../functions/core/synth/report';
import { scoreScenarioRun } from '../../functions/scenario/report';
import { ScenarioRunStore } from '../../functions/scenario/store';
import { awsClients, resetAwsClients } from '../../functions/adapters/clients';
import { runLocalRetraining, type LocalRetrainingResult } from './retraining';
import { LocalModelHost } from './model-server';
import { ObjectStore } from '../../functions/adapters/object-store';
import { ProfileStore } from '../../functions/adapters/profile-store';
import { rebuildProfile } from '../../functions/profile-builder/builder';
import { createScorerHandler } from '../../functions/scorer/handler';
import { createWindowCloserHandler } from '../../functions/window-closer/handler';
import type { CloseSummary, SentAlert } from '../../functions/window-closer/closer';
import type { Anomaly, LogEvent } from '../../functions/core/types';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Seed for every random choice (history and live traffic). Default 7. */
  seed?: number;
  /** Days of history to learn baselines from. Default 7. */
  historyDays?: number;
  /** Length of the live stretch, simulated minutes. Default 60. */
  liveMinutes?: number;
  /** Inject the incident. Default true. */
  incident?: boolean;
  /** Traffic multiplier (same for history and live). Default 1. */
  scale?: number;
  /** Where emulator data, alerts and the summary go. Default `.harbinger/demo`. */
  dataDir?: string;
  /** Allowed lateness before a window is closed, seconds. Default 60. */
  latenessSec?: number;
  /** Progress and alert output. Default: silent. */
  ui?: ProgressUi;
  /** Start of the live stretch, epoch ms (minute-aligned). Default Monday 2026-11-16 15:00 UTC. */
  liveStart?: number;
  /**
   * Train the VAE through the local retraining state machine and score the live stretch with it
   * (default true). False: statistical detectors only.
   */
  model?: boolean;
  /** Hyperparameter overrides for the training job (strings or numbers, e.g. `{ epochs: 4 }`). */
  hyperParameters?: Record<string, string | number>;
  /**
   * Incidents to inject instead of the default one (a scenario: see functions/core/synth/scenarios).
   * They must fall inside the live stretch. Ignored with `incident: false`.
   */
  incidents?: IncidentSpec[];
  /**
   * Store the run in the synthetic bucket under scenarioRunPrefix(id) with ScenarioRunStore: spec,
   * labels, generated events, manifest (with each partition's generation source), report (with the
   * realism check) and labelled anomalies (a scenario run). Default: not stored.
   */
  scenarioRun?: { id: string; spec: unknown; name?: string };
  /**
   * Where the live stretch's events come from (see functions/core/synth/generation-source.ts):
   * `services` (default for the demo: detection is shown on the realistic hand-written services
   * its baselines were learned from), `profile` or `auto` (each partition's CURRENT profile).
   */
  source?: SourceOption;
  /**
   * Window features of profile partitions: `stats` (default: the seasonal statistics) or `vae` (the
   * decoder through the local endpoint, when the profile names a model).
   */
  windows?: WindowsOption;
  /**
   * Compare the live stretch's windows with the history's (per-feature KS, template-mix JS).
   * Default: on for a scenario run (`scenarioRun`), off otherwise.
   */
  realism?: boolean;
  /**
   * Run the capacity function every 5 simulated minutes against the Kinesis emulator (real
   * UpdateShardCount), and the remediation rules on the local bus (default true).
   */
  capacity?: boolean;
  /** Called once before the live stretch streams (stack up, profiles published), e.g. to start the dashboard. */
  onLiveStart?: (live: DemoLive) => void | Promise<void>;
  /** Called after each simulated minute is closed, with the simulated time; awaited (the clock waits). */
  onMinute?: (simNow: number) => void | Promise<void>;
  /** Called with the result before the emulators stop; awaited (e.g. print it, then keep serving until Ctrl-C). */
  onDone?: (result: DemoResult) => void | Promise<void>;
}

/** What {@link DemoOptions.onLiveStart} receives: the running stack and the stretch about to stream. */
export interface DemoLive {
  clients: LocalClients;
  names: ResourceNames;
  alertsFile: string;
  liveStart: number;
  liveEnd: number;
  labels: IncidentLabel[];
  /** The stream's records/s against the capacity function's forecast and shards so far (empty without capacity). */
  capacityPoints: () => CapacityPoint[];
}

/** What the model phase did. */
export interface DemoModel {
  /** Outcome of the retraining state machine. */
  status: LocalRetrainingResult['status'];
  /** States entered, in order. */
  states: string[];
  /** Model version serving the live stretch, or null (statistical only). */
  version: string | null;
  decision: LocalRetrainingResult['decision'];
  /** Challenger metrics on the labelled holdout. */
  holdout: { averagePrecision: number; falsePositiveRate: number; recall: number } | null;
  error: string | null;
  /** Live windows the model scored, and those that fell back to the statistical detectors. */
  windowsScored: number;
  fallbacks: number;
  ms: number;
}

/** What the demo did and found. */
export interface DemoResult {
  liveStart: number;
  liveEnd: number;
  historyEvents: number;
  profiles: Array<{ partition: string; version: number; windows: number; templates: number; patterns: number }>;
  liveEvents: number;
  recordsPut: number;
  /** Records PutRecords still rejected after its retries (never silently dropped: reported here). */
  recordsFailed: number;
  eventsScored: number;
  malformed: number;
  lateEvents: number;
  windowsClosed: number;
  windowsScored: number;
  /** Every anomalous window. */
  anomalies: Anomaly[];
  /** Alerts sent: incidents opened, escalated, resolved (grouped per partition and kind). */
  alerts: SentAlert[];
  incident: { partition: string; start: number; end: number; kind: string } | null;
  /** Anomalies in the incident's partition from its start to 5 minutes after its end. */
  incidentAlerts: Anomaly[];
  /** Anomalies anywhere else. */
  falseAlerts: Anomaly[];
  caught: boolean;
  /** Simulated minutes from incident start to its first alert. */
  detectionDelayMin: number | null;
  /** Ground truth of every injected incident, and the run scored against it. */
  labels: IncidentLabel[];
  report: ScenarioReport;
  /** How each partition's live events were generated (profile or services, VAE or statistics windows). */
  generation: PartitionGeneration[];
  /** The live stretch against the history's windows (null when not asked for). */
  realism: RealismSection | null;
  /** The VAE phase (null with `model: false`). */
  model: DemoModel | null;
  /** The capacity function on the simulated clock (null with `capacity: false`). */
  capacity: LocalCapacitySummary | null;
  /** Remediation rules: attempts and how many cleared in time (empty with `capacity: false`). */
  remediation: RuleOutcomes[];
  where: { anomalyBucket: string; datasetBucket: string; table: string; alertsFile: string; dataDir: string };
  timingsMs: { startup: number; history: number; model: number; live: number; total: number };
}

/** The default incident: connection-pool exhaustion in checkout (us-east-1), errors and latency, 10 minutes. */
export function defaultIncident(liveStart: number, liveMinutes: number): IncidentSpec {
  return {
    kind: 'error_burst_latency',
    service: 'checkout',
    region: 'us-east-1',
    start: liveStart + Math.floor(liveMinutes / 2) * MINUTE,
    durationMs: 10 * MINUTE,
  };
}

/** Runs the demo end to end; always stops the emulators it started. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const t0 = Date.now();
  const ui = options.ui ?? silentProgress;
  const print = ui.print;
  const seed = options.seed ?? 7;
  const scale = options.scale ?? 1;
  const liveMinutes = options.liveMinutes ?? 60;
  const historyDays = options.historyDays ?? 7;
  const liveStart = options.liveStart ?? Date.UTC(2026, 10, 16, 15, 0);
  const liveEnd = liveStart + liveMinutes * MINUTE;
  const historyStart = liveStart - historyDays * DAY;
  const dataDir = resolve(options.dataDir ?? '.harbinger/demo');
  const alertsFile = join(dataDir, 'alerts.jsonl');
  // Start clean, removing only what a previous run wrote (the folder may be one the user named).
  rmSync(join(dataDir, 'emulators'), { recursive: true, force: true });
  rmSync(alertsFile, { force: true });
  rmSync(join(dataDir, 'capacity.jsonl'), { force: true });
  mkdirSync(dataDir, { recursive: true });
  const latenessMs = (options.latenessSec ?? 60) * 1000;

  print(`Starting local emulators (Kinesis, DynamoDB, S3) on 127.0.0.1 ...`);
  const stack = await startLocalStack({ dataDir: join(dataDir, 'emulators'), env: { POWERTOOLS_LOG_LEVEL: 'ERROR' } });
  const { clients, names } = stack;
  let poller: KinesisPoller | undefined;
  let modelHost: LocalModelHost | undefined;
  try {
    const startupMs = Date.now() - t0;
    print(`  emulators and resources ready in ${(startupMs / 1000).toFixed(1)} s (stream ${names.stream}, ${STREAM_DEFAULTS.shards} shards; table ${names.table})`);

    // ---- history -> window features in S3 -> profiles (profile-builder path) ----
    const tHistory = Date.now();
    print(`Learning baselines from ${historyDays} day${historyDays === 1 ? '' : 's'} of synthetic history (4 services x 2 regions): templates from a sample, then every window ...`);
    const aws = awsClients();
    const datasets = new ObjectStore({ client: aws.s3, bucket: names.datasetBucket });
    const profiles = new ProfileStore({ client: aws.dynamodb, table: names.table, cacheTtlMs: 0 });
    const historyMinutes = historyDays * 1440;
    const bar = ui.bar('history', historyMinutes, 'min');
    const learned = await learnHistoryInParallel({
      start: historyStart,
      end: liveStart,
      seed,
      scale,
      onProgress: (p) => {
        bar.update(Math.floor((p.at - historyStart) / MINUTE), `${p.events.toLocaleString('en-US')} events read${p.learningTemplates ? ' (templates)' : ''}`);
      },
    });
    bar.stop();
    let historyEvents = 0;
    for (const l of learned.values()) for (const w of l.windows) historyEvents += w.features.count;
    print(`  ${historyEvents.toLocaleString('en-US')} history events, ${learned.size} partitions`);
    for (const l of learned.values()) {
      const byDay = new Map<string, typeof l.windows>();
      for (const w of l.windows) {
        const d = new Date(w.windowStart).toISOString().slice(0, 10);
        const list = byDay.get(d) ?? [];
        list.push(w);
        byDay.set(d, list);
      }
      for (const [d, list] of byDay) await datasets.putJsonLines(windowBatchKey(l.partition, d, 'history'), list);
      await datasets.putJson(catalogueKey(l.partition), { templates: l.templates, patterns: l.patterns });
    }
    const built: DemoResult['profiles'] = [];
    for (const p of [...learned.keys()].sort()) {
      const o = await rebuildProfile(p, liveStart, { datasets, profiles, days: historyDays + 1 });
      built.push({ partition: o.partition, version: o.version, windows: o.windows, templates: o.templates, patterns: o.patterns });
      print(`  profile ${p.padEnd(22)} v${o.version}: ${o.windows} windows, ${o.templates} templates, ${o.patterns} ordered patterns`);
    }
    const historyMs = Date.now() - tHistory;

    // ---- the VAE: the retraining state machine the stack deploys, run locally ----
    let model: DemoModel | null = null;
    if (options.model !== false) {
      const tModel = Date.now();
      modelHost = new LocalModelHost({ s3: clients.s3, workDir: join(dataDir, 'retraining', 'endpoints') });
      // The closer reaches the local endpoint through the real SageMaker Runtime client; the stack
      // restores the environment when it stops.
      process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = await modelHost.endpointUrl();
      process.env.HARBINGER_MODEL_ENDPOINT = names.modelEndpoint;
      resetAwsClients();
      print(`Training the VAE through the retraining state machine (run locally with aws-local-stepfunctions) ...`);
      let epochBar: ReturnType<ProgressUi['bar']> | undefined;
      const r = await runLocalRetraining(stack, {
        host: modelHost,
        input: { days: historyDays + 1, now: liveStart, ...(options.hyperParameters ? { hyperParameters: options.hyperParameters } : {}) },
        workDir: join(dataDir, 'retraining'),
        onState: (e) => {
          if (e.type === 'StateEntered') print(`  state ${e.state}`);
        },
        log: (line) => {
          const m = /\[train\] epoch (\d+)\/(\d+) train_loss=(\S+)/.exec(line);
          if (m) {
            epochBar ??= ui.bar('training', Number(m[2]), 'epochs');
            epochBar.update(Number(m[1]), `loss ${m[3]}`);
            if (m[1] === m[2]) {
              epochBar.stop();
              epochBar = undefined;
            }
          } else if (/\[train\] (training|holdout|read)/.test(line)) print(`    ${line.replace(/^\s*\[train\]\s*/, '')}`);
        },
      });
      epochBar?.stop();
      const h = r.evaluation?.challenger;
      model = {
        status: r.status,
        states: r.states,
        version: r.modelVersion,
        decision: r.decision,
        holdout: h ? { averagePrecision: h.averagePrecision, falsePositiveRate: h.falsePositiveRate, recall: h.recall } : null,
        error: r.error ? `${r.error.error}: ${r.error.cause}` : null,
        windowsScored: 0,
        fallbacks: 0,
        ms: Date.now() - tModel,
      };
      if (r.status === 'SUCCEEDED' && r.modelVersion) {
        const hm = model.holdout;
        print(
          `  model ${r.modelVersion} serving on ${process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME} (${(model.ms / 1000).toFixed(1)} s)` +
            (hm ? `; holdout: average precision ${hm.averagePrecision.toFixed(3)}, recall ${(hm.recall * 100).toFixed(0)}% at 0.95, false positives ${(hm.falsePositiveRate * 100).toFixed(2)}%` : ''),
        );
      } else {
        print(`  ! retraining ${r.status}: ${model.error ?? r.decision?.reason ?? 'no model'}; the live stretch is scored by the statistical detectors`);
      }
    }
    const modelMs = model?.ms ?? 0;

    // ---- live hour through Kinesis -> scorer -> DynamoDB -> closer ----
    const tLive = Date.now();
    let simNow = liveStart;
    const sink = new LocalAlertSink({ file: alertsFile, print, now: () => simNow });
    const quiet = new Logger({ serviceName: 'harbinger-local', logLevel: 'ERROR' });
    let eventsScored = 0;
    let malformed = 0;
    let lateEvents = 0;
    const scorer = createScorerHandler({
      logger: quiet,
      onBatch: (s) => {
        eventsScored += s.events;
        malformed += s.malformed;
        lateEvents += s.lateEvents;
      },
    });
    const closer = createWindowCloserHandler({ logger: quiet, deps: { alerts: sink, latenessMs } });
    // Capacity decisions go to their own file: alerts.jsonl holds exactly the alerts.
    const capacity =
      options.capacity === false
        ? null
        : createLocalCapacity({ clients, names, latenessSec: latenessMs / 1000, print, publisher: new LocalAlertSink({ file: join(dataDir, 'capacity.jsonl'), now: () => simNow }) });
    const remediation = capacity ? attachLocalRemediation({ sink, clients, names, capacity, print }) : null;
    const recordsPerMinute = new Map<number, number>();
    const capacityPoints = (): CapacityPoint[] => {
      if (!capacity) return [];
      const k = capacity.summary().loadMultiplier;
      return capacity.reports
        .filter((r) => r.forecast)
        .map((r) => {
          const t = Date.parse(r.time);
          return {
            t,
            records: (k * (recordsPerMinute.get(t - MINUTE) ?? 0)) / 60,
            forecast: r.forecast!.recordsPerSecMean,
            upper: r.forecast!.recordsPerSecUpper,
            shards: r.openShardsAfter ?? r.stream?.openShards ?? 0,
          };
        });
    };
    const context = { functionName: 'harbinger-window-closer', awsRequestId: 'local', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
    poller = new KinesisPoller({
      kinesis: clients.kinesis,
      streamName: names.stream,
      handler: (event, ctx) => scorer(event, ctx),
      pollIntervalMs: 50,
      onError: (err, shard) => print(`  ! ${shard}: ${err.message}`),
    });
    await poller.start();

    const injected = options.incident === false ? [] : (options.incidents ?? [defaultIncident(liveStart, liveMinutes)]);
    for (const i of injected) {
      if (i.start < liveStart || i.start + i.durationMs > liveEnd) {
        throw new Error(`Incident ${i.kind} on ${i.service}#${i.region} (${fmt(i.start)} for ${i.durationMs / MINUTE} min) falls outside the live stretch ${fmt(liveStart)}..${fmt(liveEnd)}: move it or lengthen the stretch.`);
      }
    }
    const labels = labelsFor(injected);
    const label = labels[0] ?? null;
    print(
      `Streaming ${liveMinutes} live minutes ${fmt(liveStart)}..${fmt(liveEnd)} through Kinesis (simulated clock)` +
        (labels.length ? `; injected: ${labels.map((l) => `${l.kind} in ${l.partition} at ${fmt(l.start)}`).join(', ')}` : '; no incident'),
    );
    await options.onLiveStart?.({ clients, names, alertsFile, liveStart, liveEnd, labels, capacityPoints });
    // Each partition from its source: the same resolution as a scenario run on AWS (functions/scenario/sources.ts).
    const sourced = await generateSourcedRun(
      { start: liveStart, end: liveEnd, seed: seed + 1, scale, incidents: injected, services: DEFAULT_SERVICES, partitions: built.map((b) => b.partition), source: options.source ?? 'services', windows: options.windows },
      { profiles, model: model?.version ? new SageMakerModelClient({ client: awsClients().sagemakerRuntime, timeoutMs: SAMPLE_TIMEOUT_MS }) : undefined },
    );
    const live = sourced.events;
    for (const g of sourced.generation) if (g.source === 'profile') print(`  ${g.partition.padEnd(22)} live traffic: ${g.reason}${g.sampling ? ` (${g.sampling.calls} sample call${g.sampling.calls === 1 ? '' : 's'}, ${g.sampling.ms} ms)` : ''}`);
    const byMinute = new Map<number, LogEvent[]>();
    for (const e of live) {
      const m = Math.floor(e.timestamp / MINUTE) * MINUTE;
      const list = byMinute.get(m) ?? [];
      list.push(e);
      byMinute.set(m, list);
    }
    let recordsPut = 0;
    let recordsFailed = 0;
    let windowsClosed = 0;
    let windowsScored = 0;
    const anomalies: Anomaly[] = [];
    /** Early warnings opened during the stretch (for the report's lead times). */
    const warnings: Array<{ partition: string; issuedAt: number }> = [];
    const alerts: SentAlert[] = [];
    const tick = async (time: number): Promise<void> => {
      simNow = time;
      const s = (await closer({ time: new Date(time).toISOString() }, context)) as CloseSummary;
      windowsClosed += s.windowsClosed;
      windowsScored += s.windowsScored;
      if (model) {
        model.windowsScored += s.modelScored;
        model.fallbacks += s.modelFallbacks;
      }
      for (const a of s.anomalies) anomalies.push(a);
      for (const a of s.alerts) alerts.push(a);
      for (const p of s.predictions) if (p.change === 'opened') warnings.push({ partition: p.partition, issuedAt: p.issuedAt });
      await options.onMinute?.(time);
    };
    const liveBar = ui.bar('live', liveMinutes, 'min');
    for (let m = liveStart; m < liveEnd; m += MINUTE) {
      simNow = m;
      await capacity?.tick(m);
      const payloads = [...toSubscriptionPayloads(byMinute.get(m) ?? [], { sliceMs: 10_000 })];
      const put = await putPayloads(clients.kinesis, names.stream, payloads);
      recordsPut += put.records;
      recordsPerMinute.set(m, put.records);
      recordsFailed += put.failed;
      if (put.failed) print(`  ! ${put.failed} records could not be put into Kinesis at ${fmt(m)} (counted in the summary)`);
      await poller.waitUntilIdle({ timeoutMs: 60_000, idleMs: 100 });
      await tick(m + MINUTE);
      liveBar.update((m - liveStart) / MINUTE + 1, `${fmt(m + MINUTE)} | ${eventsScored.toLocaleString('en-US')} events scored | ${anomalies.length} anomalous windows`);
    }
    liveBar.stop();
    // Let the last windows pass their allowed lateness: the final tick's cutoff is the last live minute.
    for (let t = liveEnd + MINUTE; t <= liveEnd + latenessMs; t += MINUTE) await tick(t);
    if (latenessMs < MINUTE) await tick(liveEnd + latenessMs);
    await poller.stop();
    poller = undefined;
    const liveMs = Date.now() - tLive;

    const incidentAlerts = anomalies.filter((a) => labels.some((l) => matchesIncident(l, a)));
    const partitions = built.map((b) => b.partition);
    const { report, labelled } = scoreScenarioRun(labels, anomalies, { start: liveStart, end: liveEnd }, partitions, { predictions: warnings });
    const realism =
      (options.realism ?? Boolean(options.scenarioRun))
        ? await runRealism(
            { events: live, partitions, stretch: { start: liveStart, end: liveEnd }, labels, generation: sourced.generation },
            { datasets, profiles, rules: DEFAULT_PARTITION_RULES, defaultRegion: 'us-east-1' },
          )
        : null;
    if (options.scenarioRun) {
      // The one writer of scenario runs (the AWS scenario steps store through it too).
      const run = new ScenarioRunStore(new ObjectStore({ client: awsClients().s3, bucket: names.syntheticBucket }), options.scenarioRun.id);
      await run.writeGenerated({ spec: options.scenarioRun.spec, labels, events: live });
      // The manifest names the replayed stretch and partitions (retraining and the profile builder read it, see scenarioData).
      await run.writeManifest({
        runId: options.scenarioRun.id,
        name: options.scenarioRun.name ?? options.scenarioRun.id,
        bucket: names.syntheticBucket,
        prefix: run.keys.prefix,
        replay: true,
        start: new Date(liveStart).toISOString(),
        end: new Date(liveEnd).toISOString(),
        minutes: liveMinutes,
        partitions,
        incidents: labels.length,
        events: live.length,
        generation: sourced.generation,
        labels,
      });
      await run.writeReport({ ...report, generation: sourced.generation, realism }, labelled);
      print(`  scenario run stored at ${run.uri} (spec, manifest, labels, ${live.length.toLocaleString('en-US')} events, report, labelled anomalies)`);
    }
    const falseAlerts = anomalies.filter((a) => !incidentAlerts.includes(a));
    const first = incidentAlerts.length ? incidentAlerts.reduce((m, a) => Math.min(m, a.windowStart), Infinity) : null;
    const result: DemoResult = {
      liveStart,
      liveEnd,
      historyEvents,
      profiles: built,
      liveEvents: live.length,
      recordsPut,
      recordsFailed,
      eventsScored,
      malformed,
      lateEvents,
      windowsClosed,
      windowsScored,
      anomalies,
      alerts,
      incident: label ? { partition: label.partition, start: label.start, end: label.end, kind: label.kind } : null,
      incidentAlerts,
      falseAlerts,
      caught: incidentAlerts.length > 0,
      detectionDelayMin: first !== null && label ? (first - label.start) / MINUTE : null,
      labels,
      report,
      generation: sourced.generation,
      realism,
      model,
      capacity: capacity ? capacity.summary() : null,
      remediation: remediation ? await remediation.outcomes(simNow) : [],
      where: { anomalyBucket: names.anomalyBucket, datasetBucket: names.datasetBucket, table: names.table, alertsFile, dataDir },
      timingsMs: { startup: startupMs, history: historyMs, model: modelMs, live: liveMs, total: Date.now() - t0 },
    };
    await options.onDone?.(result);
    return result;
  } finally {
    if (poller) await poller.stop().catch(() => {});
    await modelHost?.stop().catch(() => {});
    await stack.stop();
  }
}

function fmt(t: number): string {
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
}
