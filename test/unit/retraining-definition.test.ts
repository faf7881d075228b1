/**
 * The retraining state machine definition (one definition, both worlds): structure, placeholders,
 * validation by aws-local-stepfunctions, and the data flow between states, run in-process with
 * stub tasks (no emulators): happy path, champion kept, failures and the bounded endpoint wait.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_ENDPOINT_CHECKS,
  RETRAINING_ERRORS,
  RETRAINING_STATES as S,
  RETRAINING_SUBSTITUTIONS,
  retrainingDefinition,
  retrainingDefinitionString,
} from '../../infra/retraining/definition';
import { localRetrainingStateMachine, localSubstitutions, substituteDefinition, SubstitutionError } from '../../infra/local/retraining';
import { METRIC_DEFINITIONS } from '../../functions/core/evaluation';
import { resourceNames } from '../../functions/core/resources';
import type { EndpointDeployment, EvaluateOutput, PrepareOutput } from '../../functions/retraining/types';

type State = Record<string, unknown> & { Type: string };
type Json = Parameters<Awaited<ReturnType<typeof localRetrainingStateMachine>>['run']>[0];
type Rec = Record<string, unknown>;
interface Channel {
  ChannelName: string;
  DataSource: { S3DataSource: Record<string, string> };
}
interface TrainParams {
  'TrainingJobName.$': string;
  TrainingJobName: string;
  AlgorithmSpecification: unknown;
  RoleArn: string;
  HyperParameters: Record<string, string>;
  InputDataConfig: Channel[];
  OutputDataConfig: { S3OutputPath: string };
  ResourceConfig: unknown;
  StoppingCondition: unknown;
}
interface LambdaInput {
  FunctionName: string;
  Payload: Rec & { deployment?: EndpointDeployment; training?: { FinalMetricDataList: Array<{ Value: number }> } };
}
const def = retrainingDefinition() as { StartAt: string; States: Record<string, State> };
const states = def.States;

function successors(s: State): string[] {
  const out: string[] = [];
  if (typeof s.Next === 'string') out.push(s.Next);
  if (typeof s.Default === 'string') out.push(s.Default);
  for (const c of (s.Choices as Array<{ Next: string }> | undefined) ?? []) out.push(c.Next);
  for (const c of (s.Catch as Array<{ Next: string }> | undefined) ?? []) out.push(c.Next);
  return out;
}

function reachable(): Set<string> {
  const seen = new Set<string>([def.StartAt]);
  const queue = [def.StartAt];
  for (let i = 0; i < queue.length; i++) {
    for (const n of successors(states[queue[i]])) {
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}

describe('retraining definition: structure', () => {
  it('has exactly the placeholders RETRAINING_SUBSTITUTIONS names', () => {
    const found = new Set([...retrainingDefinitionString().matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));
    expect([...found].sort()).toEqual([...RETRAINING_SUBSTITUTIONS].sort());
  });

  it('names every state through RETRAINING_STATES, and every state is reachable', () => {
    expect(Object.keys(states).sort()).toEqual(Object.values(S).sort());
    expect([...reachable()].sort()).toEqual(Object.keys(states).sort());
    for (const s of Object.values(states)) for (const n of successors(s)) expect(states[n], `target ${n}`).toBeDefined();
  });

  it('routes every non-terminal state somewhere, and every Choice has branches and a Default', () => {
    for (const [name, s] of Object.entries(states)) {
      if (s.Type === 'Choice') {
        expect((s.Choices as unknown[]).length, name).toBeGreaterThan(0);
        expect(typeof s.Default, name).toBe('string');
      } else if (s.Type !== 'Succeed' && s.Type !== 'Fail') expect(typeof s.Next === 'string' || s.End === true, name).toBe(true);
    }
  });

  it('catches every Task into a Fail state, retries Lambda service errors, and bounds every Task', () => {
    const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([n]) => n).sort()).toEqual([S.prepare, S.train, S.evaluate, S.deploy, S.checkEndpoint, S.publish, S.refreshThresholds].sort());
    for (const [name, s] of tasks) {
      const c = s.Catch as Array<{ ErrorEquals: string[]; Next: string; ResultPath: string }>;
      expect(c[0].ErrorEquals, name).toEqual(['States.ALL']);
      expect(states[c[0].Next].Type, name).toBe('Fail');
      expect(s.TimeoutSeconds, name).toBeGreaterThan(60);
      if (s.Resource === 'arn:aws:states:::lambda:invoke') {
        const retry = s.Retry as Array<{ ErrorEquals: string[] }>;
        expect(retry[0].ErrorEquals, name).toContain('Lambda.ServiceException');
        expect(retry[0].ErrorEquals, name).not.toContain('States.ALL');
      }
    }
    expect((states[S.train].Catch as Array<{ Next: string }>)[0].Next).toBe(S.trainingFailed);
    expect(states[S.trainingFailed].Error).toBe(RETRAINING_ERRORS.training);
  });

  it('runs a SageMaker training job with the contract\'s channels, metrics and limits', () => {
    const t = states[S.train];
    expect(t.Resource).toBe('arn:aws:states:::sagemaker:createTrainingJob.sync');
    const p = t.Parameters as TrainParams;
    expect(p['TrainingJobName.$']).toBe('$.prepared.jobName');
    expect(p.AlgorithmSpecification).toEqual({ TrainingImage: '${TrainingImageUri}', TrainingInputMode: 'File', MetricDefinitions: METRIC_DEFINITIONS.map((d) => ({ ...d })) });
    expect(p.RoleArn).toBe('${SageMakerRoleArn}');
    expect(p.InputDataConfig.map((c) => c.ChannelName)).toEqual(['train', 'holdout']);
    expect(p.InputDataConfig[0].DataSource.S3DataSource['S3Uri.$']).toBe("States.Format('s3://${ModelBucket}/training/{}/train/', $.prepared.jobName)");
    expect(p.OutputDataConfig.S3OutputPath).toBe('s3://${ModelBucket}/artifacts/');
    expect(p.ResourceConfig).toEqual({ InstanceType: '${TrainingInstanceType}', InstanceCount: 1, VolumeSizeInGB: 10 });
    expect(p.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600 });
    expect(t.ResultPath).toBe('$.training');
  });

  it('is valid ASL for aws-local-stepfunctions, with placeholders and with local values', async () => {
    const StateMachine = (await localRetrainingStateMachine(resourceNames())).constructor as new (d: unknown) => unknown;
    expect(() => new StateMachine(retrainingDefinition())).not.toThrow();
    const local = substituteDefinition(retrainingDefinitionString(), localSubstitutions(resourceNames()));
    expect(local).not.toContain('${');
    expect(JSON.parse(local).States[S.train].Parameters.OutputDataConfig.S3OutputPath).toBe('s3://harbinger-models/artifacts/');
    expect(() => new StateMachine({ StartAt: 'Nope', States: { A: { Type: 'Succeed' } } })).toThrow();
  });

  it('refuses to substitute with a placeholder missing', () => {
    const { ModelBucket: _, ...rest } = localSubstitutions(resourceNames());
    expect(() => substituteDefinition(retrainingDefinitionString(), rest)).toThrow(SubstitutionError);
  });
});

// ---- data flow, with stub tasks --------------------------------------------------------------

const prepared: PrepareOutput = {
  jobName: 'harbinger-vae-20261116-150000',
  now: Date.UTC(2026, 10, 16, 15),
  days: 14,
  trainS3Uri: 's3://harbinger-models/training/harbinger-vae-20261116-150000/train/',
  holdoutS3Uri: 's3://harbinger-models/training/harbinger-vae-20261116-150000/holdout/',
  partitions: ['a#us-east-1'],
  skippedPartitions: [],
  windows: { found: 10, excludedAnomalous: 0, train: 8, holdoutNormal: 2, holdoutInjected: 1 },
  scenarioData: { mode: 'exclude', runs: 0, excluded: 0, included: 0, incidents: 0, holdoutAnomalies: 0 },
  hyperParameters: { epochs: '3' },
  promotion: {},
};
const metrics = { averagePrecision: 0.9, falsePositiveRate: 0, recall: 0.8, windows: 3 };
const evaluation = (promote: boolean): EvaluateOutput => ({ promote, reason: promote ? 'better' : 'worse', modelVersion: prepared.jobName, challenger: metrics, champion: null, championVersion: null });
const deployment = (status: string, checks = 0): EndpointDeployment => ({
  endpointName: 'harbinger-vae', modelName: prepared.jobName, endpointConfigName: `${prepared.jobName}-serverless`, modelDataUrl: 's3://m/a/', action: 'created', status, checks, failureReason: null,
});

interface StubOptions {
  promote?: boolean;
  /** Endpoint status per check (the last one repeats). */
  statuses?: string[];
  trainError?: Error;
  prepareError?: Error;
  /** The champion's version the evaluation names (a champion exists). */
  championVersion?: string;
}

async function runStub(o: StubOptions = {}) {
  const seen: Record<string, unknown[]> = {};
  const record = (name: string, input: unknown): void => void (seen[name] ??= []).push(input);
  const statuses = o.statuses ?? ['InService'];
  const machine = await localRetrainingStateMachine(resourceNames());
  const lambda = (name: string, fn: (payload: LambdaInput['Payload']) => unknown) => async (input: Json): Promise<Json> => {
    record(name, input);
    return JSON.parse(JSON.stringify({ Payload: fn((input as unknown as LambdaInput).Payload), StatusCode: 200 })) as Json;
  };
  let serviceFailures = 1;
  const run = machine.run({ days: 3 }, {
    overrides: {
      taskResourceLocalHandlers: {
        [S.prepare]: lambda(S.prepare, () => {
          if (o.prepareError) throw o.prepareError;
          if (serviceFailures-- > 0) throw Object.assign(new Error('throttled'), { name: 'Lambda.ServiceException' });
          return prepared;
        }),
        [S.train]: async (input: Json): Promise<Json> => {
          record(S.train, input);
          if (o.trainError) throw o.trainError;
          return { TrainingJobName: (input as unknown as TrainParams).TrainingJobName, TrainingJobStatus: 'Completed', ModelArtifacts: { S3ModelArtifacts: 's3://m/a/' }, FinalMetricDataList: [{ MetricName: 'holdout:average_precision', Value: 0.9 }] };
        },
        [S.evaluate]: lambda(S.evaluate, () => ({ ...evaluation(o.promote ?? true), championVersion: o.championVersion ?? null })),
        [S.deploy]: lambda(S.deploy, () => deployment('Creating')),
        [S.checkEndpoint]: lambda(S.checkEndpoint, (p) => deployment(statuses[Math.min(p.deployment!.checks, statuses.length - 1)], p.deployment!.checks + 1)),
        [S.publish]: lambda(S.publish, (p) => ({ modelVersion: p.jobName, endpointName: p.endpointName, published: [] })),
        [S.refreshThresholds]: lambda(S.refreshThresholds, (p) => ({ modelVersion: p.jobName, endpointName: 'harbinger-vae', published: [] })),
      },
      waitTimeOverrides: { [S.waitForEndpoint]: 0 },
      retryIntervalOverrides: { [S.prepare]: 0 },
    },
  });
  const entered: string[] = [];
  const watch = (async () => {
    for await (const e of run.eventLogs) if (e.type === 'StateEntered') entered.push(e.state.name);
  })();
  let output: Rec | undefined;
  let error: Error | undefined;
  try {
    output = (await run.result) as Rec;
  } catch (e) {
    error = (e as Error & { cause?: Error }).cause ?? (e as Error);
  }
  await watch;
  return { output, error, entered, seen };
}

describe('retraining definition: data flow (stub tasks)', () => {
  it('goes through every step on promotion, passing each step what it needs', async () => {
    const r = await runStub({ statuses: ['Creating', 'InService'] });
    expect(r.error).toBeUndefined();
    expect(r.entered).toEqual([S.prepare, S.train, S.evaluate, S.shouldPromote, S.deploy, S.waitForEndpoint, S.checkEndpoint, S.endpointReady, S.waitForEndpoint, S.checkEndpoint, S.endpointReady, S.publish, S.succeeded]);
    expect(r.seen[S.prepare]).toHaveLength(2); // retried once after Lambda.ServiceException
    const prep = r.seen[S.prepare][0] as { FunctionName: string; Payload: { request: unknown; executionStartTime: string } };
    expect(prep.FunctionName).toBe('arn:aws:lambda:us-east-1:000000000000:function:harbinger-retrain-prepare');
    expect(prep.Payload.request).toEqual({ days: 3 });
    expect(Date.parse(prep.Payload.executionStartTime)).toBeGreaterThan(0);
    const train = r.seen[S.train][0] as TrainParams;
    expect(train.TrainingJobName).toBe(prepared.jobName);
    expect(train.HyperParameters).toEqual({ epochs: '3' });
    expect(train.InputDataConfig[0].DataSource.S3DataSource.S3Uri).toBe(prepared.trainS3Uri);
    expect(train.InputDataConfig[1].DataSource.S3DataSource.S3Uri).toBe(prepared.holdoutS3Uri);
    const ev = (r.seen[S.evaluate][0] as LambdaInput).Payload;
    expect(ev).toMatchObject({ jobName: prepared.jobName, holdoutS3Uri: prepared.holdoutS3Uri, partitions: prepared.partitions, promotion: {} });
    expect(ev.training?.FinalMetricDataList[0].Value).toBe(0.9);
    expect((r.seen[S.deploy][0] as LambdaInput).Payload).toEqual({ jobName: prepared.jobName, modelDataUrl: 's3://m/a/', image: '000000000000.dkr.ecr.us-east-1.amazonaws.com/harbinger-vae:local', roleArn: 'arn:aws:iam::000000000000:role/harbinger-sagemaker-local' });
    expect((r.seen[S.publish][0] as LambdaInput).Payload).toEqual({ jobName: prepared.jobName, partitions: prepared.partitions, now: prepared.now, endpointName: 'harbinger-vae' });
    expect(r.output).toMatchObject({ published: { modelVersion: prepared.jobName }, deployment: { status: 'InService' }, evaluation: { promote: true } });
  });

  it('a kept champion gets its thresholds refreshed for the coming hours, with no new profile version', async () => {
    const r = await runStub({ promote: false, championVersion: 'harbinger-vae-20261101-000000' });
    expect(r.entered).toEqual([S.prepare, S.train, S.evaluate, S.shouldPromote, S.refreshThresholds, S.championKept]);
    expect((r.seen[S.refreshThresholds][0] as LambdaInput).Payload).toEqual({ jobName: 'harbinger-vae-20261101-000000', partitions: prepared.partitions, now: prepared.now, refreshOnly: true });
    expect(r.seen[S.publish]).toBeUndefined();
    expect(r.output).toMatchObject({ promote: false, championVersion: 'harbinger-vae-20261101-000000' });
  });

  it('keeps the champion when the challenger is not promoted, and says why', async () => {
    const r = await runStub({ promote: false });
    expect(r.entered).toEqual([S.prepare, S.train, S.evaluate, S.shouldPromote, S.championKept]);
    expect(r.output).toEqual(evaluation(false));
    expect(r.seen[S.deploy]).toBeUndefined();
  });

  it('fails with the training job\'s failure as the cause', async () => {
    const r = await runStub({ trainError: Object.assign(new Error('HyperparameterError: epochs=-1 is invalid'), { name: 'LocalTrainingJobError' }) });
    expect(r.entered.at(-1)).toBe(S.trainingFailed);
    expect(r.error?.name).toBe(RETRAINING_ERRORS.training);
    expect(r.error?.message).toBe('HyperparameterError: epochs=-1 is invalid');
  });

  it('passes a step\'s own error name and message through RetrainingFailed', async () => {
    const r = await runStub({ prepareError: Object.assign(new Error('Not enough window features'), { name: 'InsufficientTrainingDataError' }) });
    expect(r.entered).toEqual([S.prepare, S.failed]);
    expect(r.error?.name).toBe('InsufficientTrainingDataError');
    expect(r.error?.message).toBe('Not enough window features');
  });

  it('fails on a Failed endpoint', async () => {
    const r = await runStub({ statuses: ['Creating', 'Failed'] });
    expect(r.entered.at(-1)).toBe(S.endpointFailed);
    expect(r.error?.name).toBe(RETRAINING_ERRORS.endpoint);
  });

  it('stops waiting for the endpoint after MAX_ENDPOINT_CHECKS', async () => {
    const r = await runStub({ statuses: ['Creating'] });
    expect(r.entered.at(-1)).toBe(S.endpointTimedOut);
    expect(r.entered.filter((s) => s === S.checkEndpoint)).toHaveLength(MAX_ENDPOINT_CHECKS);
    expect(r.error?.name).toBe(RETRAINING_ERRORS.endpointTimeout);
  });
});
