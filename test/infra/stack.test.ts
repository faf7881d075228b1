/**
 * CDK assertions on the synthesized HarbingerStack. The stack (with real esbuild bundling of every
 * handler) is synthesized ONCE in beforeAll; every test reads that one template.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, EVENTS, resourceNames, STREAM_DEFAULTS, TABLE_SCHEMA } from '../../functions/core/resources';
import { ESM_REQUIRE_BANNER, handlerEnvironment } from '../../infra/constructs/harbinger-function';
import { HarbingerStack, harbingerPropsFromContext } from '../../infra/stack';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const LOG_GROUPS = ['/aws/lambda/orders', '/ecs/payments-api'];
const PARTITION_RULES = '[ {"pattern": "^/aws/lambda/(?<service>[^/]+)$", "region": "eu-west-1"} ]';
const names = resourceNames('harbinger', `${ACCOUNT}-${REGION}`);

let app: App;
let stack: HarbingerStack;
let template: Template;

/** Logical id of a construct's CloudFormation resource in the synthesized template. */
const logicalId = (construct: { node: { defaultChild?: unknown } }): string => {
  const child = construct.node.defaultChild as { logicalId: string };
  return stack.resolve(child.logicalId) as string;
};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement of the identity policies attached to a role. */
const statementsOfRole = (roleLogicalId: string): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);

/** Every action allowed by the identity policies attached to a role. */
const actionsOfRole = (roleLogicalId: string): Set<string> =>
  new Set(statementsOfRole(roleLogicalId).flatMap((st) => [st.Action].flat()));

/** Actions a role is allowed on resources whose (resolved) ARN mentions `resourceLogicalId`. */
const actionsOnResource = (roleLogicalId: string, resourceLogicalId: string): Set<string> =>
  new Set(
    statementsOfRole(roleLogicalId)
      .filter((st) => st.Effect === 'Allow' && JSON.stringify(st.Resource).includes(`"${resourceLogicalId}"`))
      .flatMap((st) => [st.Action].flat()),
  );

beforeAll(() => {
  app = new App();
  stack = new HarbingerStack(app, 'HarbingerTest', {
    env: { account: ACCOUNT, region: REGION },
    logGroupNames: LOG_GROUPS,
    partitionRules: PARTITION_RULES,
  });
  template = Template.fromStack(stack);
}, 180_000);

describe('HarbingerStack', () => {
  it('kinesis stream: provisioned mode, STREAM_DEFAULTS shards and retention, KMS encryption', () => {
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: resourceNames('harbinger').stream,
      ShardCount: STREAM_DEFAULTS.shards,
      RetentionPeriodHours: STREAM_DEFAULTS.retentionHours,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
  });

  it('scorer event source mapping: batching, bisect, partial batch responses, retries, age, SQS on-failure', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.logStream.stream), 'Arn'] },
      FunctionName: { Ref: logicalId(stack.scorer.function) },
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 5,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 3600,
      ParallelizationFactor: 1,
      StartingPosition: 'LATEST',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.scorer.failureQueue), 'Arn'] } } },
    });
  });

  it('scorer failure queue: encrypted and TLS-only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(stack.scorer.failureQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('state table: key schema, sparse GSI and TTL from TABLE_SCHEMA; on-demand, PITR, protected, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: resourceNames('harbinger').table,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayEquals([
          { AttributeName: TABLE_SCHEMA.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_SCHEMA.sortKey, AttributeType: 'S' },
          { AttributeName: TABLE_SCHEMA.openIndex.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_SCHEMA.openIndex.sortKey, AttributeType: 'N' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: TABLE_SCHEMA.openIndex.name,
            KeySchema: [
              { AttributeName: TABLE_SCHEMA.openIndex.partitionKey, KeyType: 'HASH' },
              { AttributeName: TABLE_SCHEMA.openIndex.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('buckets: names from resourceNames, public access blocked, SSE-S3, versioned, access-logged, TLS-only', () => {
    const accessLogs = logicalId(stack.buckets.accessLogsBucket);
    for (const bucketName of [names.anomalyBucket, names.syntheticBucket, names.datasetBucket, names.modelBucket]) {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: bucketName,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { DestinationBucketName: { Ref: accessLogs }, LogFilePrefix: `${bucketName}/` },
      });
    }
    // Five buckets (four data + access logs), each with a policy that denies non-TLS requests.
    template.resourceCountIs('AWS::S3::Bucket', 5);
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(5);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      );
    }
    // Log delivery goes through the bucket policy (ACLs stay disabled on the log bucket).
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: accessLogs },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })] },
    });
  });

  it('bucket lifecycle: anomalies to IA at 30 d and expire at 365 d; synthetic expire at 30 d; datasets expire noncurrent versions', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: names.anomalyBucket,
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            Status: 'Enabled',
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
            ExpirationInDays: 365,
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: names.syntheticBucket,
      LifecycleConfiguration: { Rules: [Match.objectLike({ Status: 'Enabled', ExpirationInDays: 30 })] },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: names.datasetBucket,
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 30 }, ExpirationInDays: Match.absent() })],
      },
    });
  });

  it('alert bus: named bus, archive and log-group rule for source harbinger, log resource policy', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: resourceNames('harbinger').eventBus });
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [logicalId(stack.alertBus.bus), 'Arn'] },
      EventPattern: { source: [EVENTS.source] },
      RetentionDays: 90,
    });
    const logGroup = logicalId(stack.alertBus.alertLogGroup);
    template.hasResource('AWS::Events::Rule', {
      Properties: {
        EventBusName: { Ref: logicalId(stack.alertBus.bus) },
        EventPattern: { source: [EVENTS.source] },
        Targets: [Match.objectLike({ Arn: { 'Fn::Join': ['', Match.arrayWith([{ Ref: logGroup }])] } })],
      },
      DependsOn: [logicalId(stack.alertBus.node.findChild('AlertLogPolicy'))],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/aws/events/${resourceNames('harbinger').eventBus}`, RetentionInDays: 30 });
    const [policy] = Object.values(template.findResources('AWS::Logs::ResourcePolicy'));
    const doc = JSON.stringify(policy.Properties.PolicyDocument);
    expect(doc).toContain('events.amazonaws.com');
    expect(doc).toContain('logs:PutLogEvents');
    expect(doc).toContain(`:rule/${resourceNames('harbinger').eventBus}/*`);
  });

  it('log subscriptions: one filter per log group with Distribution ByLogStream, through a role trusted by regional CloudWatch Logs', () => {
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', LOG_GROUPS.length);
    const role = logicalId(stack.logSubscription!.role);
    for (const logGroupName of LOG_GROUPS) {
      template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
        LogGroupName: logGroupName,
        Distribution: 'ByLogStream',
        FilterPattern: '',
        DestinationArn: { 'Fn::GetAtt': [logicalId(stack.logStream.stream), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [role, 'Arn'] },
      });
    }
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: `logs.${REGION}.amazonaws.com` },
            Condition: {
              StringLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:${REGION}:${ACCOUNT}:*`]] } },
            },
          }),
        ],
      },
    });
    expect([...actionsOfRole(role)]).toEqual(expect.arrayContaining(['kinesis:PutRecord', 'kinesis:PutRecords', 'iam:PassRole']));
  });

  it('window closer: EventBridge Scheduler rate(1 minute) invoking the closer, one run at a time', () => {
    // Four schedules: the window closer's, the profile builder's, the retraining's and the capacity function's.
    template.resourceCountIs('AWS::Scheduler::Schedule', 4);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack.windowCloser.function), 'Arn'] } }),
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack.windowCloser.function) },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
    // closerReservedConcurrency defaults to 1 in the stack; the scorer has none unless configured.
    expect(template.findResources('AWS::Lambda::Function')[logicalId(stack.windowCloser.function)].Properties.ReservedConcurrentExecutions).toBe(1);
    expect(template.findResources('AWS::Lambda::Function')[logicalId(stack.scorer.function)].Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('profile builder: 1024 MB, 15 min, invoked daily at 03:15 UTC with {} by a scheduler role of this account', () => {
    const fn = logicalId(stack.profileBuilder.function);
    const props = template.findResources('AWS::Lambda::Function')[fn].Properties;
    expect(props).toMatchObject({ Runtime: 'nodejs22.x', MemorySize: 1024, Timeout: 900 });
    expect(props.ReservedConcurrentExecutions).toBeUndefined();
    expect(props.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('harbinger-profile-builder');

    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter(
      (s) => JSON.stringify(s.Properties.Target.Arn) === JSON.stringify({ 'Fn::GetAtt': [fn, 'Arn'] }),
    );
    expect(schedules).toHaveLength(1);
    const [schedule] = schedules;
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'cron(15 3 * * ? *)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: { Input: '{}', RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } },
    });
    expect(schedule.Properties.ScheduleExpressionTimezone).toBe('Etc/UTC');

    const schedulerRole = (schedule.Properties.Target.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(template.findResources('AWS::IAM::Role')[schedulerRole].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      }),
    ]);
    expect([...actionsOfRole(schedulerRole)]).toEqual(['lambda:InvokeFunction']);
    expect(JSON.stringify(statementsOfRole(schedulerRole).map((st) => st.Resource))).not.toContain(logicalId(stack.windowCloser.function));

    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fn },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 3600,
    });
  });

  it('functions: nodejs22.x on arm64, ESM bundle, tracing, own log group with retention, env vars from ENV', () => {
    const expectedEnv = {
      [ENV.table]: { Ref: logicalId(stack.stateTable.table) },
      [ENV.anomalyBucket]: { Ref: logicalId(stack.buckets.anomalyBucket) },
      [ENV.datasetBucket]: { Ref: logicalId(stack.buckets.datasetBucket) },
      [ENV.eventBus]: { Ref: logicalId(stack.alertBus.bus) },
      [ENV.partitionRules]: JSON.stringify(JSON.parse(PARTITION_RULES)),
      [ENV.defaultRegion]: REGION,
      NODE_OPTIONS: '--enable-source-maps',
    };
    const retrainingSteps = Object.values(stack.retraining.steps);
    for (const handler of [stack.scorer.handler, stack.windowCloser.handler, stack.profileBuilder.handler, ...retrainingSteps]) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        Role: { 'Fn::GetAtt': [logicalId(handler.role), 'Arn'] },
        LoggingConfig: { LogGroup: { Ref: logicalId(handler.logGroup) } },
        Environment: { Variables: Match.objectLike(expectedEnv) },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
      // No AWS managed policy on the execution roles: everything they hold is granted.
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
        ManagedPolicyArns: Match.absent(),
      });
    }
  });

  it('grants: scorer reads the stream and writes table, buckets and bus; the closer reads and writes but never deletes objects', () => {
    const scorer = actionsOfRole(logicalId(stack.scorer.handler.role));
    for (const a of ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards', 'dynamodb:UpdateItem', 'dynamodb:Query', 's3:PutObject', 'events:PutEvents', 'sqs:SendMessage', 'logs:PutLogEvents', 'xray:PutTraceSegments']) {
      expect(scorer, a).toContain(a);
    }
    const closer = actionsOfRole(logicalId(stack.windowCloser.handler.role));
    for (const a of ['dynamodb:Query', 'dynamodb:UpdateItem', 's3:GetObject*', 's3:PutObject', 'events:PutEvents']) {
      expect(closer, a).toContain(a);
    }
    expect([...closer].filter((a) => a.startsWith('s3:Delete'))).toEqual([]);
    expect([...closer].filter((a) => a.startsWith('kinesis:'))).toEqual([]);
  });

  it('grants: the profile builder reads and writes table items, reads the dataset bucket, writes no object and publishes nothing', () => {
    const role = logicalId(stack.profileBuilder.handler.role);
    const table = logicalId(stack.stateTable.table);
    const datasets = logicalId(stack.buckets.datasetBucket);
    const anomalies = logicalId(stack.buckets.anomalyBucket);
    const onTable = actionsOnResource(role, table);
    for (const a of ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']) expect(onTable, a).toContain(a);
    expect([...onTable].filter((a) => /^dynamodb:(Delete|Scan|Batch)/.test(a))).toEqual([]);
    // Base table only: the builder never queries the open-windows index.
    expect(JSON.stringify(statementsOfRole(role).map((st) => st.Resource))).not.toContain('/index/');

    const onDatasets = actionsOnResource(role, datasets);
    expect([...onDatasets].sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: role }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:GetObject',
            Resource: [
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [datasets, 'Arn'] }, '/windows/*']] },
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [datasets, 'Arn'] }, '/catalogue/*']] },
            ],
          }),
        ]),
      },
    });
    expect([...actionsOnResource(role, anomalies)]).toEqual([]);
    // Stored scenario runs (scenarioData): list the synthetic bucket, read scenario-runs/ only.
    const synthetic = logicalId(stack.buckets.syntheticBucket);
    expect([...actionsOnResource(role, synthetic)].sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: role }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [synthetic, 'Arn'] }, '/scenario-runs/*']] } })]) },
    });
    const all = actionsOfRole(role);
    expect(all).not.toContain('s3:PutObject');
    expect([...all].filter((a) => /^(s3:(Put|Delete|Abort)|events:|kinesis:|sqs:)/.test(a))).toEqual([]);
  });

  it('bundles: ES modules (banner supplies require) with the AWS SDK inside, importable by Node, exporting handler', () => {
    const retrainingFunctions = Object.values(stack.retraining.steps).map((s) => s.function);
    for (const fn of [stack.scorer.function, stack.windowCloser.function, stack.profileBuilder.function, ...retrainingFunctions]) {
      const asset = fn.node.findChild('Code') as s3assets.Asset;
      const file = join(app.outdir, asset.assetPath, 'index.mjs');
      expect(existsSync(file), file).toBe(true);
      expect(existsSync(`${file}.map`)).toBe(true);
      expect(readFileSync(file, 'utf8').startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      // A fresh Node process (not vitest's module pipeline), as Lambda would load it.
      const out = execFileSync(
        process.execPath,
        ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(typeof m.handler);`],
        {
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH, AWS_REGION: REGION,
            [ENV.table]: 't', [ENV.anomalyBucket]: 'a', [ENV.datasetBucket]: 'd', [ENV.eventBus]: 'b',
            [ENV.partitionRules]: '[]', [ENV.defaultRegion]: REGION,
            [ENV.modelBucket]: 'm', [ENV.modelEndpoint]: 'e',
          },
        },
      );
      expect(out.trim().split('\n').at(-1)).toBe('function');
    }
  }, 60_000);

  it('outputs: stream, table, buckets, bus, functions, retraining', () => {
    for (const id of ['StreamName', 'TableName', 'AnomalyBucketName', 'SyntheticBucketName', 'DatasetBucketName', 'ModelBucketName', 'EventBusName']) {
      template.hasOutput(id, {});
    }
    template.hasOutput('TableName', { Value: { Ref: logicalId(stack.stateTable.table) } });
    template.hasOutput('ProfileBuilderFunctionName', { Value: { Ref: logicalId(stack.profileBuilder.function) } });
    template.hasOutput('WindowCloserFunctionName', { Value: { Ref: logicalId(stack.windowCloser.function) } });
    template.hasOutput('ModelBucketName', { Value: { Ref: logicalId(stack.buckets.modelBucket) } });
    template.hasOutput('RetrainingStateMachineArn', { Value: { Ref: logicalId(stack.retraining.stateMachine) } });
    template.hasOutput('ModelEndpointName', { Value: resourceNames('harbinger').modelEndpoint });
  });
});

describe('stack props (no bundling)', () => {
  it('reads context: comma-separated log groups, JSON partition rules, integers', () => {
    const app = new App({
      context: {
        'harbinger:logGroups': ' /aws/lambda/a, /aws/lambda/b ,,',
        'harbinger:partitionRules': { rules: [] },
        'harbinger:shardCount': '4',
        'harbinger:prefix': 'hb-dev',
      },
    });
    expect(harbingerPropsFromContext(app.node)).toEqual({
      prefix: 'hb-dev',
      logGroupNames: ['/aws/lambda/a', '/aws/lambda/b'],
      partitionRules: '{"rules":[]}',
      shardCount: 4,
      parallelizationFactor: undefined,
    });
    expect(() => harbingerPropsFromContext(new App({ context: { 'harbinger:shardCount': 'two' } }).node)).toThrow(/positive integer/);
  });

  it('rejects a bad prefix, and partition rules the handlers would reject, before creating anything', () => {
    expect(() => new HarbingerStack(new App(), 'Bad', { prefix: 'Harbinger_Prod' })).toThrow(/prefix/);
    expect(() => new HarbingerStack(new App(), 'BadJson', { partitionRules: '{nope' })).toThrow(/partitionRules.*not valid JSON/);
    expect(() => new HarbingerStack(new App(), 'Empty', { partitionRules: '[]' })).toThrow(/partitionRules.*empty/);
    expect(() => new HarbingerStack(new App(), 'NoService', { partitionRules: '[{"pattern":"^/x/"}]' })).toThrow(/service/);
  });

  it('closerReservedConcurrency: null disables it, a number sets it, a bad value fails before creating anything', () => {
    // Constructed, not synthesized, with bundling skipped: only the L1 property is read.
    const closerConcurrency = (id: string, closerReservedConcurrency: number | null): number | undefined => {
      const s = new HarbingerStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), id, { closerReservedConcurrency });
      return (s.windowCloser.function.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions;
    };
    expect(closerConcurrency('NoReserved', null)).toBeUndefined();
    expect(closerConcurrency('Three', 3)).toBe(3);
    expect(() => new HarbingerStack(new App(), 'Negative', { closerReservedConcurrency: -1 })).toThrow(/closerReservedConcurrency/);
    expect(() => new HarbingerStack(new App(), 'Fraction', { closerReservedConcurrency: 1.5 })).toThrow(/closerReservedConcurrency/);
  });

  it('handlerEnvironment: ENV names; partition rules, lateness and cache TTL only when configured', () => {
    const refs = {
      table: { tableName: 'T' } as dynamodb.ITable,
      anomalyBucket: { bucketName: 'A' } as s3.IBucket,
      datasetBucket: { bucketName: 'D' } as s3.IBucket,
      eventBus: { eventBusName: 'B' } as events.IEventBus,
      defaultRegion: 'eu-west-1',
    };
    expect(handlerEnvironment(refs)).toEqual({
      [ENV.table]: 'T', [ENV.anomalyBucket]: 'A', [ENV.datasetBucket]: 'D', [ENV.eventBus]: 'B', [ENV.defaultRegion]: 'eu-west-1',
    });
    expect(handlerEnvironment({ ...refs, partitionRules: '[{"pattern":"(?<service>.+)"}]', allowedLatenessSec: 90, profileCacheTtlSec: 30 })).toMatchObject({
      [ENV.partitionRules]: '[{"pattern":"(?<service>.+)"}]',
      [ENV.allowedLatenessSec]: '90',
      [ENV.profileCacheTtlSec]: '30',
    });
  });
});
