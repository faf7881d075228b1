import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SCENARIO_ENV, scenarioStateMachineName } from '../../functions/core/resources';
import { SCENARIO_LAMBDA_TIMEOUT_SECONDS, SCENARIO_SUBSTITUTIONS, scenarioDefinitionString, type ScenarioSubstitution } from '../scenario/definition';
import { HarbingerFunction } from './harbinger-function';
import { acknowledgeNag, wildcardResourceAcks } from './nag';

/** Key prefixes the scenario function reads and writes (`scenarioRunPrefix`, `anomalyKey`). */
export const SCENARIO_PREFIXES = {
  /** Synthetic bucket: every object of every run. */
  runs: 'scenario-runs/',
  /** Anomaly bucket: what the pipeline stored (read by the report). */
  anomalies: 'anomalies/',
  /** Dataset bucket: real window features (read by the report's realism check). */
  windows: 'windows/',
} as const;

/** The scenario function's entry and service name. */
export const SCENARIO_HANDLER = {
  entry: 'functions/scenario/handler.ts',
  serviceName: 'harbinger-scenario',
} as const;

/** Properties of {@link ScenarioRunner}. */
export interface ScenarioRunnerProps {
  /** Resource name prefix (the state machine is `scenarioStateMachineName(prefix)`). */
  readonly prefix: string;
  /** Where runs are stored (read and written under `scenario-runs/` only). */
  readonly syntheticBucket: s3.IBucket;
  /** Where the pipeline stores anomalies (read under `anomalies/` only). */
  readonly anomalyBucket: s3.IBucket;
  /** The ingestion stream the replay puts records on (PutRecords, DescribeStreamSummary). */
  readonly stream: kinesis.IStream;
  /** Where "Scenario Run Completed" goes (PutEvents). */
  readonly eventBus: events.IEventBus;
  /** The state table: CURRENT profiles (GetItem only), each partition's generation source. */
  readonly table: dynamodb.ITable;
  /** Real window features (read under `windows/` only): the report's realism check. */
  readonly datasetBucket: s3.IBucket;
  /**
   * ARN of the model endpoint the profiles name (InvokeEndpoint: VAE window samples).
   * @default - no model grant: profile partitions use their seasonal statistics (the reason is recorded)
   */
  readonly modelEndpointArn?: string;
  /** Environment variables shared by every handler, from `handlerEnvironment` (bus, anomaly bucket, lateness). */
  readonly environment: Record<string, string>;
  /**
   * @default 2048: Generate holds the run's events in memory before storing them (the longest replay,
   * 12 h of all 8 synthetic partitions, is ~276,000 events and peaked at ~1 GB RSS when measured)
   */
  readonly memorySize?: number;
  /** Retention of the function's and the state machine's log groups. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Project root for bundling. @default the repository root */
  readonly projectRoot?: string;
}

/**
 * Console-triggered scenario runs: the scenario Lambda (functions/scenario/handler.ts; one function,
 * a `step` field per state, or the run request itself on a direct invoke) and the Standard-workflow
 * state machine deployed from infra/scenario/definition.ts (`DefinitionBody.fromString` plus
 * `definitionSubstitutions`; never a second definition), logged at ALL and traced.
 *
 * The function holds exactly what the steps call: objects under `scenario-runs/` in the synthetic
 * bucket (read, write, list that prefix), objects under `anomalies/` in the anomaly bucket (read,
 * list that prefix), PutRecords and DescribeStreamSummary on the stream, PutEvents on the bus;
 * GetItem on the state table (CURRENT profiles), InvokeEndpoint on the model endpoint (VAE window
 * samples), and objects under `windows/` in the dataset bucket (read, list that prefix: the realism
 * check).
 */
export class ScenarioRunner extends Construct {
  /** The scenario state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** Its execution log group. */
  public readonly logGroup: logs.LogGroup;
  /** The scenario Lambda (role, log group). */
  public readonly handler: HarbingerFunction;
  /** The scenario Lambda function (also invokable directly with the run request). */
  public readonly function: HarbingerFunction['function'];

  constructor(scope: Construct, id: string, props: ScenarioRunnerProps) {
    super(scope, id);
    const name = scenarioStateMachineName(props.prefix);

    this.handler = new HarbingerFunction(this, 'Handler', {
      entry: SCENARIO_HANDLER.entry,
      description: 'Harbinger scenario runs: generates synthetic logs with ground truth, replays them into Kinesis, reports what the pipeline caught',
      serviceName: SCENARIO_HANDLER.serviceName,
      environment: {
        ...props.environment,
        [SCENARIO_ENV.syntheticBucket]: props.syntheticBucket.bucketName,
        [SCENARIO_ENV.stream]: props.stream.streamName,
        [SCENARIO_ENV.stateMachine]: name,
      },
      memorySize: props.memorySize ?? 2048,
      // A direct invoke may replay a short run in real time; a state-machine step takes about a minute
      // (the definition's task timeouts are longer than this, so a task never retries a live invocation).
      timeout: Duration.seconds(SCENARIO_LAMBDA_TIMEOUT_SECONDS),
      logRetention: props.logRetention,
      projectRoot: props.projectRoot,
    });
    this.function = this.handler.function;
    // Retries are the state machine's (or the caller's): an async invoke is not repeated.
    this.function.configureAsyncInvoke({ retryAttempts: 0 });

    const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>): void => {
      this.handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
    };
    const P = SCENARIO_PREFIXES;
    allow('ListRuns', ['s3:ListBucket'], [props.syntheticBucket.bucketArn], { StringLike: { 's3:prefix': [`${P.runs}*`] } });
    allow('ReadWriteRuns', ['s3:GetObject', 's3:PutObject'], [props.syntheticBucket.arnForObjects(`${P.runs}*`)]);
    allow('ListAnomalies', ['s3:ListBucket'], [props.anomalyBucket.bucketArn], { StringLike: { 's3:prefix': [`${P.anomalies}*`] } });
    allow('ReadAnomalies', ['s3:GetObject'], [props.anomalyBucket.arnForObjects(`${P.anomalies}*`)]);
    // The stream is encrypted with the AWS managed key (alias/aws/kinesis): producers need no KMS grant.
    allow('ReplayIntoStream', ['kinesis:PutRecords', 'kinesis:DescribeStreamSummary'], [props.stream.streamArn]);
    props.eventBus.grantPutEventsTo(this.function);
    // Generation source: CURRENT profiles (ProfileStore.getCurrent: GetItem of the pointer and the version).
    allow('ReadProfiles', ['dynamodb:GetItem'], [props.table.tableArn]);
    // Realism: real windows of the run's partitions, listed per partition and read (never a missing key).
    allow('ListWindowFeatures', ['s3:ListBucket'], [props.datasetBucket.bucketArn], { StringLike: { 's3:prefix': [`${P.windows}*`] } });
    allow('ReadWindowFeatures', ['s3:GetObject'], [props.datasetBucket.arnForObjects(`${P.windows}*`)]);
    if (props.modelEndpointArn) allow('SampleModel', ['sagemaker:InvokeEndpoint'], [props.modelEndpointArn]);

    this.logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const substitutions: Record<ScenarioSubstitution, string> = { ScenarioFunctionArn: this.function.functionArn };
    const definition = scenarioDefinitionString();
    checkPlaceholders(this, definition, substitutions);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: name,
      definitionBody: sfn.DefinitionBody.fromString(definition),
      definitionSubstitutions: substitutions,
      stateMachineType: sfn.StateMachineType.STANDARD,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    this.function.grantInvoke(this.stateMachine);

    acknowledgeNag(
      this.handler.role,
      ...wildcardResourceAcks([props.syntheticBucket], `/${P.runs}*`, (p) => `The scenario function reads and writes the objects of each run under scenario-runs/<run id>/ in ${p} (spec, labels, events, per-minute chunks and progress markers, report); run ids are chosen per execution. No delete.`),
      ...wildcardResourceAcks([props.anomalyBucket], `/${P.anomalies}*`, (p) => `The scenario report reads the anomalies the window closer stored under anomalies/partition=<partition>/date=<day>/ in ${p} for the run's partitions and stretch; keys are written at run time. Read only (s3:GetObject).`),
      ...wildcardResourceAcks([props.datasetBucket], `/${P.windows}*`, (p) => `The scenario report's realism check reads real window features under windows/partition=<partition>/date=<day>/ in ${p} at the run's hours of earlier weeks or days; keys are written at run time by the window closer and history imports. Read only (s3:GetObject).`),
    );
    acknowledgeNag(
      this.stateMachine.role,
      ...wildcardResourceAcks([this.function], ':*', (p) => `The scenario state machine invokes ${p} (its only task resource); grantInvoke also covers its qualified ARNs (versions/aliases). The role belongs to this state machine only.`),
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Step Functions logging to CloudWatch Logs (logs:*LogDelivery, PutResourcePolicy, DescribeLogGroups) and X-Ray tracing (xray:PutTraceSegments, GetSampling*) have no resource-level permissions.',
      },
    );
  }
}

/** Fails the synth on a placeholder the definition uses but the construct does not substitute, or the reverse. */
function checkPlaceholders(scope: Construct, definition: string, substitutions: Record<string, string>): void {
  const used = new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));
  const missing = [...used].filter((u) => !(u in substitutions));
  const unused = SCENARIO_SUBSTITUTIONS.filter((s) => !used.has(s));
  if (missing.length > 0 || unused.length > 0) {
    throw new Error(`ScenarioRunner ${scope.node.path}: definition placeholders and substitutions differ (not substituted: ${missing.join(', ') || '-'}; never used: ${unused.join(', ') || '-'}).`);
  }
}
