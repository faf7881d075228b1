/**
 * The CloudWatch dashboard graphs every metric the handlers emit (functions/core/metrics.ts), from
 * the namespace and service dimension they emit it with, plus the stream's and the functions' own.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMESPACE, METRIC_SERVICES, METRICS } from '../../functions/core/metrics';
import { resourceNames } from '../../functions/core/resources';
import { HarbingerStack } from '../../infra/stack';

let body: string;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new HarbingerStack(app, 'HarbingerDashboard', { env: { account: '123456789012', region: 'eu-west-1' } });
  const dashboards = Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard');
  expect(Object.keys(dashboards)).toHaveLength(1);
  const props = Object.values(dashboards)[0].Properties;
  expect(props.DashboardName).toBe(resourceNames().dashboard);
  body = JSON.stringify(props.DashboardBody);
}, 120_000);

describe('CloudWatch dashboard', () => {
  it.each(Object.entries(METRICS))('graphs every %s metric with its service dimension', (service, names) => {
    const dimension = METRIC_SERVICES[service as keyof typeof METRIC_SERVICES];
    for (const name of Object.values(names)) {
      expect(body, name).toContain(`[\\"${METRIC_NAMESPACE}\\",\\"${name}\\",\\"service\\",\\"${dimension}\\"`);
    }
  });

  it('graphs the stream throughput and throttling and the scorer iterator age', () => {
    for (const m of ['IncomingRecords', 'IncomingBytes', 'WriteProvisionedThroughputExceeded', 'IteratorAge']) expect(body).toContain(m);
  });
});
