/**
 * The VAE retraining state machine, written once (Amazon States Language) and used by both worlds:
 * the CDK stack deploys it with `DefinitionBody.fromString(retrainingDefinitionString())` and
 * `definitionSubstitutions` for every name in {@link RETRAINING_SUBSTITUTIONS}; the embedded runtime
 * (infra/local/retraining.ts) substitutes local values and runs the very same definition with
 * aws-local-stepfunctions.
 *
 * Flow: PrepareDataset -> TrainModel (SageMaker training job, .sync) -> EvaluateChallenger ->
 * ShouldPromote? -> DeployModel -> WaitForEndpoint -> CheckEndpoint -> EndpointReady? (loops back to
 * WaitForEndpoint, bounded) -> PublishProfiles -> RetrainingSucceeded; a challenger that is not
 * better ends in ChampionKept (Succeed, output = the evaluation with its reason).
 *
 * State document as it flows (each step's output is placed under its own key):
 * `{ prepared: PrepareOutput, training: DescribeTrainingJob, evaluation: EvaluateOutput,
 *    deployment: EndpointDeployment, published: PublishOutput, error?: {Error, Cause} }`
 * (types in functions/retraining/types.ts).
 *
 * Environment the step Lambdas need (set by the CDK construct): HARBINGER_MODEL_BUCKET,
 * HARBINGER_DATASET_BUCKET, HARBINGER_ANOMALY_BUCKET, HARBINGER_TABLE, HARBINGER_MODEL_ENDPOINT.
 */
import { METRIC_DEFINITIONS } from '../../functions/core/evaluation';

/** `${Name}` placeholders in the definition; CDK `definitionSubstitutions` must provide every one. */
export const RETRAINING_SUBSTITUTIONS = [
  'PrepareFunctionArn',
  'EvaluateFunctionArn',
  'DeployFunctionArn',
  'EndpointStatusFunctionArn',
  'PublishFunctionArn',
  'TrainingImageUri',
  'SageMakerRoleArn',
  'ModelBucket',
  'TrainingInstanceType',
] as const;

/** One substitution name. */
export type RetrainingSubstitution = (typeof RETRAINING_SUBSTITUTIONS)[number];

/** State names (constants, so the CDK construct, the local runner and tests never spell them twice). */
export const RETRAINING_STATES = {
  prepare: 'PrepareDataset',
  train: 'TrainModel',
  evaluate: 'EvaluateChallenger',
  shouldPromote: 'ShouldPromote',
  deploy: 'DeployModel',
  waitForEndpoint: 'WaitForEndpoint',
  checkEndpoint: 'CheckEndpoint',
  endpointReady: 'EndpointReady',
  publish: 'PublishProfiles',
  refreshThresholds: 'RefreshChampionThresholds',
  succeeded: 'RetrainingSucceeded',
  championKept: 'ChampionKept',
  trainingFailed: 'TrainingFailed',
  endpointFailed: 'EndpointFailed',
  endpointTimedOut: 'EndpointTimedOut',
  failed: 'RetrainingFailed',
} as const;

/** Seconds between two endpoint status checks. */
export const ENDPOINT_WAIT_SECONDS = 30;
/** Endpoint status checks before giving up (60 × 30 s = 30 minutes). */
export const MAX_ENDPOINT_CHECKS = 60;
/** SageMaker training job limits. */
export const TRAINING_LIMITS = { maxRuntimeSeconds: 3600, volumeSizeGb: 10, instanceCount: 1 } as const;

/**
 * Task timeouts, seconds. ASL's default for a Task is 60 s (aws-local-stepfunctions applies it), too
 * short for a training job; Lambda steps get Lambda's own maximum.
 */
export const TASK_TIMEOUTS = { lambdaSeconds: 900, trainingSeconds: TRAINING_LIMITS.maxRuntimeSeconds + 900 } as const;

/** Error names of the state machine's Fail states. */
export const RETRAINING_ERRORS = {
  training: 'Harbinger.TrainingFailed',
  endpoint: 'Harbinger.EndpointFailed',
  endpointTimeout: 'Harbinger.EndpointTimedOut',
} as const;

const S = RETRAINING_STATES;
const sub = (name: RetrainingSubstitution): string => `\${${name}}`;

/** Lambda service errors worth retrying (the CDK LambdaInvoke defaults). */
const LAMBDA_RETRY = [
  {
    ErrorEquals: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
  },
];

/** Any error of a task goes to a Fail state that passes its Error and Cause through. */
const catchTo = (next: string): Array<Record<string, unknown>> => [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: next }];

/** A `lambda:invoke` task with the shared retry and catch. */
function lambdaTask(functionArn: RetrainingSubstitution, payload: Record<string, unknown>, resultSelector: Record<string, unknown>, resultPath: string, next: string, comment: string): Record<string, unknown> {
  return {
    Type: 'Task',
    Comment: comment,
    Resource: 'arn:aws:states:::lambda:invoke',
    TimeoutSeconds: TASK_TIMEOUTS.lambdaSeconds,
    Parameters: { FunctionName: sub(functionArn), Payload: payload },
    ResultSelector: resultSelector,
    ResultPath: resultPath,
    Retry: LAMBDA_RETRY,
    Catch: catchTo(S.failed),
    Next: next,
  };
}

/** Selects `$.Payload.<field>` for each field (every field is always present in the step's output). */
const payloadFields = (fields: readonly string[]): Record<string, string> => Object.fromEntries(fields.map((f) => [`${f}.$`, `$.Payload.${f}`]));

/** Fields of the deployment document (DeployModel and CheckEndpoint both return it). */
export const DEPLOYMENT_FIELDS = ['endpointName', 'modelName', 'endpointConfigName', 'modelDataUrl', 'action', 'status', 'checks', 'failureReason'] as const;
/** Fields of the evaluation document. */
export const EVALUATION_FIELDS = ['promote', 'reason', 'modelVersion', 'challenger', 'champion', 'championVersion'] as const;
/** Fields of the publish document. */
export const PUBLISH_FIELDS = ['modelVersion', 'endpointName', 'published'] as const;

const channel = (name: 'train' | 'holdout'): Record<string, unknown> => ({
  ChannelName: name,
  ContentType: 'application/jsonlines',
  CompressionType: 'None',
  DataSource: {
    S3DataSource: {
      S3DataType: 'S3Prefix',
      'S3Uri.$': `States.Format('s3://${sub('ModelBucket')}/training/{}/${name}/', $.prepared.jobName)`,
      S3DataDistributionType: 'FullyReplicated',
    },
  },
});

/**
 * The retraining state machine as an ASL object, with `${Name}` placeholders for every name in
 * {@link RETRAINING_SUBSTITUTIONS}. Input (all optional): `{ days, now, hyperParameters, promotion }`.
 */
export function retrainingDefinition(): Record<string, unknown> {
  return {
    Comment: 'Harbinger: retrain the VAE baseline model (prepare -> SageMaker training -> champion/challenger -> endpoint -> profiles)',
    StartAt: S.prepare,
    TimeoutSeconds: 3 * 3600,
    States: {
      [S.prepare]: {
        Type: 'Task',
        Comment: 'Window features of the last N days minus stored anomalies -> train (older) / holdout (newest, plus injected anomalies) in the model bucket',
        Resource: 'arn:aws:states:::lambda:invoke',
        TimeoutSeconds: TASK_TIMEOUTS.lambdaSeconds,
        Parameters: {
          FunctionName: sub('PrepareFunctionArn'),
          Payload: { 'request.$': '$', 'executionStartTime.$': '$$.Execution.StartTime' },
        },
        // No ResultPath: the default ("$") makes the state document `{ prepared }`. (An explicit
        // "$" means the same on AWS, but aws-local-stepfunctions mishandles it.)
        ResultSelector: { 'prepared.$': '$.Payload' },
        Retry: LAMBDA_RETRY,
        Catch: catchTo(S.failed),
        Next: S.train,
      },
      [S.train]: {
        Type: 'Task',
        Comment: 'SageMaker training job (the models/ container, SageMaker training contract); waits until it completes',
        Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
        TimeoutSeconds: TASK_TIMEOUTS.trainingSeconds,
        Parameters: {
          'TrainingJobName.$': '$.prepared.jobName',
          AlgorithmSpecification: {
            TrainingImage: sub('TrainingImageUri'),
            TrainingInputMode: 'File',
            MetricDefinitions: METRIC_DEFINITIONS.map((d) => ({ Name: d.Name, Regex: d.Regex })),
          },
          RoleArn: sub('SageMakerRoleArn'),
          'HyperParameters.$': '$.prepared.hyperParameters',
          InputDataConfig: [channel('train'), channel('holdout')],
          OutputDataConfig: { S3OutputPath: `s3://${sub('ModelBucket')}/artifacts/` },
          ResourceConfig: { InstanceType: sub('TrainingInstanceType'), InstanceCount: TRAINING_LIMITS.instanceCount, VolumeSizeInGB: TRAINING_LIMITS.volumeSizeGb },
          StoppingCondition: { MaxRuntimeInSeconds: TRAINING_LIMITS.maxRuntimeSeconds },
        },
        // The whole DescribeTrainingJob output: a ResultSelector naming FinalMetricDataList would be
        // an uncatchable States.Runtime error on a job that printed no metric line.
        ResultPath: '$.training',
        Catch: catchTo(S.trainingFailed),
        Next: S.evaluate,
      },
      [S.evaluate]: lambdaTask(
        'EvaluateFunctionArn',
        {
          'jobName.$': '$.prepared.jobName',
          'holdoutS3Uri.$': '$.prepared.holdoutS3Uri',
          'partitions.$': '$.prepared.partitions',
          'promotion.$': '$.prepared.promotion',
          'training.$': '$.training',
        },
        payloadFields(EVALUATION_FIELDS),
        '$.evaluation',
        S.shouldPromote,
        'Challenger metrics (FinalMetricDataList) vs the champion endpoint on the same holdout; decidePromotion',
      ),
      [S.shouldPromote]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.evaluation.promote', BooleanEquals: true, Next: S.deploy },
          // The champion stays: its thresholds still need the coming 24 hours.
          { Variable: '$.evaluation.championVersion', IsString: true, Next: S.refreshThresholds },
        ],
        Default: S.championKept,
      },
      [S.refreshThresholds]: lambdaTask(
        'PublishFunctionArn',
        {
          'jobName.$': '$.evaluation.championVersion',
          'partitions.$': '$.prepared.partitions',
          'now.$': '$.prepared.now',
          refreshOnly: true,
        },
        payloadFields(PUBLISH_FIELDS),
        '$.published',
        S.championKept,
        "The champion's thresholds for the next 24 h from its endpoint -> S3 (same key its profiles name); no new profile version",
      ),
      [S.deploy]: lambdaTask(
        'DeployFunctionArn',
        {
          'jobName.$': '$.prepared.jobName',
          'modelDataUrl.$': '$.training.ModelArtifacts.S3ModelArtifacts',
          image: sub('TrainingImageUri'),
          roleArn: sub('SageMakerRoleArn'),
        },
        payloadFields(DEPLOYMENT_FIELDS),
        '$.deployment',
        S.waitForEndpoint,
        'CreateModel + serverless CreateEndpointConfig, then CreateEndpoint or UpdateEndpoint (idempotent names from the job)',
      ),
      [S.waitForEndpoint]: { Type: 'Wait', Seconds: ENDPOINT_WAIT_SECONDS, Next: S.checkEndpoint },
      [S.checkEndpoint]: lambdaTask(
        'EndpointStatusFunctionArn',
        { 'deployment.$': '$.deployment' },
        payloadFields(DEPLOYMENT_FIELDS),
        '$.deployment',
        S.endpointReady,
        'DescribeEndpoint: status, and one more check counted',
      ),
      [S.endpointReady]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.deployment.status', StringEquals: 'InService', Next: S.publish },
          { Variable: '$.deployment.status', StringEquals: 'Failed', Next: S.endpointFailed },
          { Variable: '$.deployment.checks', NumericGreaterThanEquals: MAX_ENDPOINT_CHECKS, Next: S.endpointTimedOut },
        ],
        Default: S.waitForEndpoint,
      },
      [S.publish]: lambdaTask(
        'PublishFunctionArn',
        {
          'jobName.$': '$.prepared.jobName',
          'partitions.$': '$.prepared.partitions',
          'now.$': '$.prepared.now',
          'endpointName.$': '$.deployment.endpointName',
        },
        payloadFields(PUBLISH_FIELDS),
        '$.published',
        S.succeeded,
        'Thresholds for the next 24 h from the new endpoint -> S3; a new profile version per partition with model set; CURRENT flips',
      ),
      [S.succeeded]: { Type: 'Succeed' },
      [S.championKept]: { Type: 'Succeed', Comment: 'The challenger was not better: output is the evaluation, with the reason', OutputPath: '$.evaluation' },
      [S.trainingFailed]: {
        Type: 'Fail',
        Comment: 'The training job failed (its output/failure is the Cause) or could not start',
        Error: RETRAINING_ERRORS.training,
        CausePath: '$.error.Cause',
      },
      [S.endpointFailed]: {
        Type: 'Fail',
        Error: RETRAINING_ERRORS.endpoint,
        Cause: 'The SageMaker endpoint went to Failed after the deployment: see DescribeEndpoint FailureReason and the endpoint logs (/aws/sagemaker/Endpoints/<name>).',
      },
      [S.endpointTimedOut]: {
        Type: 'Fail',
        Error: RETRAINING_ERRORS.endpointTimeout,
        Cause: `The SageMaker endpoint was not InService after ${MAX_ENDPOINT_CHECKS} checks ${ENDPOINT_WAIT_SECONDS} s apart.`,
      },
      [S.failed]: {
        Type: 'Fail',
        Comment: 'A step Lambda failed: its error name and message pass through',
        ErrorPath: '$.error.Error',
        CausePath: '$.error.Cause',
      },
    },
  };
}

/** The definition as a JSON string, for `DefinitionBody.fromString` (placeholders left in place). */
export function retrainingDefinitionString(): string {
  return JSON.stringify(retrainingDefinition(), null, 2);
}
