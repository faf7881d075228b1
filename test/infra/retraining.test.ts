/**
 * CDK assertions on the VAE retraining and serving part of HarbingerStack: the state machine deployed
 * from infra/retraining/definition.ts, its substitutions, IAM (SageMaker role, PassRole, .sync
 * training), the schedule, the model bucket, the model image asset, and the window closer's access to
 * the endpoint. Synthesized ONCE with bundling skipped (`aws:cdk:bundling-stacks: []`): stack.test.ts
 * bundles and imports the step handlers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_INSTANCE_TYPE, ENV, RETRAINING_ENV, resourceNames, SCENARIO_ENV, SERVERLESS_DEFAULTS } from '../../functions/core/resources';
import { PROJECT_ROOT } from '../../infra/constructs/harbinger-function';
import { RETRAINING_HANDLERS, RETRAINING_STEPS } from '../../infra/constructs/retraining';
import { RETRAINING_STATES, RETRAINING_SUBSTITUTIONS, retrainingDefinitionString } from '../../infra/retraining/definition';
import { HarbingerStack, harbingerPropsFromContext } from '../../infra/stack';
import { actionsOf, logicalIdIn, statementsOfRole as statementsIn, type HasDefaultChild, type Statement } from './template-helpers';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const names = resourceNames('harbinger', `${ACCOUNT}-${REGION}`);
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

let app: App;
let stack: HarbingerStack;
let template: Template;

const logicalId = (construct: HasDefaultChild): string => logicalIdIn(stack, construct);
const getAtt = (construct: { node: { defaultChild?: unknown } }): unknown => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });

const statementsOfRole = (roleLogicalId: string): Statement[] => statementsIn(template, roleLogicalId);
const allowed = (roleLogicalId: string, action: string): Statement[] =>
  statementsOfRole(roleLogicalId).filter((st) => st.Effect === 'Allow' && actionsOf(st).includes(action));

/** The endpoint ARN as the construct writes it (pseudo parameters, lowercase endpoint name). */
const endpointArn = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:endpoint/${names.modelEndpoint}`]],
};

/** The state machine's CloudFormation properties. */
const stateMachineProps = (): Record<string, any> => template.findResources('AWS::StepFunctions::StateMachine')[logicalId(stack.retraining.stateMachine)].Properties;

beforeAll(() => {
  app = new App({ context: NO_BUNDLING });
  stack = new HarbingerStack(app, 'HarbingerRetraining', { env: { account: ACCOUNT, region: REGION } });
  template = Template.fromStack(stack);
}, 180_000);

describe('retraining state machine', () => {
  it('is the one definition (definition.ts), named from resourceNames, STANDARD, logged at ALL with execution data, traced', () => {
    // One retraining state machine (the stack has others, e.g. scenario runs).
    const named = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).filter((r) => r.Properties.StateMachineName === resourceNames('harbinger').retrainingStateMachine);
    expect(named).toHaveLength(1);
    const props = stateMachineProps();
    expect(props.StateMachineName).toBe(resourceNames('harbinger').retrainingStateMachine);
    expect(props.StateMachineType).toBe('STANDARD');
    expect(props.DefinitionString).toBe(retrainingDefinitionString());
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration).toEqual({
      Level: 'ALL',
      IncludeExecutionData: true,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt(stack.retraining.logGroup) } }],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/vendedlogs/states/${resourceNames('harbinger').retrainingStateMachine}`,
      RetentionInDays: 30,
    });
  });

  it('has every RETRAINING_STATES state, and lambda:invoke tasks on the step Lambdas (publish twice: new model, kept champion) plus the .sync training job', () => {
    const definition = JSON.parse(stateMachineProps().DefinitionString as string) as { States: Record<string, { Type: string; Resource?: string }> };
    for (const state of Object.values(RETRAINING_STATES)) expect(Object.keys(definition.States), state).toContain(state);
    const tasks = Object.entries(definition.States).filter(([, st]) => st.Type === 'Task');
    expect(tasks.map(([name]) => name).sort()).toEqual(
      [RETRAINING_STATES.prepare, RETRAINING_STATES.train, RETRAINING_STATES.evaluate, RETRAINING_STATES.deploy, RETRAINING_STATES.checkEndpoint, RETRAINING_STATES.publish, RETRAINING_STATES.refreshThresholds].sort(),
    );
    expect(definition.States[RETRAINING_STATES.train].Resource).toBe('arn:aws:states:::sagemaker:createTrainingJob.sync');
    expect(tasks.filter(([, st]) => st.Resource === 'arn:aws:states:::lambda:invoke')).toHaveLength(RETRAINING_STEPS.length + 1);
  });

  it('substitutes exactly RETRAINING_SUBSTITUTIONS, each with a resolved value: no placeholder is left after deployment', () => {
    const props = stateMachineProps();
    const definition = props.DefinitionString as string;
    const substitutions = props.DefinitionSubstitutions as Record<string, unknown>;
    const placeholders = new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));
    expect([...placeholders].sort()).toEqual([...RETRAINING_SUBSTITUTIONS].sort());
    expect(Object.keys(substitutions).sort()).toEqual([...RETRAINING_SUBSTITUTIONS].sort());

    const sm = stack.retraining;
    const expected: Record<string, unknown> = {
      ...Object.fromEntries(RETRAINING_STEPS.map((s) => [RETRAINING_HANDLERS[s].substitution, getAtt(sm.steps[s].function)])),
      SageMakerRoleArn: getAtt(sm.sagemakerRole),
      ModelBucket: { Ref: logicalId(stack.buckets.modelBucket) },
      TrainingInstanceType: DEFAULT_TRAINING_INSTANCE_TYPE,
      TrainingImageUri: stack.resolve(sm.modelImageUri),
    };
    expect(substitutions).toEqual(expected);
    // What CloudFormation does with DefinitionSubstitutions: afterwards no `${Name}` of ours remains.
    const deployed = definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_m, name: string) => (name in substitutions ? `resolved:${name}` : `\${${name}}`));
    for (const name of RETRAINING_SUBSTITUTIONS) expect(deployed).not.toContain(`\${${name}}`);
    const states = (JSON.parse(deployed) as { States: Record<string, { Parameters?: Record<string, any> }> }).States;
    expect(states[RETRAINING_STATES.prepare].Parameters?.FunctionName).toBe('resolved:PrepareFunctionArn');
    expect(states[RETRAINING_STATES.train].Parameters?.RoleArn).toBe('resolved:SageMakerRoleArn');
    expect(states[RETRAINING_STATES.train].Parameters?.AlgorithmSpecification.TrainingImage).toBe('resolved:TrainingImageUri');
    expect(states[RETRAINING_STATES.train].Parameters?.ResourceConfig.InstanceType).toBe('resolved:TrainingInstanceType');
  });

  it('its role runs createTrainingJob.sync, passes the SageMaker role to SageMaker only, and invokes the five steps', () => {
    const role = logicalId(stack.retraining.stateMachine.role);
    for (const a of ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:AddTags']) {
      const [st] = allowed(role, a);
      expect(st, a).toBeDefined();
      expect(JSON.stringify(st.Resource)).toContain(':training-job/harbinger-vae-*');
    }
    for (const a of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) {
      expect(JSON.stringify(allowed(role, a).map((st) => st.Resource)), a).toContain(':rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule');
    }
    const [pass] = allowed(role, 'iam:PassRole');
    expect(pass).toMatchObject({
      Resource: getAtt(stack.retraining.sagemakerRole),
      Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    });
    const invoked = JSON.stringify(allowed(role, 'lambda:InvokeFunction').map((st) => st.Resource));
    for (const s of RETRAINING_STEPS) expect(invoked, s).toContain(logicalId(stack.retraining.steps[s].function));
  });

  it('is started daily by EventBridge Scheduler with {"reason":"scheduled"}, through a role that may only start it', () => {
    const target = { Ref: logicalId(stack.retraining.stateMachine) };
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter(
      (s) => JSON.stringify(s.Properties.Target.Arn) === JSON.stringify(target),
    );
    expect(schedules).toHaveLength(1);
    const [schedule] = schedules;
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'cron(15 4 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
      Target: { Input: JSON.stringify({ reason: 'scheduled' }) },
    });
    const schedulerRole = (schedule.Properties.Target.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(template.findResources('AWS::IAM::Role')[schedulerRole].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } }),
    ]);
    expect(statementsOfRole(schedulerRole)).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'states:StartExecution', Resource: target })]);
  });
});

describe('SageMaker role and the step Lambdas', () => {
  it('the SageMaker role is assumable by SageMaker only, and every PassRole of it is limited to SageMaker', () => {
    const sagemakerRole = logicalId(stack.retraining.sagemakerRole);
    const trust = template.findResources('AWS::IAM::Role')[sagemakerRole].Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'sagemaker.amazonaws.com' } })]);
    expect(template.findResources('AWS::IAM::Role')[sagemakerRole].Properties.ManagedPolicyArns).toBeUndefined();

    const passes = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Statement[])
        .filter((st) => actionsOf(st).some((a) => a === 'iam:PassRole' || a === 'iam:*' || a === '*'))
        .filter((st) => JSON.stringify(st.Resource).includes(sagemakerRole) || JSON.stringify(st.Resource) === '"*"')
        .map((st) => ({ roles: policy.Properties.Roles, st })),
    );
    // The state machine (CreateTrainingJob) and the deploy step (CreateModel), nothing else.
    expect(passes.map((p) => p.roles).flat().sort((a, b) => a.Ref.localeCompare(b.Ref))).toEqual(
      [{ Ref: logicalId(stack.retraining.stateMachine.role) }, { Ref: logicalId(stack.retraining.steps.deploy.role) }].sort((a, b) => a.Ref.localeCompare(b.Ref)),
    );
    for (const { st } of passes) {
      expect(st.Resource).toEqual(getAtt(stack.retraining.sagemakerRole));
      expect(st.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    }
  });

  it('the SageMaker role reads training/ and artifacts/, writes artifacts/ only, pulls the image and logs under /aws/sagemaker', () => {
    const role = logicalId(stack.retraining.sagemakerRole);
    const models = logicalId(stack.buckets.modelBucket);
    const objects = (prefix: string): unknown => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [models, 'Arn'] }, `/${prefix}*`]] });
    expect(allowed(role, 's3:GetObject').flatMap((st) => [st.Resource].flat())).toEqual([objects('training/'), objects('artifacts/')]);
    expect(allowed(role, 's3:PutObject').flatMap((st) => [st.Resource].flat())).toEqual([objects('artifacts/')]);
    expect(statementsOfRole(role).flatMap(actionsOf).filter((a) => /^s3:(Delete|PutBucket|\*)/.test(a))).toEqual([]);
    for (const a of ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:GetAuthorizationToken', 'logs:PutLogEvents', 'cloudwatch:PutMetricData']) {
      expect(allowed(role, a), a).not.toEqual([]);
    }
    expect(JSON.stringify(allowed(role, 'logs:PutLogEvents')[0].Resource)).toContain(':log-group:/aws/sagemaker/*');
    expect(allowed(role, 'cloudwatch:PutMetricData')[0].Condition).toEqual({ StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } });
  });

  it('step Lambdas: handler entries exist; env has the table, buckets, model endpoint; deploy also has role, image and serverless settings', () => {
    for (const s of RETRAINING_STEPS) {
      expect(existsSync(join(PROJECT_ROOT, RETRAINING_HANDLERS[s].entry)), RETRAINING_HANDLERS[s].entry).toBe(true);
      const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack.retraining.steps[s].function)].Properties;
      expect(fn.Environment.Variables, s).toMatchObject({
        [ENV.table]: { Ref: logicalId(stack.stateTable.table) },
        [ENV.datasetBucket]: { Ref: logicalId(stack.buckets.datasetBucket) },
        [ENV.anomalyBucket]: { Ref: logicalId(stack.buckets.anomalyBucket) },
        [ENV.modelBucket]: { Ref: logicalId(stack.buckets.modelBucket) },
        [ENV.modelEndpoint]: names.modelEndpoint,
        POWERTOOLS_SERVICE_NAME: RETRAINING_HANDLERS[s].serviceName,
      });
    }
    const deploy = template.findResources('AWS::Lambda::Function')[logicalId(stack.retraining.steps.deploy.function)].Properties;
    expect(deploy.Environment.Variables).toMatchObject({
      [RETRAINING_ENV.sagemakerRoleArn]: getAtt(stack.retraining.sagemakerRole),
      [RETRAINING_ENV.modelImageUri]: stack.resolve(stack.retraining.modelImageUri),
      [RETRAINING_ENV.serverlessMemoryMb]: String(SERVERLESS_DEFAULTS.memoryMb),
      [RETRAINING_ENV.serverlessMaxConcurrency]: String(SERVERLESS_DEFAULTS.maxConcurrency),
    });
  });

  it('step grants: prepare reads windows and labels and lists anomalies, evaluate and publish invoke only the endpoint, deploy manages only <prefix>-vae- names', () => {
    const { prepare, evaluate, deploy, endpointStatus, publish } = stack.retraining.steps;
    const actions = (h: { role: unknown }): string[] => statementsOfRole(logicalId(h.role as never)).flatMap(actionsOf).sort();
    const own = (list: string[]): string[] => list.filter((a) => !/^(logs|xray):/.test(a));
    expect([...new Set(own(actions(prepare)))]).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
    const prepareReads = JSON.stringify(allowed(logicalId(prepare.role), 's3:GetObject').map((st) => st.Resource));
    expect(prepareReads).toContain('/windows/*');
    expect(prepareReads).toContain('/labels/*');
    expect(prepareReads).toContain('/scenario-runs/*');
    expect(prepareReads).not.toContain('/anomalies/');
    // Scenario runs: read only, the synthetic bucket's scenario-runs/ (manifest.json, labels.json), listed.
    const synthetic = logicalId(stack.buckets.syntheticBucket);
    const onSynthetic = statementsOfRole(logicalId(prepare.role)).filter((st) => JSON.stringify(st.Resource).includes(`"${synthetic}"`));
    expect(onSynthetic.flatMap(actionsOf).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(onSynthetic.find((st) => actionsOf(st).includes('s3:GetObject'))?.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [synthetic, 'Arn'] }, '/scenario-runs/*']] });
    const prepareEnv = template.findResources('AWS::Lambda::Function')[logicalId(prepare.function)].Properties.Environment.Variables;
    expect(prepareEnv[SCENARIO_ENV.syntheticBucket]).toEqual({ Ref: synthetic });
    expect(JSON.stringify(allowed(logicalId(prepare.role), 's3:PutObject')[0].Resource)).toContain('/training/*');
    expect(own(actions(evaluate))).toEqual(['dynamodb:GetItem', 's3:GetObject', 's3:ListBucket', 'sagemaker:InvokeEndpoint']);
    expect(own(actions(publish))).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 's3:PutObject', 'sagemaker:InvokeEndpoint']);
    expect(JSON.stringify(allowed(logicalId(publish.role), 's3:PutObject')[0].Resource)).toContain('/thresholds/*');
    for (const h of [evaluate, publish]) expect(allowed(logicalId(h.role), 'sagemaker:InvokeEndpoint')[0].Resource).toEqual(endpointArn);
    expect(own(actions(endpointStatus))).toEqual(['sagemaker:DescribeEndpoint']);
    const deployActions = own(actions(deploy));
    for (const a of ['sagemaker:CreateModel', 'sagemaker:CreateEndpointConfig', 'sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint', 'sagemaker:DescribeEndpoint', 'iam:PassRole']) {
      expect(deployActions, a).toContain(a);
    }
    expect(deployActions.filter((a) => /sagemaker:Delete|\*/.test(a))).toEqual([]);
    const deployResources = JSON.stringify(statementsOfRole(logicalId(deploy.role)).filter((st) => actionsOf(st).some((a) => a.startsWith('sagemaker:'))).map((st) => st.Resource));
    expect(deployResources).toContain(':model/harbinger-vae-*');
    expect(deployResources).toContain(':endpoint-config/harbinger-vae-*');
    expect(deployResources).toContain(`:endpoint/${names.modelEndpoint}"`);
  });
});

describe('model bucket, model image and window closer', () => {
  it('model bucket: named from resourceNames, SSE-S3, SSL-only, versioned, access-logged, training/ expires after 30 days', () => {
    const bucket = logicalId(stack.buckets.modelBucket);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: names.modelBucket,
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(stack.buckets.accessLogsBucket) }, LogFilePrefix: `${names.modelBucket}/` },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Status: 'Enabled', Prefix: 'training/', ExpirationInDays: 30 })]),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('model image: models/Dockerfile staged for linux/amd64 from an allow-listed context (no node_modules, cdk.out, .git, tests)', () => {
    const assets = JSON.parse(readFileSync(join(app.outdir, `${stack.artifactId}.assets.json`), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile?: string; platform?: string } }>;
    };
    const sources = Object.values(assets.dockerImages).map((d) => d.source);
    expect(sources).toEqual([expect.objectContaining({ dockerFile: 'models/Dockerfile', platform: 'linux/amd64' })]);
    expect(stack.resolve(stack.retraining.modelImageUri)).toEqual({ 'Fn::Sub': expect.stringContaining(`:${stack.retraining.modelImage!.assetHash}`) });
    const staged = join(app.outdir, sources[0].directory);
    for (const f of ['models/Dockerfile', 'package.json', 'package-lock.json', 'tsconfig.json', 'functions/core/resources.ts']) {
      expect(existsSync(join(staged, f)), f).toBe(true);
    }
    for (const f of ['node_modules', 'cdk.out', '.git', 'test', 'infra', '.harbinger', 'bench']) {
      expect(existsSync(join(staged, f)), f).toBe(false);
    }
  });

  it('models/Dockerfile: node:22 multi-stage build, tfjs external, entry node /opt/program/main.mjs, port 8080', () => {
    const dockerfile = readFileSync(join(PROJECT_ROOT, 'models/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
    expect(dockerfile).toContain('npm ci');
    expect(dockerfile).toMatch(/esbuild models\/main\.ts[\s\S]*--platform=node --format=esm --target=node22[\s\S]*'--external:@tensorflow\/\*'/);
    expect(dockerfile).toContain('EXPOSE 8080');
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/opt\/program\/main\.mjs"\]$/m);
  });

  it('window closer: HARBINGER_MODEL_ENDPOINT and HARBINGER_MODEL_BUCKET, InvokeEndpoint on the endpoint, reads only thresholds/', () => {
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack.windowCloser.function)].Properties;
    expect(fn.Environment.Variables).toMatchObject({
      [ENV.modelEndpoint]: names.modelEndpoint,
      [ENV.modelBucket]: { Ref: logicalId(stack.buckets.modelBucket) },
    });
    expect(fn.Environment.Variables[ENV.modelTimeoutMs]).toBeUndefined();
    const role = logicalId(stack.windowCloser.handler.role);
    expect(allowed(role, 'sagemaker:InvokeEndpoint').map((st) => st.Resource)).toEqual([endpointArn]);
    const models = logicalId(stack.buckets.modelBucket);
    const onModels = statementsOfRole(role).filter((st) => JSON.stringify(st.Resource).includes(`"${models}"`));
    expect(onModels.flatMap(actionsOf).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(onModels.find((st) => actionsOf(st).includes('s3:GetObject'))?.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [models, 'Arn'] }, '/thresholds/*']] });
    // The other handlers are not given the model endpoint.
    for (const h of [stack.scorer.handler, stack.profileBuilder.handler]) {
      const env = template.findResources('AWS::Lambda::Function')[logicalId(h.function)].Properties.Environment.Variables;
      expect(env[ENV.modelEndpoint]).toBeUndefined();
    }
  });
});

describe('retraining props (no bundling)', () => {
  it('schedule, instance type, serverless settings and model timeout reach the schedule, substitutions, deploy step and closer', async () => {
    const { ScheduleExpression } = await import('aws-cdk-lib/aws-scheduler');
    const s = new HarbingerStack(new App({ context: NO_BUNDLING }), 'Custom', {
      prefix: 'hb-dev',
      retrainingSchedule: ScheduleExpression.expression('rate(7 days)'),
      trainingInstanceType: 'ml.c5.xlarge',
      serverlessMemoryMb: 4096,
      serverlessMaxConcurrency: 20,
      modelTimeoutMs: 1500,
    });
    const cfn = s.retraining.stateMachine.node.defaultChild as sfn.CfnStateMachine;
    expect(cfn.stateMachineName).toBe('hb-dev-retraining');
    expect((cfn.definitionSubstitutions as Record<string, string>).TrainingInstanceType).toBe('ml.c5.xlarge');
    expect(s.retraining.endpointName).toBe('hb-dev-vae');
    const t = Template.fromStack(s);
    const env = (h: { function: lambda.IFunction }): Record<string, unknown> =>
      t.findResources('AWS::Lambda::Function')[s.resolve((h.function.node.defaultChild as lambda.CfnFunction).logicalId) as string].Properties.Environment.Variables;
    expect(env(s.retraining.steps.deploy)).toMatchObject({
      [RETRAINING_ENV.serverlessMemoryMb]: '4096',
      [RETRAINING_ENV.serverlessMaxConcurrency]: '20',
      [ENV.modelEndpoint]: 'hb-dev-vae',
    });
    expect(env(s.windowCloser.handler)).toMatchObject({ [ENV.modelEndpoint]: 'hb-dev-vae', [ENV.modelTimeoutMs]: '1500' });
    const schedule = t.findResources('AWS::Scheduler::Schedule');
    expect(Object.values(schedule).map((x) => x.Properties.ScheduleExpression)).toContain('rate(7 days)');
  });

  it('rejects an invalid instance type or serverless setting at construction', () => {
    const make = (id: string, props: object): HarbingerStack => new HarbingerStack(new App({ context: NO_BUNDLING }), id, props);
    expect(() => make('BadType', { trainingInstanceType: 'm5.large' })).toThrow(/trainingInstanceType/);
    expect(() => make('BadMemory', { serverlessMemoryMb: 3000 })).toThrow(/serverlessMemoryMb/);
    expect(() => make('BadConcurrency', { serverlessMaxConcurrency: 0 })).toThrow(/serverlessMaxConcurrency/);
  });

  it('a pre-built ECR image (harbinger:modelImageUri) replaces the Docker build: no image asset, the role pulls that repository', () => {
    const uri = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/harbinger-vae:2026-11-22';
    const s = new HarbingerStack(new App({ context: NO_BUNDLING }), 'Prebuilt', { modelImageUri: uri });
    expect(s.retraining.modelImage).toBeUndefined();
    expect(s.retraining.modelImageUri).toBe(uri);
    const cfn = s.retraining.stateMachine.node.defaultChild as sfn.CfnStateMachine;
    expect((cfn.definitionSubstitutions as Record<string, string>).TrainingImageUri).toBe(uri);
    const policies = JSON.stringify(Template.fromStack(s).findResources('AWS::IAM::Policy'));
    expect(policies).toContain('repository/harbinger-vae');
    expect(() => new HarbingerStack(new App({ context: NO_BUNDLING }), 'BadUri', { modelImageUri: 'docker.io/library/node:22' })).toThrow(/not an ECR image/);
    expect(harbingerPropsFromContext(new App({ context: { 'harbinger:modelImageUri': uri } }).node).modelImageUri).toBe(uri);
  });

  it('reads the retraining settings from context', () => {
    const ctx = new App({
      context: { 'harbinger:trainingInstanceType': 'ml.m5.xlarge', 'harbinger:serverlessMemoryMb': '2048', 'harbinger:serverlessMaxConcurrency': 10 },
    });
    expect(harbingerPropsFromContext(ctx.node)).toMatchObject({ trainingInstanceType: 'ml.m5.xlarge', serverlessMemoryMb: 2048, serverlessMaxConcurrency: 10 });
  });
});
