/**
 * Runs the scenario-run state machine on this machine: the very definition the CDK stack deploys
 * (infra/scenario/definition.ts), its `${ScenarioFunctionArn}` filled with a local ARN, run by
 * aws-local-stepfunctions. Every Task calls the very scenario handler (functions/scenario/handler.ts)
 * in-process, with dependencies on the emulators: the synthetic and anomaly buckets (S3 emulator),
 * the stream (Kinesis emulator), and an alert publisher (the local sink, or any).
 *
 * Time is simulated: Wait states take no time, and the clock jumps to where they would have waited
 * (a minute's start before ReplayMinute, the report time before Report); the replay's pacing inside
 * a minute advances the same clock instead of sleeping.
 */
import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import type { StateMachine as StateMachineType, StateMachineDefinition } from 'aws-local-stepfunctions';
import type { AlertPublisher } from '../../functions/adapters/alert-publisher';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClients } from '../../functions/adapters/clients';
import { SageMakerModelClient } from '../../functions/adapters/model-client';
import { ObjectStore } from '../../functions/adapters/object-store';
import { ProfileStore } from '../../functions/adapters/profile-store';
import { DEFAULT_PARTITION_RULES } from '../../functions/core/partition';
import { SAMPLE_TIMEOUT_MS } from '../../functions/scenario/env';
import { KinesisRecordStream } from '../../functions/adapters/record-stream';
import { createScenarioHandler } from '../../functions/scenario/handler';
import type { ScenarioDeps } from '../../functions/scenario/env';
import type { ScenarioRun } from '../../functions/scenario/types';
import type { ScenarioRunCompletedDetail } from '../../functions/core/resources';
import { SCENARIO_STATES, scenarioDefinitionString, type ScenarioSubstitution } from '../scenario/definition';
import { LOCAL_REGION } from './clients';
import type { LocalStack } from './local-stack';
import { loadStateMachine, substituteDefinition } from './retraining';

const LOCAL_ACCOUNT = '000000000000';

/** Local values for the definition's placeholder. */
export function localScenarioSubstitutions(): Record<ScenarioSubstitution, string> {
  return { ScenarioFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:harbinger-scenario` };
}

/** The definition with local values, parsed (and validated by aws-local-stepfunctions). */
export async function localScenarioStateMachine(): Promise<StateMachineType> {
  const StateMachine = await loadStateMachine();
  return new StateMachine(JSON.parse(substituteDefinition(scenarioDefinitionString(), localScenarioSubstitutions())) as StateMachineDefinition);
}

/** Options of {@link runLocalScenarioRun}. */
export interface LocalScenarioRunOptions {
  /** The execution input (the run request). */
  input: unknown;
  /** Where "Scenario Run Completed" goes (e.g. a LocalAlertSink). */
  alerts: AlertPublisher;
  /** The execution's start on the simulated clock, epoch ms. Default: now. */
  startTime?: number;
  /** Execution name (part of the run id). Default `local-<start>`. */
  executionName?: string;
  /** The pipeline's allowed lateness, ms (the report waits for it). Default 120 s. */
  latenessMs?: number;
  /** Each state entered. */
  onState?: (state: string) => void;
  /** Bound on the whole (simulated) execution, wall ms. Default 10 minutes. */
  timeoutMs?: number;
}

/** Outcome of a local execution. */
export interface LocalScenarioRunResult {
  status: 'SUCCEEDED' | 'FAILED';
  /** States entered, in order. */
  states: string[];
  /** The execution output: the completed event's detail. */
  output: ScenarioRunCompletedDetail | null;
  /** The run manifest as the last state saw it (null when Generate failed). */
  run: ScenarioRun | null;
  error: { error: string; cause: string } | null;
  /** The simulated clock at the end, epoch ms. */
  endedAt: number;
  durationMs: number;
}

type Json = Parameters<StateMachineType['run']>[0];
const asJson = (x: unknown): Json => JSON.parse(JSON.stringify(x)) as Json;

/**
 * The scenario dependencies on a local stack, on a simulated clock: the buckets, stream and table of
 * the emulators; the model endpoint through the real SageMaker Runtime client
 * (AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME, the local model host, when one runs).
 * @param clock - read and advanced by the replay (sleep moves it forward)
 */
export function localScenarioDeps(stack: LocalStack, alerts: AlertPublisher, clock: { now: number }, latenessMs = 120_000): ScenarioDeps {
  const bucket = (name: string): ObjectStore => new ObjectStore({ client: stack.clients.s3, bucket: name });
  const profiles = new ProfileStore({ client: DynamoDBDocumentClient.from(stack.clients.dynamodb), table: stack.names.table, cacheTtlMs: 0 });
  return {
    profiles,
    model: new SageMakerModelClient({ client: awsClients().sagemakerRuntime, timeoutMs: SAMPLE_TIMEOUT_MS }),
    realism: { datasets: bucket(stack.names.datasetBucket), profiles, rules: DEFAULT_PARTITION_RULES, defaultRegion: LOCAL_REGION },
    runs: bucket(stack.names.syntheticBucket),
    anomalies: bucket(stack.names.anomalyBucket),
    stream: new KinesisRecordStream({ client: stack.clients.kinesis, streamName: stack.names.stream }),
    alerts,
    latenessMs,
    now: () => clock.now,
    sleep: async (ms) => {
      clock.now += Math.max(0, ms);
    },
  };
}

/** Runs the scenario state machine against a local stack and returns what happened. */
export async function runLocalScenarioRun(stack: LocalStack, options: LocalScenarioRunOptions): Promise<LocalScenarioRunResult> {
  const t0 = Date.now();
  const clock = { now: options.startTime ?? Date.now() };
  const deps = localScenarioDeps(stack, options.alerts, clock, options.latenessMs);
  const handler = createScenarioHandler({ deps, logger: new Logger({ serviceName: 'harbinger-scenario', logLevel: 'ERROR' }) });
  const context = {
    functionName: 'harbinger-scenario',
    awsRequestId: 'local',
    invokedFunctionArn: localScenarioSubstitutions().ScenarioFunctionArn,
    getRemainingTimeInMillis: () => 900_000,
  } as unknown as Context;
  const S = SCENARIO_STATES;
  let run: ScenarioRun | null = null;
  const invoke = (before?: (input: Record<string, unknown>) => void) => async (input: Json): Promise<Json> => {
    const event = input as Record<string, unknown>;
    before?.(event);
    return asJson(await handler(event, context));
  };
  // What the Wait states would have waited for, on the simulated clock.
  const waitUntil = (iso: string | undefined): void => {
    const t = iso ? Date.parse(iso) : NaN;
    if (Number.isFinite(t)) clock.now = Math.max(clock.now, t);
  };
  const startTime = clock.now;
  const machine = await localScenarioStateMachine();
  const executionName = options.executionName ?? `local-${clock.now}`;
  const execution = machine.run(asJson(options.input), {
    overrides: {
      taskResourceLocalHandlers: {
        // aws-local-stepfunctions always sets $$.Execution.StartTime to the wall clock: the run starts on the simulated one.
        [S.generate]: invoke((e) => {
          e.executionStartTime = new Date(startTime).toISOString();
        }),
        [S.replayMinute]: invoke((e) => waitUntil((e.run as ScenarioRun).cursor.waitUntil)),
        [S.report]: invoke((e) => waitUntil((e.run as ScenarioRun).reportAt)),
        [S.publish]: invoke(),
      },
      waitTimeOverrides: { [S.waitForMinute]: 0, [S.waitForScoring]: 0 },
      retryIntervalOverrides: Object.fromEntries([S.generate, S.replayMinute, S.report, S.publish].map((s) => [s, 0])),
    },
    context: { Execution: { Name: executionName } },
  });
  const states: string[] = [];
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const timer = setTimeout(() => execution.abort(), timeoutMs);
  const watch = (async () => {
    for await (const e of execution.eventLogs) {
      if (!('state' in e)) continue;
      if (e.type === 'StateEntered') {
        states.push(e.state.name);
        options.onState?.(e.state.name);
      }
      if (e.type === 'StateExited') {
        const out = e.state.output as { run?: ScenarioRun } | undefined;
        if (out?.run) run = out.run;
      }
    }
  })();
  let output: ScenarioRunCompletedDetail | null = null;
  let error: LocalScenarioRunResult['error'] = null;
  try {
    output = (await execution.result) as unknown as ScenarioRunCompletedDetail;
  } catch (err) {
    const e = err as Error & { cause?: unknown };
    if (e?.name === 'ExecutionAbortedError') error = { error: 'Harbinger.LocalTimeout', cause: `The local execution was aborted after ${timeoutMs} ms.` };
    else {
      const inner = e?.cause instanceof Error ? e.cause : e;
      error = { error: inner?.name ?? 'Error', cause: inner?.message ?? String(err) };
    }
  } finally {
    clearTimeout(timer);
    await watch.catch(() => undefined);
  }
  return { status: error ? 'FAILED' : 'SUCCEEDED', states, output, run, error, endedAt: clock.now, durationMs: Date.now() - t0 };
}
