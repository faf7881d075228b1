/**
 * cdk-nag AwsSolutions on the whole HarbingerStack (with log subscriptions, so every construct is
 * present). Synthesized ONCE, with bundling skipped (`aws:cdk:bundling-stacks: []`): cdk-nag reads the
 * resources, not the Lambda code, and stack.test.ts already checks the real bundles.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nagArn } from '../../infra/constructs/nag';
import { HarbingerStack } from '../../infra/stack';

interface Ack {
  path: string;
  id: string;
  reason: string;
}

let app: App;
let stack: HarbingerStack;
let synthError: unknown;
let acks: Ack[];

/** Every acknowledgement recorded in the construct tree (cdk-nag reads the same metadata). */
function collectAcks(root: IConstruct): Ack[] {
  const found: Ack[] = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: c.node.path, id: key.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return found;
}

const describeViolations = (violations: { ruleName: string; description: string; violatingResources: { constructPath?: string }[] }[]): string[] =>
  violations.map((v) => `${v.ruleName} ${v.description} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new HarbingerStack(app, 'HarbingerNag', {
    env: { account: '123456789012', region: 'eu-west-1' },
    logGroupNames: ['/aws/lambda/orders', '/ecs/payments-api'],
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (e) {
    synthError = e;
  }
  acks = collectAcks(app);
}, 180_000);

describe('cdk-nag AwsSolutions', () => {
  it('synth with AwsSolutionsChecks registered as a validation plugin succeeds', () => {
    expect(synthError).toBeUndefined();
  });

  it('reports no unacknowledged errors or warnings', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(describeViolations(report.violations)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('every acknowledgement carries a specific reason', () => {
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, `${ack.path}`).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length, `${ack.path} ${ack.id}: "${ack.reason}"`).toBeGreaterThanOrEqual(60);
    }
    // A reason is written for its finding: different findings never share one reason text.
    const idsByReason = new Map<string, Set<string>>();
    for (const ack of acks) idsByReason.set(ack.reason, (idsByReason.get(ack.reason) ?? new Set()).add(ack.id));
    for (const [reason, ids] of idsByReason) expect([...ids], reason).toHaveLength(1);
  });

  it('every acknowledgement matches a finding cdk-nag raises without it (none is stale or too broad)', () => {
    const raw = new AwsSolutionsChecks();
    // Private in the typings; replaced only here, to see the findings the acknowledgements hide.
    (raw as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    const findings = raw.validateScope(app).violations.flatMap((v) =>
      v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })),
    );
    for (const ack of acks) {
      const hit = findings.some((f) => f.id === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)));
      expect(hit, `stale acknowledgement ${ack.id} on ${ack.path}`).toBe(true);
    }
  });

  it('profile builder: no action wildcard is acknowledged, only its three read prefixes, its invoke ARN, runtime and X-Ray', () => {
    const builder = stack.profileBuilder;
    const datasets = nagArn(stack.buckets.datasetBucket);
    const fn = nagArn(builder.function);
    const ids = (path: string): string[] => acks.filter((a) => a.path === path).map((a) => a.id).sort();
    expect(ids(builder.handler.role.node.path)).toEqual(
      [
        'AwsSolutions-IAM5[Resource::*]',
        `AwsSolutions-IAM5[Resource::${datasets}/catalogue/*]`,
        `AwsSolutions-IAM5[Resource::${datasets}/windows/*]`,
        `AwsSolutions-IAM5[Resource::${nagArn(stack.buckets.syntheticBucket)}/scenario-runs/*]`,
      ].sort(),
    );
    expect(ids(builder.node.findChild('SchedulerRole').node.path)).toEqual([`AwsSolutions-IAM5[Resource::${fn}:*]`]);
    expect(ids(builder.function.node.path)).toEqual(['AwsSolutions-L1']);
    expect(acks.filter((a) => a.path.startsWith(`${builder.node.path}/`) && a.id.includes('Action::'))).toEqual([]);
  });

  it('retraining: no action wildcard is acknowledged; every resource wildcard is a named prefix, a <prefix>- name or an invoke ARN', () => {
    const retraining = stack.retraining;
    const inRetraining = acks.filter((a) => a.path === retraining.node.path || a.path.startsWith(`${retraining.node.path}/`));
    expect(inRetraining.filter((a) => a.id.includes('Action::'))).toEqual([]);
    const models = nagArn(stack.buckets.modelBucket);
    const datasets = nagArn(stack.buckets.datasetBucket);
    const ids = (path: string): string[] => acks.filter((a) => a.path === path).map((a) => a.id).sort();
    expect(ids(retraining.steps.prepare.role.node.path)).toEqual(
      [
        'AwsSolutions-IAM5[Resource::*]',
        `AwsSolutions-IAM5[Resource::${nagArn(stack.buckets.anomalyBucket)}/labels/*]`,
        `AwsSolutions-IAM5[Resource::${datasets}/windows/*]`,
        `AwsSolutions-IAM5[Resource::${models}/training/*]`,
        `AwsSolutions-IAM5[Resource::${nagArn(stack.buckets.syntheticBucket)}/scenario-runs/*]`,
      ].sort(),
    );
    expect(ids(retraining.steps.publish.role.node.path)).toEqual(['AwsSolutions-IAM5[Resource::*]', `AwsSolutions-IAM5[Resource::${models}/thresholds/*]`].sort());
    expect(ids(retraining.steps.endpointStatus.role.node.path)).toEqual(['AwsSolutions-IAM5[Resource::*]']);
    // Nothing on the whole model bucket (`<bucket>/*`) for anyone in the retraining.
    expect(inRetraining.filter((a) => a.id === `AwsSolutions-IAM5[Resource::${models}/*]`)).toEqual([]);
  });

  it('feedback: reads anomalies and labels, writes labels only; no action wildcard', () => {
    const anomalies = nagArn(stack.buckets.anomalyBucket);
    const path = stack.feedback.handler.role.node.path;
    const own = acks.filter((a) => a.path === path).map((a) => a.id).sort();
    expect(own.filter((id) => id.includes(`${anomalies}`))).toEqual([`AwsSolutions-IAM5[Resource::${anomalies}/anomalies/*]`, `AwsSolutions-IAM5[Resource::${anomalies}/labels/*]`].sort());
    expect(own.filter((id) => id.includes('Action::'))).toEqual([]);
  });

  it('window closer: the model bucket wildcard acknowledged is thresholds/ only', () => {
    const models = nagArn(stack.buckets.modelBucket);
    const closerAcks = acks.filter((a) => a.path === stack.windowCloser.handler.role.node.path && a.id.includes(`${models}`));
    expect(closerAcks.map((a) => a.id)).toEqual([`AwsSolutions-IAM5[Resource::${models}/thresholds/*]`]);
  });
});
