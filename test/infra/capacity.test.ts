/**
 * CDK assertions on the capacity function in the HarbingerStack: its schedule and input, its
 * environment, IAM scoped to the stream, the scorer and its mapping, its table items, its two
 * dataset prefixes and the bus, the dryRun prop / context key, and cdk-nag. Synthesized once with
 * bundling skipped (stack.test.ts bundles every handler, this one included).
 */
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { CAPACITY_ENV } from '../../functions/core/resources';
import { nagArn } from '../../infra/constructs/nag';
import { HarbingerStack, harbingerPropsFromContext } from '../../infra/stack';
import { actionsOf, logicalIdIn, statementsOfRole, type HasDefaultChild } from './template-helpers';

const ENVIRONMENT = { account: '123456789012', region: 'eu-west-1' };

let app: App;
let stack: HarbingerStack;
let template: Template;

const logicalId = (construct: HasDefaultChild): string => logicalIdIn(stack, construct);

const actions = actionsOf;

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new HarbingerStack(app, 'HarbingerCapacity', { env: ENVIRONMENT });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  template = Template.fromStack(stack);
}, 120_000);

describe('Capacity construct', () => {
  it('runs every 5 minutes with the scheduled time and dryRun in its input, one run at a time', () => {
    const fn = logicalId(stack.capacity.function);
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).filter(
      (s) => JSON.stringify(s.Properties.Target.Arn) === JSON.stringify({ 'Fn::GetAtt': [fn, 'Arn'] }),
    );
    expect(schedules).toHaveLength(1);
    expect(schedules[0].Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 } },
    });
    expect(JSON.parse(schedules[0].Properties.Target.Input)).toEqual({ time: '<aws.scheduler.scheduled-time>', dryRun: false });
    const props = template.findResources('AWS::Lambda::Function')[fn].Properties;
    expect(props).toMatchObject({ Runtime: 'nodejs22.x', MemorySize: 1024, Timeout: 240, ReservedConcurrentExecutions: 1 });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: fn }, MaximumRetryAttempts: 0 });
  });

  it('knows the stream, the scorer and its event source mapping from the environment', () => {
    const vars = template.findResources('AWS::Lambda::Function')[logicalId(stack.capacity.function)].Properties.Environment.Variables;
    expect(vars[CAPACITY_ENV.stream]).toEqual({ Ref: logicalId(stack.logStream.stream) });
    expect(vars[CAPACITY_ENV.scorerFunction]).toEqual({ Ref: logicalId(stack.scorer.function) });
    const mapping = Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'))[0];
    expect(vars[CAPACITY_ENV.scorerMapping]).toEqual({ Ref: mapping });
    expect(vars[CAPACITY_ENV.dryRun]).toBe('false');
    expect(vars.POWERTOOLS_SERVICE_NAME).toBe('harbinger-capacity');
  });

  it('IAM: exactly its stream, scorer, mapping, table items, two dataset prefixes and the bus', () => {
    const st = statementsOfRole(template, logicalId(stack.capacity.handler.role));
    const bySid = (sid: string) => st.find((s) => s.Sid === sid)!;
    expect(actions(bySid('ResizeStream')).sort()).toEqual(['kinesis:DescribeStreamSummary', 'kinesis:UpdateShardCount']);
    expect(bySid('ResizeStream').Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack.logStream.stream), 'Arn'] });
    expect(actions(bySid('SizeScorerMemory')).sort()).toEqual(['lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionConfiguration']);
    expect(bySid('SizeScorerMemory').Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack.scorer.function), 'Arn'] });
    expect(actions(bySid('SizeScorerParallelization')).sort()).toEqual(['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping']);
    expect(JSON.stringify(bySid('SizeScorerParallelization').Resource)).toContain('event-source-mapping:');
    expect(bySid('CapacityState')).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      Resource: { 'Fn::GetAtt': [logicalId(stack.stateTable.table), 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CAPACITY#*'] } },
    });
    expect(JSON.stringify(bySid('ReadWindows').Resource)).toContain('/windows/*');
    expect(actions(bySid('ReadWindows'))).toEqual(['s3:GetObject']);
    expect(JSON.stringify(bySid('WriteShadowLog').Resource)).toContain('/shadow/*');
    expect(actions(bySid('WriteShadowLog'))).toEqual(['s3:PutObject']);
    const all = new Set(st.flatMap(actions));
    expect(all).toContain('events:PutEvents');
    expect([...all].filter((a) => /^(s3:Delete|dynamodb:(Scan|Query|DeleteItem|UpdateItem)|kinesis:Put|lambda:Invoke)/.test(a))).toEqual([]);
    const unexpected = [...all].filter((a) => !/^(kinesis|lambda|dynamodb|s3|events|logs|xray):/.test(a));
    expect(unexpected).toEqual([]);
  });

  it('dryRun comes from the prop or the harbinger:capacityDryRun context key', () => {
    expect(harbingerPropsFromContext(new App({ context: { 'harbinger:capacityDryRun': 'true' } }).node).capacityDryRun).toBe(true);
    expect(harbingerPropsFromContext(new App().node).capacityDryRun).toBeUndefined();
    expect(() => harbingerPropsFromContext(new App({ context: { 'harbinger:capacityDryRun': 'yes' } }).node)).toThrow(/true or false/);
    const dryApp = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const dry = new HarbingerStack(dryApp, 'Dry', { env: ENVIRONMENT, capacityDryRun: true });
    const t = Template.fromStack(dry);
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ [CAPACITY_ENV.dryRun]: 'true' }) } });
    t.hasResourceProperties('AWS::Scheduler::Schedule', { Target: Match.objectLike({ Input: JSON.stringify({ time: '<aws.scheduler.scheduled-time>', dryRun: true }) }) });
  });

  it('is cdk-nag clean; it acknowledges only its two dataset prefixes, its invoke ARN, runtime and X-Ray', () => {
    const report = new AwsSolutionsChecks().validateScope(stack.capacity);
    expect(report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    const acks = (path: string): string[] =>
      stack.capacity.node
        .findAll()
        .filter((c) => c.node.path === path)
        .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
        .flatMap((m) => Object.keys(m.data as Record<string, string>).map((k) => k.replace(/^annotation::/i, '')))
        .sort();
    const datasets = nagArn(stack.buckets.datasetBucket);
    expect(acks(stack.capacity.handler.role.node.path)).toEqual(
      ['AwsSolutions-IAM5[Resource::*]', `AwsSolutions-IAM5[Resource::${datasets}/shadow/*]`, `AwsSolutions-IAM5[Resource::${datasets}/windows/*]`].sort(),
    );
    expect(acks(stack.capacity.node.findChild('SchedulerRole').node.path)).toEqual([`AwsSolutions-IAM5[Resource::${nagArn(stack.capacity.function)}:*]`]);
    expect(acks(stack.capacity.function.node.path)).toEqual(['AwsSolutions-L1']);
  });
});
