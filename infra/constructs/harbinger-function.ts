import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ENV } from '../../functions/core/resources';
import { acknowledgeNag, NODE22_RUNTIME_ACK, XRAY_WILDCARD_ACK } from './nag';

/** The repository root (holds package.json, package-lock.json and functions/). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * esbuild banner for ESM bundles: gives CommonJS dependencies bundled into an ES module a working
 * `require` (for Node built-ins they load with `require('...')`).
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __harbingerCreateRequire } from 'node:module'; const require = __harbingerCreateRequire(import.meta.url);";

/** What every Harbinger handler is configured with (see `ENV` in functions/core/resources.ts). */
export interface HandlerEnvironmentProps {
  /** The state table. */
  readonly table: dynamodb.ITable;
  /** Where anomaly records go. */
  readonly anomalyBucket: s3.IBucket;
  /** Where closed-window features go. */
  readonly datasetBucket: s3.IBucket;
  /** Where alerts go. */
  readonly eventBus: events.IEventBus;
  /**
   * Partition rules, a JSON array (see functions/core/partition.ts).
   * @default - variable not set: the handlers use DEFAULT_PARTITION_RULES
   */
  readonly partitionRules?: string;
  /** Region used for partitions whose log group does not name one; normally the stack's region. */
  readonly defaultRegion: string;
  /** Allowed lateness of events, seconds. @default - the handlers' own default */
  readonly allowedLatenessSec?: number;
  /** Profile cache lifetime in a warm Lambda, seconds. @default - the handlers' own default */
  readonly profileCacheTtlSec?: number;
}

/** Builds the environment variables the handlers read, keyed by the names in `ENV`. */
export function handlerEnvironment(props: HandlerEnvironmentProps): Record<string, string> {
  const env: Record<string, string> = {
    [ENV.table]: props.table.tableName,
    [ENV.anomalyBucket]: props.anomalyBucket.bucketName,
    [ENV.datasetBucket]: props.datasetBucket.bucketName,
    [ENV.eventBus]: props.eventBus.eventBusName,
    [ENV.defaultRegion]: props.defaultRegion,
  };
  if (props.partitionRules !== undefined) env[ENV.partitionRules] = props.partitionRules;
  if (props.allowedLatenessSec !== undefined) env[ENV.allowedLatenessSec] = String(props.allowedLatenessSec);
  if (props.profileCacheTtlSec !== undefined) env[ENV.profileCacheTtlSec] = String(props.profileCacheTtlSec);
  return env;
}

/** Properties of {@link HarbingerFunction}. */
export interface HarbingerFunctionProps {
  /** Handler file relative to the project root, e.g. `functions/scorer/handler.ts` (export `handler`). */
  readonly entry: string;
  /** Function description. */
  readonly description: string;
  /** Environment variables (see {@link handlerEnvironment}). */
  readonly environment: Record<string, string>;
  /** Powertools service name (`POWERTOOLS_SERVICE_NAME`). */
  readonly serviceName: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default - no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Project root for bundling. @default {@link PROJECT_ROOT} */
  readonly projectRoot?: string;
}

/**
 * A Harbinger Lambda function: Node.js 22 on ARM64, bundled locally by esbuild (no Docker) into a
 * minified ES module with a source map and the pinned AWS SDK v3 clients inside, X-Ray tracing on,
 * logging to its own log group with a retention, and an execution role that holds only what is
 * granted to it (write access to that log group; no AWS managed policy).
 *
 * Why ESM: the handlers and @middy/core 6 are ES modules (top-level await and `import.meta` work as
 * written); the banner supplies `require` for the few CommonJS dependencies that load Node built-ins.
 */
export class HarbingerFunction extends Construct {
  /** The function. */
  public readonly function: nodejs.NodejsFunction;
  /** Its execution role. */
  public readonly role: iam.Role;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HarbingerFunctionProps) {
    super(scope, id);
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    const entry = join(projectRoot, props.entry);
    if (!existsSync(entry)) {
      throw new Error(`HarbingerFunction ${this.node.path}: handler entry ${entry} does not exist.`);
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        // Stack traces point at the TypeScript sources (the bundle ships its .map file).
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        bundleAwsSDK: true,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        forceDockerBundling: false,
      },
    });
    // The function must not start before its role can write its logs.
    this.function.node.addDependency(this.role);
    acknowledgeNag(this.function, NODE22_RUNTIME_ACK);
    acknowledgeNag(this.role, XRAY_WILDCARD_ACK);
  }
}
