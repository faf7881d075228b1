/**
 * CDK assertions on the scenario runner: the state machine deployed from infra/scenario/definition.ts
 * (one definition, its substitution resolved), logged and traced; the scenario function's
 * environment and least-privilege IAM; the stack output; cdk-nag clean with specific
 * acknowledgements; and the function's real ESM bundle importable by Node.
 * HarbingerStack is synthesized once without bundling; one small stack bundles the function.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, SCENARIO_ENV, resourceNames, scenarioStateMachineName } from '../../functions/core/resources';
import { AlertBus } from '../../infra/constructs/alert-bus';
import { Buckets } from '../../infra/constructs/buckets';
import { handlerEnvironment } from '../../infra/constructs/harbinger-function';
import { LogStream } from '../../infra/constructs/log-stream';
import { nagArn } from '../../infra/constructs/nag';
import { ScenarioRunner } from '../../infra/constructs/scenario-runner';
import { StateTable } from '../../infra/constructs/state-table';
import { SCENARIO_STATES, SCENARIO_SUBSTITUTIONS, scenarioDefinitionString } from '../../infra/scenario/definition';
import { HarbingerStack } from '../../infra/stack';
import { logicalIdIn, statementsOfRole as statementsIn, type Statement } from './template-helpers';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const ENVIRONMENT = { account: ACCOUNT, region: REGION };

let stack: HarbingerStack;
let template: Template;

const logicalId = (construct: { node: { defaultChild?: unknown } }): string => logicalIdIn(stack, construct);
const getAtt = (construct: { node: { defaultChild?: unknown } }): unknown => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });

const statementsOfRole = (roleLogicalId: string): Statement[] => statementsIn(template, roleLogicalId);

/** A small stack: the scenario runner and what it needs. */
function smallStack(app: App): { stack: Stack; runner: ScenarioRunner } {
  const s = new Stack(app, 'ScenarioOnly', { env: ENVIRONMENT });
  const buckets = new Buckets(s, 'Buckets', { prefix: 'harbinger' });
  const stream = new LogStream(s, 'LogStream', { streamName: 'harbinger-logs' });
  const bus = new AlertBus(s, 'AlertBus', { eventBusName: 'harbinger-bus' });
  const table = new StateTable(s, 'StateTable', { tableName: 'harbinger-state' });
  const environment = handlerEnvironment({ table: table.table, anomalyBucket: buckets.anomalyBucket, datasetBucket: buckets.datasetBucket, eventBus: bus.bus, defaultRegion: REGION });
  const runner = new ScenarioRunner(s, 'ScenarioRunner', {
    prefix: 'harbinger',
    syntheticBucket: buckets.syntheticBucket,
    anomalyBucket: buckets.anomalyBucket,
    stream: stream.stream,
    eventBus: bus.bus,
    table: table.table,
    datasetBucket: buckets.datasetBucket,
    modelEndpointArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/harbinger-vae`,
    environment,
  });
  return { stack: s, runner };
}

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new HarbingerStack(app, 'HarbingerScenario', { env: ENVIRONMENT });
  template = Template.fromStack(stack);
}, 180_000);

describe('scenario state machine', () => {
  const props = (): Record<string, any> => template.findResources('AWS::StepFunctions::StateMachine')[logicalId(stack.scenarioRunner.stateMachine)].Properties;

  it('is the one definition (definition.ts), STANDARD, named from resources.ts, logged at ALL with execution data, traced', () => {
    const p = props();
    expect(p.StateMachineName).toBe(scenarioStateMachineName('harbinger'));
    expect(p.StateMachineType).toBe('STANDARD');
    expect(p.DefinitionString).toBe(scenarioDefinitionString());
    expect(p.TracingConfiguration).toEqual({ Enabled: true });
    expect(p.LoggingConfiguration).toEqual({
      Level: 'ALL',
      IncludeExecutionData: true,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt(stack.scenarioRunner.logGroup) } }],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/aws/vendedlogs/states/${scenarioStateMachineName('harbinger')}`, RetentionInDays: 30 });
  });

  it('substitutes exactly SCENARIO_SUBSTITUTIONS with the scenario function ARN: every task invokes it, with its step', () => {
    const p = props();
    const definition = p.DefinitionString as string;
    const placeholders = new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));
    expect([...placeholders]).toEqual([...SCENARIO_SUBSTITUTIONS]);
    expect(p.DefinitionSubstitutions).toEqual({ ScenarioFunctionArn: getAtt(stack.scenarioRunner.function) });
    const deployed = JSON.parse(definition.replace(/\$\{ScenarioFunctionArn\}/g, 'resolved:ScenarioFunctionArn')) as { States: Record<string, { Type: string; Resource?: string; Parameters?: { step?: string } }> };
    const tasks = Object.entries(deployed.States).filter(([, st]) => st.Type === 'Task');
    expect(tasks.map(([n, st]) => [n, st.Resource, st.Parameters?.step])).toEqual([
      [SCENARIO_STATES.generate, 'resolved:ScenarioFunctionArn', 'generate'],
      [SCENARIO_STATES.replayMinute, 'resolved:ScenarioFunctionArn', 'replayMinute'],
      [SCENARIO_STATES.report, 'resolved:ScenarioFunctionArn', 'report'],
      [SCENARIO_STATES.publish, 'resolved:ScenarioFunctionArn', 'publish'],
    ]);
    for (const state of Object.values(SCENARIO_STATES)) expect(Object.keys(deployed.States), state).toContain(state);
  });

  it('its role invokes the scenario function only', () => {
    const statements = statementsOfRole(logicalId(stack.scenarioRunner.stateMachine.role));
    const invoke = statements.filter((st) => [st.Action].flat().includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(JSON.stringify(invoke[0].Resource)).toContain(logicalId(stack.scenarioRunner.function));
    const actions = new Set(statements.flatMap((st) => [st.Action].flat()));
    expect([...actions].filter((a) => /^(s3|kinesis|events|dynamodb|sagemaker):/.test(a))).toEqual([]);
  });

  it('is a stack output, with the scenario function name', () => {
    template.hasOutput('ScenarioStateMachineArn', { Value: { Ref: logicalId(stack.scenarioRunner.stateMachine) } });
    template.hasOutput('ScenarioFunctionName', { Value: { Ref: logicalId(stack.scenarioRunner.function) } });
  });
});

describe('scenario function', () => {
  it('is a HarbingerFunction with 15 min, 2 GB, the shared environment plus the synthetic bucket, the stream and the state machine name', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: getAtt(stack.scenarioRunner.handler.role),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 900,
      MemorySize: 2048,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: {
          [ENV.table]: { Ref: logicalId(stack.stateTable.table) },
          [ENV.anomalyBucket]: { Ref: logicalId(stack.buckets.anomalyBucket) },
          [ENV.datasetBucket]: { Ref: logicalId(stack.buckets.datasetBucket) },
          [ENV.eventBus]: { Ref: logicalId(stack.alertBus.bus) },
          [ENV.defaultRegion]: REGION,
          [SCENARIO_ENV.syntheticBucket]: { Ref: logicalId(stack.buckets.syntheticBucket) },
          [SCENARIO_ENV.stream]: { Ref: logicalId(stack.logStream.stream) },
          [SCENARIO_ENV.stateMachine]: scenarioStateMachineName('harbinger'),
          POWERTOOLS_SERVICE_NAME: 'harbinger-scenario',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: logicalId(stack.scenarioRunner.function) }, MaximumRetryAttempts: 0 });
  });

  it('least privilege: scenario-runs/ in the synthetic bucket, anomalies/ and windows/ read-only, PutRecords + DescribeStreamSummary on the stream, PutEvents on the bus, GetItem on the table, InvokeEndpoint on the model endpoint, nothing else', () => {
    const role = logicalId(stack.scenarioRunner.handler.role);
    const statements = statementsOfRole(role).filter((st) => ![st.Action].flat().some((a) => a.startsWith('logs:') || a.startsWith('xray:')));
    const synthetic = logicalId(stack.buckets.syntheticBucket);
    const anomalies = logicalId(stack.buckets.anomalyBucket);
    const datasets = logicalId(stack.buckets.datasetBucket);
    const objects = (bucket: string, prefix: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, `/${prefix}*`]] });
    const simplified = statements.map((st) => ({ Action: [st.Action].flat().sort(), Resource: st.Resource, Condition: st.Condition }));
    expect(simplified).toEqual(
      expect.arrayContaining([
        { Action: ['s3:ListBucket'], Resource: { 'Fn::GetAtt': [synthetic, 'Arn'] }, Condition: { StringLike: { 's3:prefix': ['scenario-runs/*'] } } },
        { Action: ['s3:GetObject', 's3:PutObject'], Resource: objects(synthetic, 'scenario-runs/'), Condition: undefined },
        { Action: ['s3:ListBucket'], Resource: { 'Fn::GetAtt': [anomalies, 'Arn'] }, Condition: { StringLike: { 's3:prefix': ['anomalies/*'] } } },
        { Action: ['s3:GetObject'], Resource: objects(anomalies, 'anomalies/'), Condition: undefined },
        { Action: ['kinesis:DescribeStreamSummary', 'kinesis:PutRecords'], Resource: getAtt(stack.logStream.stream), Condition: undefined },
        { Action: ['events:PutEvents'], Resource: getAtt(stack.alertBus.bus), Condition: undefined },
        { Action: ['dynamodb:GetItem'], Resource: getAtt(stack.stateTable.table), Condition: undefined },
        { Action: ['s3:ListBucket'], Resource: { 'Fn::GetAtt': [datasets, 'Arn'] }, Condition: { StringLike: { 's3:prefix': ['windows/*'] } } },
        { Action: ['s3:GetObject'], Resource: objects(datasets, 'windows/'), Condition: undefined },
        { Action: ['sagemaker:InvokeEndpoint'], Resource: stack.resolve(stack.retraining.endpointArn), Condition: undefined },
      ]),
    );
    expect(simplified).toHaveLength(10);
    const actions = statements.flatMap((st) => [st.Action].flat());
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(actions.filter((a) => /^(s3:Delete|kinesis:Get|kms:)/.test(a))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:GetItem']);
    expect(actions.filter((a) => a.startsWith('sagemaker:'))).toEqual(['sagemaker:InvokeEndpoint']);
    // Writes go to scenario-runs/ only.
    const writes = statements.filter((st) => [st.Action].flat().includes('s3:PutObject'));
    expect(writes.map((st) => st.Resource)).toEqual([objects(synthetic, 'scenario-runs/')]);
    // Nothing on the whole synthetic or anomaly bucket.
    expect(JSON.stringify(statements.map((st) => st.Resource))).not.toMatch(/"\/\*"/);
  });
});

describe('cdk-nag AwsSolutions on the scenario runner', () => {
  it('no unacknowledged finding; each acknowledgement is specific, hides a real finding, and none is an action wildcard', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { stack: small, runner } = smallStack(app);
    const report = new AwsSolutionsChecks().validateScope(app);
    const inRunner = (path: string | undefined): boolean => Boolean(path?.startsWith(`${runner.node.path}/`));
    const mine = report.violations.filter((v) => v.violatingResources.some((r) => inRunner(r.constructPath)));
    expect(mine.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);

    const raw = new AwsSolutionsChecks();
    (raw as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    const findings = raw.validateScope(app).violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })));
    const acks: Array<{ path: string; id: string; reason: string }> = [];
    for (const c of runner.node.findAll()) {
      for (const entry of c.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) acks.push({ path: c.node.path, id: key.replace(/^annotation::/i, ''), reason });
      }
    }
    const synthetic = nagArn(small.node.findChild('Buckets').node.findChild('Synthetic'));
    const anomalies = nagArn(small.node.findChild('Buckets').node.findChild('Anomalies'));
    const datasets = nagArn(small.node.findChild('Buckets').node.findChild('Datasets'));
    expect(acks.filter((a) => a.path === runner.handler.role.node.path).map((a) => a.id).sort()).toEqual(
      [
        'AwsSolutions-IAM5[Resource::*]',
        `AwsSolutions-IAM5[Resource::${anomalies}/anomalies/*]`,
        `AwsSolutions-IAM5[Resource::${synthetic}/scenario-runs/*]`,
        `AwsSolutions-IAM5[Resource::${datasets}/windows/*]`,
      ].sort(),
    );
    expect(acks.filter((a) => a.id.includes('Action::'))).toEqual([]);
    for (const ack of acks) {
      expect(ack.reason.length, ack.id).toBeGreaterThanOrEqual(60);
      expect(findings.some((f) => f.id === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`))), `stale ${ack.id} on ${ack.path}`).toBe(true);
    }
  }, 120_000);
});

describe('bundle', () => {
  it('the scenario function bundles as an ES module that Node imports, exporting handler', () => {
    const app = new App();
    const { runner } = smallStack(app);
    const assembly = app.synth();
    const asset = runner.function.node.findChild('Code') as s3assets.Asset;
    const file = join(assembly.directory, asset.assetPath, 'index.mjs');
    expect(existsSync(file), file).toBe(true);
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(typeof m.handler);`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: REGION, [SCENARIO_ENV.syntheticBucket]: 's', [SCENARIO_ENV.stream]: 'k', [ENV.anomalyBucket]: 'a', [ENV.eventBus]: 'b' },
    });
    expect(out.trim().split('\n').at(-1)).toBe('function');
  }, 120_000);
});

// resourceNames stays the stack's source of names (the state machine's name comes from resources.ts too).
it('names: the scenario state machine is prefixed like every other resource', () => {
  expect(scenarioStateMachineName('hb-dev')).toBe('hb-dev-scenario-runs');
  expect(resourceNames('hb-dev').retrainingStateMachine.startsWith('hb-dev-')).toBe(true);
});
