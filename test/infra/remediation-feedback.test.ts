/**
 * CDK assertions on the remediation rules and the feedback function: one EventBridge rule per
 * REMEDIATION_RULES entry with its exact pattern plus the resolution rule, all on the Harbinger bus
 * and targeting the remediation function; its IAM (REMEDIATION# items, invoking the capacity
 * function only); the feedback function's IAM (labels written under labels/ only).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { REMEDIATION_RULES } from '../../functions/core/remediation';
import { EVENTS, REMEDIATION_ENV } from '../../functions/core/resources';
import { HarbingerStack } from '../../infra/stack';
import { logicalIdIn, statementsOfRole as statementsIn, type HasDefaultChild, type Statement } from './template-helpers';

let stack: HarbingerStack;
let template: Template;

const logicalId = (construct: HasDefaultChild): string => logicalIdIn(stack, construct);

const statementsOfRole = (roleId: string): Statement[] => statementsIn(template, roleId);
const own = (roleId: string): Statement[] =>
  statementsOfRole(roleId).filter((s) => ![s.Action].flat().every((a) => /^(logs|xray):/.test(a)));

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new HarbingerStack(app, 'HarbingerRemediation', { env: { account: '123456789012', region: 'eu-west-1' } });
  template = Template.fromStack(stack);
}, 120_000);

describe('remediation', () => {
  it('deploys one rule per remediation rule, with its pattern, plus the resolution rule, on the Harbinger bus', () => {
    const fn = logicalId(stack.remediation.function);
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((r) =>
      JSON.stringify(r.Properties.Targets ?? []).includes(fn),
    );
    expect(rules).toHaveLength(REMEDIATION_RULES.length + 1);
    for (const r of rules) expect(r.Properties.EventBusName).toEqual({ Ref: logicalId(stack.alertBus.bus) });
    const patterns = rules.map((r) => r.Properties.EventPattern);
    for (const rule of REMEDIATION_RULES) {
      expect(patterns).toContainEqual({ source: [EVENTS.source], 'detail-type': [EVENTS.anomalyDetected], detail: { kind: [...rule.kinds], change: [...rule.changes] } });
    }
    expect(patterns).toContainEqual({ source: [EVENTS.source], 'detail-type': [EVENTS.anomalyResolved] });
  });

  it('may read and write its own attempts and invoke the capacity function, nothing else', () => {
    const env = template.findResources('AWS::Lambda::Function')[logicalId(stack.remediation.function)].Properties.Environment.Variables;
    expect(env[REMEDIATION_ENV.capacityFunction]).toEqual({ Ref: logicalId(stack.capacity.function) });
    const statements = own(logicalId(stack.remediation.handler.role));
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'lambda:InvokeFunction']);
    const table = statements.find((s) => [s.Action].flat().includes('dynamodb:PutItem'))!;
    expect(table.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['REMEDIATION#*'] } });
    const invoke = statements.find((s) => [s.Action].flat().includes('lambda:InvokeFunction'))!;
    expect(JSON.stringify(invoke.Resource)).toContain(logicalId(stack.capacity.function));
  });
});

describe('feedback', () => {
  it('reads anomalies, reads and writes labels, and moves only the CURRENT pointer', () => {
    const statements = own(logicalId(stack.feedback.handler.role));
    const byAction = (a: string): string => JSON.stringify(statements.filter((s) => [s.Action].flat().includes(a)).map((s) => s.Resource));
    expect(byAction('s3:PutObject')).toContain('/labels/*');
    expect(byAction('s3:PutObject')).not.toContain('/anomalies/');
    expect(byAction('s3:GetObject')).toContain('/anomalies/*');
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
  });
});
