/**
 * Runs the retraining state machine on this machine: the very definition the CDK stack deploys
 * (infra/retraining/definition.ts), with its `${...}` placeholders filled with local values, run by
 * aws-local-stepfunctions. Every Task state is overridden:
 * - the Lambda steps call the same step code in-process ({FunctionName, Payload} -> {Payload});
 * - TrainModel runs a SageMaker training job locally ({@link runLocalTrainingJob}): channels
 *   from the local S3 into an /opt/ml-like folder, the container's training entry point as a child
 *   process, metrics parsed with the same MetricDefinitions, model uploaded to the model bucket;
 * - deploying serves the model with the container's own server as a child process
 *   ({@link LocalModelHost}); the real SageMaker runtime client reaches it.
 * Wait states take no time locally.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { StateMachine as StateMachineType, StateMachineDefinition } from 'aws-local-stepfunctions';
import { ObjectStore } from '../../functions/adapters/object-store';
import { ProfileStore } from '../../functions/adapters/profile-store';
import { parseMetricLog } from '../../functions/core/evaluation';
import { prepareDataset } from '../../functions/retraining/prepare';
import { evaluateChallenger } from '../../functions/retraining/evaluate';
import { partitionsWithWindows, rebuildProfile } from '../../functions/profile-builder/builder';
import { deployModel, deploymentNames } from '../../functions/retraining/deploy';
import { checkEndpoint } from '../../functions/retraining/endpoint-status';
import { publishProfiles } from '../../functions/retraining/publish';
import { sageMakerInvoker } from '../../functions/retraining/model-invoker';
import { parseS3Uri, s3Uri } from '../../functions/retraining/s3-uri';
import type { EvaluateOutput, RetrainingRequest, TrainingJobResult } from '../../functions/retraining/types';
import { RETRAINING_STATES, retrainingDefinitionString, type RetrainingSubstitution } from '../retraining/definition';
import type { ResourceNames } from '../../functions/core/resources';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './clients';
import type { LocalStack } from './local-stack';
import { LocalModelHost, modelEntryArgs, REPO_ROOT } from './model-server';

/** Local account id used in the placeholder ARNs. */
const LOCAL_ACCOUNT = '000000000000';

/** Local values for every placeholder of the definition. */
export function localSubstitutions(names: ResourceNames): Record<RetrainingSubstitution, string> {
  const fn = (step: string): string => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:harbinger-retrain-${step}`;
  return {
    PrepareFunctionArn: fn('prepare'),
    EvaluateFunctionArn: fn('evaluate'),
    DeployFunctionArn: fn('deploy'),
    EndpointStatusFunctionArn: fn('endpoint-status'),
    PublishFunctionArn: fn('publish'),
    TrainingImageUri: `${LOCAL_ACCOUNT}.dkr.ecr.${LOCAL_REGION}.amazonaws.com/harbinger-vae:local`,
    SageMakerRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/harbinger-sagemaker-local`,
    ModelBucket: names.modelBucket,
    TrainingInstanceType: 'ml.m5.large',
  };
}

/** A placeholder of the definition had no value. */
export class SubstitutionError extends Error {
  override readonly name = 'SubstitutionError';
}

/**
 * Fills `${Name}` placeholders in a definition string, as CloudFormation's DefinitionSubstitutions
 * does. Values are JSON-escaped.
 * @throws SubstitutionError naming placeholders left without a value
 */
export function substituteDefinition(definition: string, values: Readonly<Record<string, string>>): string {
  const missing = new Set<string>();
  const out = definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => {
    if (!(name in values)) {
      missing.add(name);
      return whole;
    }
    return JSON.stringify(values[name]).slice(1, -1);
  });
  if (missing.size) throw new SubstitutionError(`No value for placeholder(s) ${[...missing].join(', ')} of the retraining definition.`);
  return out;
}

/** A state the local execution entered or left. */
export interface RetrainingStateEvent {
  /** `StateEntered`, `StateExited`, `StateFailed`, `StateRetried` or `StateCaught`. */
  type: string;
  state: string;
  stateType: string;
  at: number;
}

/** Options of {@link runLocalRetraining}. */
export interface LocalRetrainingOptions {
  /** Execution input. */
  input?: RetrainingRequest;
  /**
   * Where models are served. Pass one to keep the endpoint (and the champion) across runs; the
   * caller stops it. Default: one created for the run and stopped at its end.
   */
  host?: LocalModelHost;
  /** Scratch folder (training roots, served models). Default: a folder under the OS temp dir. */
  workDir?: string;
  /** Keep each training job's /opt/ml-like folder (default: removed after the job). */
  keepTrainingDirs?: boolean;
  /** Each state entered/left. */
  onState?: (event: RetrainingStateEvent) => void;
  /** Progress lines (training output, deployments). */
  log?: (line: string) => void;
  /** Upper bound for the whole execution, ms. Default 30 minutes. */
  timeoutMs?: number;
  /** Where models/main.ts lives. Default: this repository. */
  repoRoot?: string;
}

/** Outcome of a local execution. */
export interface LocalRetrainingResult {
  status: 'SUCCEEDED' | 'FAILED';
  /** States entered, in order (repeats included). */
  states: string[];
  /** The evaluate step's decision (null when the run failed before it). */
  decision: { promote: boolean; reason: string } | null;
  evaluation: EvaluateOutput | null;
  /** The training job (challenger version); null when PrepareDataset failed. */
  jobName: string | null;
  /** The model serving the partitions after the run: the job when promoted and published, else the champion (or null). */
  modelVersion: string | null;
  /** Execution output (success only). */
  output: unknown;
  /** Error and cause of a failed execution. */
  error: { error: string; cause: string } | null;
  durationMs: number;
}

/** A local training job failed; the message is the job's output/failure (SageMaker's FailureReason). */
export class LocalTrainingJobError extends Error {
  override readonly name = 'LocalTrainingJobError';
}

/** The part of CreateTrainingJob's request the local job uses. */
interface TrainingJobRequest {
  TrainingJobName: string;
  AlgorithmSpecification?: { MetricDefinitions?: Array<{ Name: string; Regex: string }> };
  HyperParameters?: Record<string, string>;
  InputDataConfig?: Array<{ ChannelName: string; DataSource?: { S3DataSource?: { S3Uri?: string } } }>;
  OutputDataConfig?: { S3OutputPath?: string };
  StoppingCondition?: { MaxRuntimeInSeconds?: number };
}

/** Options of {@link runLocalTrainingJob}. */
export interface LocalTrainingJobOptions {
  s3: S3Client;
  workDir: string;
  keepDir?: boolean;
  log?: (line: string) => void;
  repoRoot?: string;
}

async function downloadPrefix(s3: S3Client, uri: string, dir: string): Promise<number> {
  const { bucket, key } = parseS3Uri(uri);
  const store = new ObjectStore({ client: s3, bucket });
  const keys = await store.list(key);
  await mkdir(dir, { recursive: true });
  for (const k of keys) {
    const bytes = await store.getBytes(k);
    if (!bytes) continue;
    const rel = k.slice(key.length).replace(/\//g, '_') || 'data';
    await writeFile(join(dir, rel), bytes);
  }
  return keys.length;
}

/**
 * Runs a SageMaker training job on this machine with the training contract: channels downloaded
 * from the local S3 into `<root>/input/data/<channel>/`, `input/config/hyperparameters.json`,
 * `models/main.ts train` as a child process (output streamed to `log`), metrics parsed from its
 * output with the job's MetricDefinitions, `<root>/model/*` uploaded to
 * `<S3OutputPath><job>/model/`. Returns a DescribeTrainingJob-shaped result.
 * @throws LocalTrainingJobError with the content of output/failure when the job fails
 */
export async function runLocalTrainingJob(request: TrainingJobRequest, options: LocalTrainingJobOptions): Promise<TrainingJobResult & Record<string, unknown>> {
  const job = request.TrainingJobName;
  const log = options.log ?? (() => undefined);
  const root = join(options.workDir, 'training', job);
  const started = Date.now();
  await rm(root, { recursive: true, force: true });
  try {
    const config = join(root, 'input', 'config');
    await mkdir(config, { recursive: true });
    await writeFile(join(config, 'hyperparameters.json'), JSON.stringify(request.HyperParameters ?? {}));
    await writeFile(join(config, 'resourceconfig.json'), JSON.stringify({ current_host: 'algo-1', hosts: ['algo-1'] }));
    const channels: Record<string, unknown> = {};
    for (const c of request.InputDataConfig ?? []) {
      const uri = c.DataSource?.S3DataSource?.S3Uri;
      if (!uri) continue;
      const n = await downloadPrefix(options.s3, uri, join(root, 'input', 'data', c.ChannelName));
      channels[c.ChannelName] = { TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' };
      log(`channel ${c.ChannelName}: ${n} objects from ${uri}`);
    }
    await writeFile(join(config, 'inputdataconfig.json'), JSON.stringify(channels));
    const output = await runChild(job, root, (request.StoppingCondition?.MaxRuntimeInSeconds ?? 3600) * 1000, log, options.repoRoot);
    if (output.code !== 0) {
      const failure = await readFile(join(root, 'output', 'failure'), 'utf8').catch(() => '');
      throw new LocalTrainingJobError(failure.trim() || `Training job ${job} ${output.timedOut ? 'hit MaxRuntimeInSeconds' : `exited with code ${output.code}`}: ${output.tail}`);
    }
    const outputPath = request.OutputDataConfig?.S3OutputPath ?? '';
    const { bucket, key } = parseS3Uri(outputPath);
    const prefix = `${key}${key && !key.endsWith('/') ? '/' : ''}${job}/model/`;
    const store = new ObjectStore({ client: options.s3, bucket });
    const modelDir = join(root, 'model');
    const files = (await readdir(modelDir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isFile());
    if (files.length === 0) throw new LocalTrainingJobError(`Training job ${job} exited 0 but wrote nothing to ${modelDir}.`);
    for (const f of files) await store.putBytes(`${prefix}${f.name}`, await readFile(join(modelDir, f.name)));
    const at = new Date().toISOString();
    return {
      TrainingJobName: job,
      TrainingJobStatus: 'Completed',
      SecondaryStatus: 'Completed',
      HyperParameters: request.HyperParameters ?? {},
      ModelArtifacts: { S3ModelArtifacts: s3Uri(bucket, prefix) },
      FinalMetricDataList: parseMetricLog(output.log, request.AlgorithmSpecification?.MetricDefinitions).map((m) => ({ ...m, Timestamp: at })),
      TrainingStartTime: new Date(started).toISOString(),
      TrainingEndTime: at,
      TrainingTimeInSeconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    if (!options.keepDir) await rm(root, { recursive: true, force: true });
  }
}

/** Runs `models/main.ts train`; resolves with its exit code and output (bounded by `timeoutMs`). */
function runChild(job: string, root: string, timeoutMs: number, log: (line: string) => void, repoRoot = REPO_ROOT): Promise<{ code: number; log: string; tail: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, modelEntryArgs('train'), {
      cwd: repoRoot,
      env: { ...process.env, HARBINGER_ML_ROOT: root, TRAINING_JOB_NAME: job, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const lines: string[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const onData = (stream: NodeJS.ReadableStream | null): void => {
      let buf = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buf += chunk;
        const parts = buf.split('\n');
        buf = parts.pop() ?? '';
        for (const l of parts) {
          if (lines.length < 200_000) lines.push(l);
          if (l) log(`  [train] ${l}`);
        }
      });
      stream?.on('end', () => {
        if (buf) {
          lines.push(buf);
          log(`  [train] ${buf}`);
        }
      });
    };
    onData(child.stdout);
    onData(child.stderr);
    child.once('error', (err) => {
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      reject(new LocalTrainingJobError(`Could not start the training entry point: ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      resolve({ code: code ?? 1, log: lines.join('\n'), tail: lines.slice(-10).join('\n'), timedOut });
    });
  });
}

/** aws-local-stepfunctions uses Promise.withResolvers (Node 22); define it on Node 20 before loading. */
export async function loadStateMachine(): Promise<typeof StateMachineType> {
  const P = Promise as unknown as { withResolvers?: <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } };
  P.withResolvers ??= <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((a, b) => {
      resolve = a;
      reject = b;
    });
    return { promise, resolve, reject };
  };
  return (await import('aws-local-stepfunctions')).StateMachine;
}

/** The definition with local values, parsed (and validated by aws-local-stepfunctions). */
export async function localRetrainingStateMachine(names: ResourceNames): Promise<StateMachineType> {
  const StateMachine = await loadStateMachine();
  const definition = JSON.parse(substituteDefinition(retrainingDefinitionString(), localSubstitutions(names))) as StateMachineDefinition;
  return new StateMachine(definition);
}

type Json = Parameters<StateMachineType['run']>[0];
const asJson = (x: unknown): Json => JSON.parse(JSON.stringify(x)) as Json;
const lambda = <E>(step: (payload: E) => Promise<unknown>) => async (input: Json): Promise<Json> => asJson({ Payload: await step((input as { Payload: E }).Payload) });

/**
 * If CURRENT profiles reference a served model the host does not serve (a new process, the same
 * data dir), serve it again from its artifact, so the champion can defend its title.
 */
async function restoreChampion(host: LocalModelHost, profiles: ProfileStore, names: ResourceNames, log: (l: string) => void): Promise<void> {
  const served = new Set(host.endpointNames());
  for (const p of await profiles.partitions()) {
    const model = (await profiles.getCurrent(p))?.model;
    if (!model?.endpoint || served.has(model.endpoint)) continue;
    const { modelName, endpointConfigName } = deploymentNames(model.version);
    try {
      await host.deploy({ endpointName: model.endpoint, modelName, endpointConfigName, modelDataUrl: s3Uri(names.modelBucket, `artifacts/${model.version}/model/`), image: 'local', roleArn: 'local' });
      log(`champion ${model.version} served again on ${model.endpoint}`);
    } catch (err) {
      log(`champion ${model.version} could not be served again: ${(err as Error).message}`);
    }
    served.add(model.endpoint);
  }
}

/**
 * Runs the retraining state machine against a local stack and returns what happened. The model
 * bucket must exist (provision creates it). Points AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME at the local
 * endpoint (restored at the end when the run created its own host; with `options.host` it stays,
 * and the stack restores the environment when it stops).
 */
export async function runLocalRetraining(stack: LocalStack, options: LocalRetrainingOptions = {}): Promise<LocalRetrainingResult> {
  const t0 = Date.now();
  const log = options.log ?? (() => undefined);
  const workDir = options.workDir ?? join(tmpdir(), 'harbinger-retraining');
  await mkdir(workDir, { recursive: true });
  const s3 = stack.clients.s3;
  const ownsHost = !options.host;
  const host = options.host ?? new LocalModelHost({ s3, workDir: join(workDir, 'endpoints'), log, repoRoot: options.repoRoot });
  const endpointUrl = await host.endpointUrl();
  const previousRuntimeUrl = process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME;
  process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = endpointUrl;
  const runtime = new SageMakerRuntimeClient({ region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, endpoint: endpointUrl, maxAttempts: 2 });
  const invoker = sageMakerInvoker(runtime);
  const profiles = new ProfileStore({ client: DynamoDBDocumentClient.from(stack.clients.dynamodb, { marshallOptions: { removeUndefinedValues: true } }), table: stack.names.table, cacheTtlMs: 0 });
  const bucket = (name: string): ObjectStore => new ObjectStore({ client: s3, bucket: name });
  const models = bucket(stack.names.modelBucket);
  const S = RETRAINING_STATES;

  const states: string[] = [];
  let evaluation: EvaluateOutput | null = null;
  let jobName: string | null = null;
  let published = false;
  try {
    await restoreChampion(host, profiles, stack.names, log);
    const machine = await localRetrainingStateMachine(stack.names);
    const execution = machine.run(asJson(options.input ?? {}), {
      overrides: {
        taskResourceLocalHandlers: {
          [S.prepare]: lambda((p: Parameters<typeof prepareDataset>[0]) =>
            prepareDataset(p, { datasets: bucket(stack.names.datasetBucket), anomalies: bucket(stack.names.anomalyBucket), models, jobPrefix: stack.names.modelEndpoint, runs: bucket(stack.names.syntheticBucket) }),
          ),
          [S.train]: async (input) => asJson(await runLocalTrainingJob(input as unknown as TrainingJobRequest, { s3, workDir, keepDir: options.keepTrainingDirs, log, repoRoot: options.repoRoot })),
          [S.evaluate]: lambda((p: Parameters<typeof evaluateChallenger>[0]) => evaluateChallenger(p, { models, profiles, invoker })),
          [S.deploy]: lambda((p: Parameters<typeof deployModel>[0]) => deployModel(p, { hosting: host, endpointName: stack.names.modelEndpoint })),
          [S.checkEndpoint]: lambda((p: Parameters<typeof checkEndpoint>[0]) => checkEndpoint(p, { hosting: host })),
          [S.publish]: lambda((p: Parameters<typeof publishProfiles>[0]) => publishProfiles(p, { models, profiles, invoker })),
          [S.refreshThresholds]: lambda((p: Parameters<typeof publishProfiles>[0]) => publishProfiles(p, { models, profiles, invoker })),
        },
        waitTimeOverrides: { [S.waitForEndpoint]: 0 },
        retryIntervalOverrides: Object.fromEntries([S.prepare, S.evaluate, S.deploy, S.checkEndpoint, S.publish, S.refreshThresholds].map((s) => [s, 0])),
      },
    });
    const timeoutMs = options.timeoutMs ?? 30 * 60_000;
    const timer = setTimeout(() => execution.abort(), timeoutMs);
    const watch = (async () => {
      for await (const e of execution.eventLogs) {
        if (!('state' in e)) continue;
        if (e.type === 'StateEntered') states.push(e.state.name);
        const out = e.type === 'StateExited' ? (e.state.output as Record<string, unknown> | undefined) : undefined;
        if (out && e.state.name === S.prepare) jobName = (out.prepared as { jobName?: string } | undefined)?.jobName ?? null;
        if (out && e.state.name === S.evaluate) evaluation = (out.evaluation as EvaluateOutput | undefined) ?? null;
        if (out && e.state.name === S.publish) published = true;
        options.onState?.({ type: e.type, state: e.state.name, stateType: e.state.type, at: e.timestamp });
      }
    })();
    let output: unknown = null;
    let error: LocalRetrainingResult['error'] = null;
    try {
      output = await execution.result;
    } catch (err) {
      error = executionError(err, timeoutMs);
    } finally {
      clearTimeout(timer);
      await watch.catch(() => undefined);
    }
    const ev = evaluation as EvaluateOutput | null;
    return {
      status: error ? 'FAILED' : 'SUCCEEDED',
      states,
      decision: ev ? { promote: ev.promote, reason: ev.reason } : null,
      evaluation: ev,
      jobName,
      modelVersion: published ? jobName : (ev?.championVersion ?? null),
      output,
      error,
      durationMs: Date.now() - t0,
    };
  } finally {
    runtime.destroy();
    if (ownsHost) {
      await host.stop();
      // The endpoint is gone with the host: do not leave the process pointing at it.
      if (previousRuntimeUrl === undefined) delete process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME;
      else process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = previousRuntimeUrl;
    }
  }
}

/**
 * End of the newest day that has stored window features (epoch ms), or null when there are none:
 * a sensible `now` for data from `harbinger demo`, whose history lies on a simulated clock.
 */
export async function latestWindowDayEnd(stack: LocalStack): Promise<number | null> {
  const keys = await new ObjectStore({ client: stack.clients.s3, bucket: stack.names.datasetBucket }).list('windows/');
  let newest: string | null = null;
  for (const k of keys) {
    const d = /\/date=(\d{4}-\d{2}-\d{2})\//.exec(k)?.[1];
    if (d && (newest === null || d > newest)) newest = d;
  }
  return newest ? Date.parse(`${newest}T00:00:00Z`) + 86_400_000 : null;
}

/**
 * Builds a baseline profile (the profile-builder code path) for every partition with window
 * features but no CURRENT profile: the publish step adds the model to existing profiles only.
 * Returns the partitions built.
 */
export async function ensureBaselineProfiles(stack: LocalStack, now: number, days: number): Promise<string[]> {
  const datasets = new ObjectStore({ client: stack.clients.s3, bucket: stack.names.datasetBucket });
  const profiles = new ProfileStore({ client: DynamoDBDocumentClient.from(stack.clients.dynamodb, { marshallOptions: { removeUndefinedValues: true } }), table: stack.names.table, cacheTtlMs: 0 });
  const built: string[] = [];
  for (const p of await partitionsWithWindows(datasets)) {
    if ((await profiles.currentVersion(p)) > 0) continue;
    try {
      await rebuildProfile(p, now, { datasets, profiles, days });
      built.push(p);
    } catch {
      // No windows in the period: the prepare step reports it.
    }
  }
  return built;
}

/** Error and cause of a failed local execution (the Fail state's, or why the run stopped). */
function executionError(err: unknown, timeoutMs: number): { error: string; cause: string } {
  const e = err as Error & { cause?: unknown };
  if (e?.name === 'ExecutionAbortedError') return { error: 'Harbinger.LocalTimeout', cause: `The local execution was aborted after ${timeoutMs} ms.` };
  const inner = e?.cause instanceof Error ? e.cause : e;
  return { error: inner?.name ?? 'Error', cause: inner?.message ?? String(err) };
}
