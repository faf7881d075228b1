import { Aws, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEFAULT_TRAINING_INSTANCE_TYPE, ENV, RETRAINING_ENV, resourceNames, SCENARIO_ENV, SCENARIO_RUNS_PREFIX, SERVERLESS_DEFAULTS } from '../../functions/core/resources';
import {
  RETRAINING_SUBSTITUTIONS,
  retrainingDefinitionString,
  type RetrainingSubstitution,
} from '../retraining/definition';
import { HarbingerFunction, PROJECT_ROOT } from './harbinger-function';
import { PROFILE_BUILDER_TABLE_ACTIONS } from './profile-builder';
import { acknowledgeNag, wildcardResourceAcks } from './nag';

/** The five step Lambdas of the retraining state machine. */
export type RetrainingStep = 'prepare' | 'evaluate' | 'deploy' | 'endpointStatus' | 'publish';

/** Every step, in the order the state machine runs them. */
export const RETRAINING_STEPS: readonly RetrainingStep[] = ['prepare', 'evaluate', 'deploy', 'endpointStatus', 'publish'];

/** One step Lambda: handler entry (relative to the project root), substitution, Powertools name, sizing. */
export interface RetrainingHandler {
  readonly entry: string;
  /** The definition placeholder its ARN fills. */
  readonly substitution: RetrainingSubstitution;
  /** `POWERTOOLS_SERVICE_NAME` (the handler's Logger uses the same name). */
  readonly serviceName: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
}

/** The step Lambdas (functions/retraining/*-handler.ts). */
export const RETRAINING_HANDLERS: Readonly<Record<RetrainingStep, RetrainingHandler>> = {
  prepare: {
    entry: 'functions/retraining/prepare-handler.ts',
    substitution: 'PrepareFunctionArn',
    serviceName: 'harbinger-retrain-prepare',
    description: 'Harbinger retraining: prepares the train/holdout data set from window features minus stored anomalies',
    memorySize: 2048,
    timeout: Duration.minutes(15),
  },
  evaluate: {
    entry: 'functions/retraining/evaluate-handler.ts',
    substitution: 'EvaluateFunctionArn',
    serviceName: 'harbinger-retrain-evaluate',
    description: 'Harbinger retraining: compares the challenger with the champion endpoint on the holdout',
    memorySize: 1024,
    timeout: Duration.minutes(10),
  },
  deploy: {
    entry: 'functions/retraining/deploy-handler.ts',
    substitution: 'DeployFunctionArn',
    serviceName: 'harbinger-retrain-deploy',
    description: 'Harbinger retraining: creates the SageMaker model and serverless endpoint config, creates or updates the endpoint',
    memorySize: 256,
    timeout: Duration.minutes(1),
  },
  endpointStatus: {
    entry: 'functions/retraining/endpoint-status-handler.ts',
    substitution: 'EndpointStatusFunctionArn',
    serviceName: 'harbinger-retrain-endpoint-status',
    description: 'Harbinger retraining: reads the SageMaker endpoint status',
    memorySize: 256,
    timeout: Duration.seconds(30),
  },
  publish: {
    entry: 'functions/retraining/publish-handler.ts',
    substitution: 'PublishFunctionArn',
    serviceName: 'harbinger-retrain-publish',
    description: 'Harbinger retraining: stores proactive thresholds and publishes new profile versions referencing the model',
    memorySize: 1024,
    timeout: Duration.minutes(15),
  },
};

/**
 * Key prefixes the retraining reads and writes: window features in the dataset bucket
 * (`windowsPrefix`), and in the model bucket the run's data sets (`trainingPrefix`), SageMaker's
 * output (the definition's `S3OutputPath`) and proactive thresholds (`thresholdsKey`).
 */
export const RETRAINING_PREFIXES = {
  windows: 'windows/',
  training: 'training/',
  artifacts: 'artifacts/',
  thresholds: 'thresholds/',
} as const;

/** Serverless endpoint memory sizes SageMaker accepts, MB. */
export const SERVERLESS_MEMORY_SIZES = [1024, 2048, 3072, 4096, 5120, 6144] as const;

/**
 * Paths of the repository root that are never part of the model image build context. The root
 * .dockerignore (read by DockerImageAsset too) already keeps only package.json, package-lock.json,
 * tsconfig.json, functions/core/ and models/; these excludes hold even without it.
 */
export const MODEL_IMAGE_EXCLUDE = [
  '.git',
  '**/node_modules',
  'cdk.out',
  '.harbinger',
  'coverage',
  'bench',
  'test',
  'infra',
  'bin',
  '.ci',
  '**/*.log',
] as const;

/** Properties of {@link Retraining}. */
export interface RetrainingProps {
  /** Resource name prefix (`resourceNames(prefix)`: state machine and endpoint names). */
  readonly prefix: string;
  /** The state table (profiles: the publish step writes new versions and flips CURRENT). */
  readonly table: dynamodb.ITable;
  /** Model bucket: `training/` data sets, `artifacts/` SageMaker output, `thresholds/`. */
  readonly modelBucket: s3.IBucket;
  /** Dataset bucket (window features; read by the prepare step). */
  readonly datasetBucket: s3.IBucket;
  /** Anomaly bucket (stored anomalies are left out of the training data; read by the prepare step). */
  readonly anomalyBucket: s3.IBucket;
  /**
   * Synthetic bucket: stored scenario runs (manifest.json, labels.json; read by the prepare step for
   * the `scenarioData` flag).
   * @default - no scenario runs known: every window counts as real
   */
  readonly syntheticBucket?: s3.IBucket;
  /** Environment variables shared by every handler, from `handlerEnvironment`. */
  readonly environment: Record<string, string>;
  /**
   * When retraining runs (EventBridge Scheduler expression; cron without a time zone is UTC).
   * @default daily at 04:15 UTC (an hour after the profile builder): `cron(15 4 * * ? *)` in Etc/UTC
   */
  readonly schedule?: scheduler.ScheduleExpression;
  /**
   * A model image already pushed to ECR (e.g. built by CI from models/Dockerfile), as
   * `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`. Deploying then needs no Docker.
   * @default - models/Dockerfile is built and pushed by `cdk deploy` (needs Docker where you deploy)
   */
  readonly modelImageUri?: string;
  /**
   * SageMaker training instance type (`TrainingInstanceType` substitution).
   * @default 'ml.m5.large'
   */
  readonly trainingInstanceType?: string;
  /**
   * Memory of the serverless endpoint, MB (one of {@link SERVERLESS_MEMORY_SIZES}).
   * @default 3072
   */
  readonly serverlessMemoryMb?: number;
  /**
   * Maximum concurrent invocations of the serverless endpoint (1..200).
   * @default 5
   */
  readonly serverlessMaxConcurrency?: number;
  /** Retention of the step functions' and the state machine's log groups. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Project root (bundling of the step Lambdas, build context of the model image). @default the repository root */
  readonly projectRoot?: string;
}

/**
 * VAE retraining and model serving: the model image (models/Dockerfile, a DockerImageAsset built at
 * deploy time for linux/amd64), the SageMaker execution role, the five step Lambdas, the Step Functions
 * state machine deployed from infra/retraining/definition.ts (`DefinitionBody.fromString` plus
 * `definitionSubstitutions` for every `RETRAINING_SUBSTITUTIONS` name; never a second definition),
 * and the EventBridge Scheduler schedule that starts it with `{"reason":"scheduled"}`.
 *
 * The endpoint (`resourceNames(prefix).modelEndpoint`) is not a CloudFormation resource: the deploy
 * step creates it on the first promotion and updates it afterwards, so {@link endpointArn} is known
 * before it exists.
 */
export class Retraining extends Construct {
  /** The retraining state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** Its execution log group (level ALL, with execution data). */
  public readonly logGroup: logs.LogGroup;
  /** The SageMaker execution role (training jobs, models, endpoint). */
  public readonly sagemakerRole: iam.Role;
  /** The model container image (training and serving). */
  public readonly modelImage?: ecrAssets.DockerImageAsset;
  /** URI of the model image the training jobs and the endpoint run. */
  public readonly modelImageUri: string;
  /** The step Lambdas. */
  public readonly steps: Readonly<Record<RetrainingStep, HarbingerFunction>>;
  /** The schedule that starts the state machine. */
  public readonly schedule: scheduler.Schedule;
  /** Name of the SageMaker endpoint serving the champion model. */
  public readonly endpointName: string;
  /** ARN of that endpoint (for `sagemaker:InvokeEndpoint` grants). */
  public readonly endpointArn: string;

  constructor(scope: Construct, id: string, props: RetrainingProps) {
    super(scope, id);
    const names = resourceNames(props.prefix);
    const trainingInstanceType = props.trainingInstanceType ?? DEFAULT_TRAINING_INSTANCE_TYPE;
    const serverlessMemoryMb = props.serverlessMemoryMb ?? SERVERLESS_DEFAULTS.memoryMb;
    const serverlessMaxConcurrency = props.serverlessMaxConcurrency ?? SERVERLESS_DEFAULTS.maxConcurrency;
    checkSettings(this, trainingInstanceType, serverlessMemoryMb, serverlessMaxConcurrency);

    // SageMaker lowercases names in ARNs; the prefix (HarbingerStack checks it) is lowercase already.
    const sagemakerArn = (resource: string, name: string): string =>
      `arn:${Aws.PARTITION}:sagemaker:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}/${name}`;
    this.endpointName = names.modelEndpoint;
    this.endpointArn = sagemakerArn('endpoint', names.modelEndpoint);
    // Training jobs, models and endpoint configs are named after the job the prepare step names,
    // `<endpoint>-<YYYYMMDD>-<HHMMSS>` (model: the job name; endpoint config: `<job>-serverless`).
    const namePrefix = `${names.modelEndpoint}-`;
    const trainingJobs = sagemakerArn('training-job', `${namePrefix}*`);
    const models = sagemakerArn('model', `${namePrefix}*`);
    const endpointConfigs = sagemakerArn('endpoint-config', `${namePrefix}*`);

    // ---- model image: staged (copied) at synth, built and pushed by `cdk deploy` ----
    if (props.modelImageUri) {
      this.modelImageUri = props.modelImageUri;
    } else {
      this.modelImage = new ecrAssets.DockerImageAsset(this, 'ModelImage', {
        directory: props.projectRoot ?? PROJECT_ROOT,
        file: 'models/Dockerfile',
        exclude: [...MODEL_IMAGE_EXCLUDE],
        platform: ecrAssets.Platform.LINUX_AMD64,
        displayName: 'Harbinger VAE model image',
      });
      this.modelImageUri = this.modelImage.imageUri;
    }

    // ---- SageMaker execution role: training jobs and the endpoint's model ----
    this.sagemakerRole = new iam.Role(this, 'SageMakerRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'Harbinger VAE: SageMaker training jobs and the model endpoint (reads training data and artifacts, writes artifacts)',
    });
    // Training reads its channels (training/<job>/) and writes model.tar.gz (artifacts/<job>/output/);
    // the endpoint's model reads it back. ListBucket for the S3Prefix channels.
    this.sagemakerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ListModelBucket', actions: ['s3:ListBucket'], resources: [props.modelBucket.bucketArn] }),
    );
    this.sagemakerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadTrainingDataAndArtifacts',
        actions: ['s3:GetObject'],
        resources: [RETRAINING_PREFIXES.training, RETRAINING_PREFIXES.artifacts].map((p) => props.modelBucket.arnForObjects(`${p}*`)),
      }),
    );
    this.sagemakerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteArtifacts',
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [props.modelBucket.arnForObjects(`${RETRAINING_PREFIXES.artifacts}*`)],
      }),
    );
    if (this.modelImage) this.modelImage.repository.grantPull(this.sagemakerRole);
    else ecrRepositoryOf(this, props.modelImageUri!).grantPull(this.sagemakerRole);
    this.sagemakerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SageMakerLogs',
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [`arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/*`],
      }),
    );
    this.sagemakerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SageMakerMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
      }),
    );

    // ---- step Lambdas ----
    const environment: Record<string, string> = {
      ...props.environment,
      [ENV.modelBucket]: props.modelBucket.bucketName,
      [ENV.modelEndpoint]: names.modelEndpoint,
    };
    const step = (name: RetrainingStep, extra: Record<string, string> = {}): HarbingerFunction => {
      const h = RETRAINING_HANDLERS[name];
      return new HarbingerFunction(this, `${name[0].toUpperCase()}${name.slice(1)}`, {
        entry: h.entry,
        description: h.description,
        serviceName: h.serviceName,
        environment: { ...environment, ...extra },
        memorySize: h.memorySize,
        timeout: h.timeout,
        logRetention: props.logRetention,
        projectRoot: props.projectRoot,
      });
    };
    this.steps = {
      prepare: step('prepare', props.syntheticBucket ? { [SCENARIO_ENV.syntheticBucket]: props.syntheticBucket.bucketName } : {}),
      evaluate: step('evaluate'),
      deploy: step('deploy', {
        [RETRAINING_ENV.sagemakerRoleArn]: this.sagemakerRole.roleArn,
        [RETRAINING_ENV.modelImageUri]: this.modelImageUri,
        [RETRAINING_ENV.serverlessMemoryMb]: String(serverlessMemoryMb),
        [RETRAINING_ENV.serverlessMaxConcurrency]: String(serverlessMaxConcurrency),
      }),
      endpointStatus: step('endpointStatus'),
      publish: step('publish'),
    };
    const { prepare, evaluate, deploy, endpointStatus, publish } = this.steps;

    // Exactly what the steps call (functions/retraining/*.ts through ObjectStore and ProfileStore):
    // ListBucket is granted without a prefix condition so a missing key answers NoSuchKey.
    const allow = (fn: HarbingerFunction, sid: string, actions: string[], resources: string[]): void => {
      fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources }));
    };
    // prepare: lists and reads window features, lists stored anomalies (their keys say which windows
    // to leave out; no anomaly object is read), reads labels (a window whose anomalies were all
    // labelled false positives is normal again), writes the run's data set under training/.
    allow(prepare, 'ListSources', ['s3:ListBucket'], [props.datasetBucket.bucketArn, props.anomalyBucket.bucketArn, ...(props.syntheticBucket ? [props.syntheticBucket.bucketArn] : [])]);
    allow(prepare, 'ReadLabels', ['s3:GetObject'], [props.anomalyBucket.arnForObjects('labels/*')]);
    // scenarioData: each stored scenario run's manifest.json and labels.json (its stretch and ground truth).
    if (props.syntheticBucket) allow(prepare, 'ReadScenarioRuns', ['s3:GetObject'], [props.syntheticBucket.arnForObjects(`${SCENARIO_RUNS_PREFIX}*`)]);
    allow(prepare, 'ReadWindowFeatures', ['s3:GetObject'], [props.datasetBucket.arnForObjects(`${RETRAINING_PREFIXES.windows}*`)]);
    allow(prepare, 'WriteTrainingData', ['s3:PutObject'], [props.modelBucket.arnForObjects(`${RETRAINING_PREFIXES.training}*`)]);
    // evaluate: reads the holdout channel and CURRENT profiles (which model is champion), scores the
    // holdout on the champion endpoint. Writes nothing.
    allow(evaluate, 'ListModelBucket', ['s3:ListBucket'], [props.modelBucket.bucketArn]);
    allow(evaluate, 'ReadHoldout', ['s3:GetObject'], [props.modelBucket.arnForObjects(`${RETRAINING_PREFIXES.training}*`)]);
    allow(evaluate, 'ReadProfiles', ['dynamodb:GetItem'], [props.table.tableArn]);
    allow(evaluate, 'ScoreChampion', ['sagemaker:InvokeEndpoint'], [this.endpointArn]);
    // publish: thresholds from the new endpoint -> thresholds/, then new profile versions + CURRENT
    // (ProfileStore: Get/Put/Update/Query on the base table, the same actions as the profile builder).
    allow(publish, 'ComputeThresholds', ['sagemaker:InvokeEndpoint'], [this.endpointArn]);
    allow(publish, 'WriteThresholds', ['s3:PutObject'], [props.modelBucket.arnForObjects(`${RETRAINING_PREFIXES.thresholds}*`)]);
    allow(publish, 'PublishProfiles', [...PROFILE_BUILDER_TABLE_ACTIONS], [props.table.tableArn]);
    // deploy: model + serverless endpoint config, then create or update the one endpoint.
    deploy.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DeployModel',
        actions: ['sagemaker:CreateModel', 'sagemaker:DescribeModel', 'sagemaker:CreateEndpointConfig', 'sagemaker:DescribeEndpointConfig', 'sagemaker:AddTags'],
        resources: [models, endpointConfigs],
      }),
    );
    deploy.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DeployEndpoint',
        actions: ['sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint', 'sagemaker:DescribeEndpoint', 'sagemaker:AddTags'],
        resources: [this.endpointArn, endpointConfigs],
      }),
    );
    deploy.role.addToPrincipalPolicy(passSageMakerRole(this.sagemakerRole));
    // endpoint-status: DescribeEndpoint only.
    endpointStatus.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpoint'], resources: [this.endpointArn] }),
    );

    // ---- state machine, from the one definition ----
    this.logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      // /aws/vendedlogs/ keeps the CloudWatch Logs resource policy small (AWS recommendation).
      logGroupName: `/aws/vendedlogs/states/${names.retrainingStateMachine}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const substitutions: Record<RetrainingSubstitution, string> = {
      PrepareFunctionArn: prepare.function.functionArn,
      EvaluateFunctionArn: evaluate.function.functionArn,
      DeployFunctionArn: deploy.function.functionArn,
      EndpointStatusFunctionArn: endpointStatus.function.functionArn,
      PublishFunctionArn: publish.function.functionArn,
      TrainingImageUri: this.modelImageUri,
      SageMakerRoleArn: this.sagemakerRole.roleArn,
      ModelBucket: props.modelBucket.bucketName,
      TrainingInstanceType: trainingInstanceType,
    };
    const definition = retrainingDefinitionString();
    checkPlaceholders(this, definition, substitutions);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: names.retrainingStateMachine,
      definitionBody: sfn.DefinitionBody.fromString(definition),
      definitionSubstitutions: substitutions,
      stateMachineType: sfn.StateMachineType.STANDARD,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    for (const s of RETRAINING_STEPS) this.steps[s].function.grantInvoke(this.stateMachine);
    // arn:aws:states:::sagemaker:createTrainingJob.sync (what the CDK's SageMakerCreateTrainingJob
    // task grants, scoped to this deployment's job names).
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TrainingJobs',
        actions: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:AddTags', 'sagemaker:ListTags'],
        resources: [trainingJobs],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TrainingJobSyncRule',
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [`arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule`],
      }),
    );
    this.stateMachine.addToRolePolicy(passSageMakerRole(this.sagemakerRole));

    // ---- schedule ----
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'EventBridge Scheduler starts the Harbinger retraining state machine',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    this.schedule = new scheduler.Schedule(this, 'Daily', {
      description: 'Starts the Harbinger VAE retraining state machine',
      schedule: props.schedule ?? scheduler.ScheduleExpression.cron({ minute: '15', hour: '4', timeZone: TimeZone.ETC_UTC }),
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        role: schedulerRole,
        input: scheduler.ScheduleTargetInput.fromObject({ reason: 'scheduled' }),
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
      }),
    });

    this.acknowledgeFindings(props);
  }

  /** cdk-nag: each wildcard that remains, with why it cannot be narrower. */
  private acknowledgeFindings(props: RetrainingProps): void {
    const { prepare, evaluate, deploy, publish } = this.steps;
    // How cdk-nag renders the `<endpoint>-*` SageMaker ARNs built from pseudo parameters above.
    const sagemakerResource = (resource: string): string =>
      `arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:${resource}/${this.endpointName}-*`;
    const P = RETRAINING_PREFIXES;

    acknowledgeNag(
      this.sagemakerRole,
      ...wildcardResourceAcks([props.modelBucket], `/${P.training}*`, (p) => `SageMaker training jobs read their input channels under training/<job>/train/ and holdout/ in ${p}; the job name is chosen per run by the prepare step. Read only (s3:GetObject).`),
      ...wildcardResourceAcks([props.modelBucket], `/${P.artifacts}*`, (p) => `SageMaker writes each training job's model.tar.gz under artifacts/<job>/output/ in ${p} (the definition's S3OutputPath) and the endpoint's model reads it back; job names are chosen per run.`),
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'SageMaker role: ecr:GetAuthorizationToken (pulling the model image; the pull itself is limited to the asset repository) and cloudwatch:PutMetricData (limited by a cloudwatch:namespace /aws/sagemaker/* condition) have no resource-level permissions.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/*]',
        reason: 'SageMaker training jobs and endpoints log to the service-named groups /aws/sagemaker/TrainingJobs and /aws/sagemaker/Endpoints/<endpoint>, with streams per job or instance created at run time.',
      },
    );
    acknowledgeNag(
      prepare.role,
      ...wildcardResourceAcks([props.anomalyBucket], '/labels/*', (p) => `The retraining prepare step reads the labels people gave anomalies (labels/partition=<partition>/date=<day>/<HHMM>-<id>.json in ${p}) to keep false-positive windows in the training data; keys are written at run time. Read only (s3:GetObject).`),
      ...wildcardResourceAcks([props.datasetBucket], `/${P.windows}*`, (p) => `The retraining prepare step reads the window features under windows/partition=<partition>/date=<day>/ in ${p} for the last N days; keys are written at run time. Read only (s3:GetObject).`),
      ...wildcardResourceAcks([props.modelBucket], `/${P.training}*`, (p) => `The retraining prepare step writes this run's train/ and holdout/ channels under training/<job>/ in ${p}; the job name is chosen per run. s3:PutObject only.`),
      ...(props.syntheticBucket
        ? wildcardResourceAcks([props.syntheticBucket], `/${SCENARIO_RUNS_PREFIX}*`, (p) => `The retraining prepare step reads each stored scenario run's manifest.json and labels.json under scenario-runs/<run id>/ in ${p} to sort synthetic windows out of (or, labelled, into the holdout of) the data set; run ids are chosen per execution. Read only (s3:GetObject).`)
        : []),
    );
    acknowledgeNag(
      evaluate.role,
      ...wildcardResourceAcks([props.modelBucket], `/${P.training}*`, (p) => `The retraining evaluate step reads the holdout channel under training/<job>/holdout/ in ${p} to score the champion on it; the job name is chosen per run. Read only (s3:GetObject).`),
    );
    acknowledgeNag(
      publish.role,
      ...wildcardResourceAcks([props.modelBucket], `/${P.thresholds}*`, (p) => `The retraining publish step writes thresholds/partition=<partition>/<model version>.json in ${p} for every trained partition; partitions and versions are known only at run time. s3:PutObject only.`),
    );
    acknowledgeNag(
      deploy.role,
      {
        id: `AwsSolutions-IAM5[Resource::${sagemakerResource('model')}]`,
        reason: 'The deploy step creates and describes one SageMaker model per promoted training job, named after the job (<prefix>-vae-<YYYYMMDD>-<HHMMSS>); only that deployment-specific prefix can be named.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${sagemakerResource('endpoint-config')}]`,
        reason: 'The deploy step creates one serverless endpoint config per promoted training job (<job>-serverless) and points the one endpoint at it; only the <prefix>-vae- name prefix can be named.',
      },
    );
    acknowledgeNag(
      this.stateMachine.role,
      ...wildcardResourceAcks(
        RETRAINING_STEPS.map((s) => this.steps[s].function),
        ':*',
        (p) => `The retraining state machine invokes ${p} (lambda:invoke task); grantInvoke also covers its qualified ARNs (versions/aliases). The role belongs to this state machine only.`,
      ),
      {
        id: `AwsSolutions-IAM5[Resource::${sagemakerResource('training-job')}]`,
        reason: 'createTrainingJob.sync creates, describes, stops and tags one training job per run, named by the prepare step (<prefix>-vae-<YYYYMMDD>-<HHMMSS>); only that deployment-specific prefix can be named.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Step Functions logging to CloudWatch Logs (logs:*LogDelivery, PutResourcePolicy, DescribeLogGroups) and X-Ray tracing (xray:PutTraceSegments, GetSampling*) have no resource-level permissions.',
      },
    );
  }
}

/** `iam:PassRole` on the SageMaker role, to SageMaker only (grantPassRole has no service condition). */
function passSageMakerRole(role: iam.IRole): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'PassSageMakerRole',
    actions: ['iam:PassRole'],
    resources: [role.roleArn],
    conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
  });
}

/** Fails the synth on a placeholder the definition uses but the construct does not substitute. */
function checkPlaceholders(scope: Construct, definition: string, substitutions: Record<string, string>): void {
  const used = new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));
  const missing = [...used].filter((u) => !(u in substitutions));
  const unknown = RETRAINING_SUBSTITUTIONS.filter((s) => !used.has(s));
  if (missing.length > 0 || unknown.length > 0) {
    throw new Error(
      `Retraining ${scope.node.path}: definition placeholders and substitutions differ (not substituted: ${missing.join(', ') || '-'}; never used: ${unknown.join(', ') || '-'}).`,
    );
  }
}

function checkSettings(scope: Construct, instanceType: string, memoryMb: number, maxConcurrency: number): void {
  const where = `Retraining ${scope.node.path}`;
  if (!/^ml\.[a-z0-9]+\.[a-z0-9]+$/.test(instanceType)) {
    throw new Error(`${where}: trainingInstanceType "${instanceType}" is not a SageMaker instance type (e.g. ml.m5.large).`);
  }
  if (!(SERVERLESS_MEMORY_SIZES as readonly number[]).includes(memoryMb)) {
    throw new Error(`${where}: serverlessMemoryMb must be one of ${SERVERLESS_MEMORY_SIZES.join(', ')}, got ${memoryMb}.`);
  }
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 200) {
    throw new Error(`${where}: serverlessMaxConcurrency must be an integer in 1..200, got ${maxConcurrency}.`);
  }
}

/** Thrown for a model image URI that is not an ECR image reference. */
export class ModelImageUriError extends Error {
  override readonly name = 'ModelImageUriError';
}

/**
 * The ECR repository of an image URI `<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>` (or `@sha256:...`).
 * @throws ModelImageUriError when the URI is not an ECR image reference
 */
export function ecrRepositoryOf(scope: Construct, uri: string): ecr.IRepository {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._\/-]+)(?::[\w.-]+|@sha256:[0-9a-f]{64})$/.exec(uri);
  if (!m) throw new ModelImageUriError(`Model image URI "${uri}" is not an ECR image (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>): push models/Dockerfile's image to ECR and pass its URI.`);
  const [, account, region, name] = m;
  return ecr.Repository.fromRepositoryAttributes(scope, 'ModelImageRepository', {
    repositoryName: name,
    repositoryArn: `arn:${Aws.PARTITION}:ecr:${region}:${account}:repository/${name}`,
  });
}
