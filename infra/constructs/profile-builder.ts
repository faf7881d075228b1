import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { SCENARIO_ENV, SCENARIO_RUNS_PREFIX } from '../../functions/core/resources';
import { HarbingerFunction } from './harbinger-function';
import { acknowledgeNag, wildcardResourceAcks } from './nag';

/**
 * Dataset key prefixes the builder reads (functions/core/resources.ts: `windowsPrefix`,
 * `windowBatchKey`, `windowFeaturesKey` live under `windows/`; `catalogueKey` under `catalogue/`).
 */
export const PROFILE_BUILDER_READ_PREFIXES = ['windows/', 'catalogue/'] as const;

/**
 * The DynamoDB actions of functions/adapters/profile-store.ts (Get/Put/Update/Query commands on the
 * base table: CURRENT pointer, profile versions, registry item). The builder never touches the
 * open-windows index.
 */
export const PROFILE_BUILDER_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

/** Properties of {@link ProfileBuilder}. */
export interface ProfileBuilderProps {
  /** The state table (profiles: versions, CURRENT pointer, registry item). */
  readonly table: dynamodb.ITable;
  /** Dataset bucket (window features and template catalogues; read only). */
  readonly datasetBucket: s3.IBucket;
  /**
   * Synthetic bucket: the stored scenario runs' manifest.json and labels.json (read only), so the
   * windows of their replayed stretches are left out (`scenarioData`).
   * @default - no scenario runs known: every window counts as real
   */
  readonly syntheticBucket?: s3.IBucket;
  /** Environment variables, from `handlerEnvironment`. */
  readonly environment: Record<string, string>;
  /**
   * When the builder runs (EventBridge Scheduler expression; a cron expression without a time zone
   * is evaluated in UTC).
   * @default daily at 03:15 UTC: `cron(15 3 * * ? *)` in Etc/UTC
   */
  readonly schedule?: scheduler.ScheduleExpression;
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default Duration.minutes(15) (the Lambda maximum: it rebuilds every partition in one run) */
  readonly timeout?: Duration;
  /** @default - no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Project root for bundling. @default the repository root */
  readonly projectRoot?: string;
}

/**
 * The profile builder: `functions/profile-builder/handler.ts`, invoked daily by an EventBridge
 * Scheduler schedule with payload `{}` (every partition with window features). It rebuilds each
 * partition's baseline profile from the window features and template catalogue in the dataset
 * bucket, writes a new profile version and flips the partition's CURRENT pointer.
 *
 * Lambda does not retry a failed asynchronous run (a run that timed out would most likely time out
 * again, and the next day's run rebuilds from the same data); Scheduler retries only delivery
 * failures (e.g. throttling) for up to an hour. Invoke by hand with `{"partition": "..."}` to rebuild
 * one partition.
 */
export class ProfileBuilder extends Construct {
  /** The profile builder function. */
  public readonly function: nodejs.NodejsFunction;
  /** The schedule that invokes it. */
  public readonly schedule: scheduler.Schedule;
  /** The underlying function construct (role, log group). */
  public readonly handler: HarbingerFunction;

  constructor(scope: Construct, id: string, props: ProfileBuilderProps) {
    super(scope, id);
    this.handler = new HarbingerFunction(this, 'Handler', {
      entry: 'functions/profile-builder/handler.ts',
      description: 'Harbinger profile builder: rebuilds baseline profiles from window features and flips CURRENT',
      serviceName: 'harbinger-profile-builder',
      environment: props.syntheticBucket ? { ...props.environment, [SCENARIO_ENV.syntheticBucket]: props.syntheticBucket.bucketName } : props.environment,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.minutes(15),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      logRetention: props.logRetention,
      projectRoot: props.projectRoot,
    });
    this.function = this.handler.function;
    this.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.hours(1) });

    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'EventBridge Scheduler invokes the Harbinger profile builder',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    this.schedule = new scheduler.Schedule(this, 'Daily', {
      description: 'Rebuilds Harbinger baseline profiles from stored window features',
      schedule: props.schedule ?? scheduler.ScheduleExpression.cron({ minute: '15', hour: '3', timeZone: TimeZone.ETC_UTC }),
      target: new targets.LambdaInvoke(this.function, {
        role: schedulerRole,
        input: scheduler.ScheduleTargetInput.fromObject({}),
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
      }),
    });

    // Table: exactly the item operations of ProfileStore, on the base table only (grantReadWriteData
    // would add index/* and Scan/Delete/Batch*, none of which the builder uses).
    this.handler.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...PROFILE_BUILDER_TABLE_ACTIONS], resources: [props.table.tableArn] }),
    );
    // Dataset bucket: read only, and only the prefixes the builder reads. ListBucket is on the whole
    // bucket without an s3:prefix condition on purpose: it is what makes GetObject of a missing key
    // (a partition without a catalogue) answer NoSuchKey, which ObjectStore.getBytes maps to null,
    // instead of AccessDenied.
    this.handler.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.datasetBucket.bucketArn] }),
    );
    this.handler.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: PROFILE_BUILDER_READ_PREFIXES.map((p) => props.datasetBucket.arnForObjects(`${p}*`)),
      }),
    );

    // Synthetic bucket: the runs' manifest.json and labels.json, read only. ListBucket unconditioned for
    // the same reason as above (a run whose Generate step failed has no manifest: NoSuchKey, not AccessDenied).
    if (props.syntheticBucket) {
      this.handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.syntheticBucket.bucketArn] }));
      this.handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [props.syntheticBucket.arnForObjects(`${SCENARIO_RUNS_PREFIX}*`)] }));
      acknowledgeNag(
        this.handler.role,
        ...wildcardResourceAcks(
          [props.syntheticBucket],
          `/${SCENARIO_RUNS_PREFIX}*`,
          (p) => `The profile builder reads each stored scenario run's manifest.json and labels.json under scenario-runs/<run id>/ in ${p} to leave synthetic windows out of profiles; run ids are chosen per execution, so only the prefix can be named. Read only (s3:GetObject).`,
        ),
      );
    }

    acknowledgeNag(
      schedulerRole,
      ...wildcardResourceAcks(
        [this.function],
        ':*',
        (p) => `LambdaInvoke grants lambda:InvokeFunction on ${p} and its qualified ARNs (versions/aliases); the role is assumable only by EventBridge Scheduler of this account, for the daily profile rebuild, and invokes nothing else.`,
      ),
    );
    acknowledgeNag(
      this.handler.role,
      ...wildcardResourceAcks(
        [props.datasetBucket],
        '/windows/*',
        (p) => `The profile builder reads the window features under windows/partition=<partition>/date=<day>/ in ${p}; those keys are written at run time (window closer, history imports), so only the windows/ prefix can be named. Read only (s3:GetObject).`,
      ),
      ...wildcardResourceAcks(
        [props.datasetBucket],
        '/catalogue/*',
        (p) => `The profile builder reads each partition's template catalogue at catalogue/partition=<partition>/catalogue.json in ${p}; partitions are discovered at run time, so only the catalogue/ prefix can be named. Read only (s3:GetObject).`,
      ),
    );
  }
}
