import { describe, expect, it } from 'vitest';
import { DEFAULT_PARTITION_RULES, parsePartitionRules, partitionOf, sanitisePartitionPart } from '../../functions/core/partition';

const R = DEFAULT_PARTITION_RULES;

describe('partitionOf with default rules', () => {
  it('harbinger groups: region, service, optional segment', () => {
    expect(partitionOf('/harbinger/eu-west-1/checkout', R, 'us-east-1')).toEqual({ key: 'checkout#eu-west-1', service: 'checkout', region: 'eu-west-1' });
    expect(partitionOf('/harbinger/eu-west-1/checkout/Canary', R, 'us-east-1')).toEqual({
      key: 'checkout#eu-west-1#canary',
      service: 'checkout',
      region: 'eu-west-1',
      segment: 'canary',
    });
    expect(partitionOf('/harbinger/default/checkout', R, 'us-east-1').key).toBe('checkout#us-east-1');
  });

  it('lambda, ecs, api gateway and fallback', () => {
    expect(partitionOf('/aws/lambda/Orders-Api', R, 'us-east-1').key).toBe('orders-api#us-east-1');
    expect(partitionOf('/aws/ecs/prod-cluster/payments', R, 'eu-central-1')).toEqual({
      key: 'payments#eu-central-1#prod-cluster',
      service: 'payments',
      region: 'eu-central-1',
      segment: 'prod-cluster',
    });
    expect(partitionOf('/ecs/web', R, 'us-west-2').key).toBe('web#us-west-2');
    expect(partitionOf('/aws/apigateway/public-api', R, 'us-east-1').key).toBe('public-api#us-east-1');
    expect(partitionOf('API-Gateway-Execution-Logs_a1b2c3/prod', R, 'us-east-1').key).toBe('a1b2c3#us-east-1#prod');
    expect(partitionOf('/custom/team/My Service!', R, 'us-east-1').key).toBe('my-service#us-east-1');
    expect(partitionOf('plain', R, 'us-east-1').key).toBe('plain#us-east-1');
    expect(partitionOf('', R, 'us-east-1').key).toBe('unknown#us-east-1');
  });

  it('memoises per log group (same object back) and respects the default region', () => {
    const a = partitionOf('/aws/lambda/memo', R, 'us-east-1');
    expect(partitionOf('/aws/lambda/memo', R, 'us-east-1')).toBe(a);
    expect(partitionOf('/aws/lambda/memo', R, 'eu-west-1').key).toBe('memo#eu-west-1');
    for (let i = 0; i < 5000; i++) partitionOf(`/aws/lambda/f${i}`, R, 'us-east-1');
    expect(partitionOf('/aws/lambda/f4999', R, 'us-east-1').key).toBe('f4999#us-east-1');
  });
});

describe('parsePartitionRules', () => {
  it('returns defaults for undefined/blank', () => {
    expect(parsePartitionRules(undefined)).toBe(DEFAULT_PARTITION_RULES);
    expect(parsePartitionRules('  ')).toBe(DEFAULT_PARTITION_RULES);
  });

  it('parses custom rules with constants', () => {
    const rules = parsePartitionRules('[{"pattern":"^/team-(?<segment>\\\\w+)/(?<service>[^/]+)$","region":"ap-south-1"},{"pattern":".*","service":"catch-all"}]');
    expect(rules).toHaveLength(2);
    expect(partitionOf('/team-blue/Billing', rules, 'us-east-1').key).toBe('billing#ap-south-1#blue');
    expect(partitionOf('/other', rules, 'us-east-1').key).toBe('catch-all#us-east-1');
  });

  it('throws helpful errors', () => {
    expect(() => parsePartitionRules('{not json')).toThrow(/not valid JSON.*e\.g\./s);
    expect(() => parsePartitionRules('{"pattern":"x"}')).toThrow(/not an array/);
    expect(() => parsePartitionRules('[]')).toThrow(/empty/);
    expect(() => parsePartitionRules('[{"pattern":"(?<service>[a-"}]')).toThrow(/rule 0 pattern .* not a valid regex/);
    expect(() => parsePartitionRules('[{"pattern":"^/x"}]')).toThrow(/neither captures/);
    expect(() => parsePartitionRules('[{"pattern":"(?<service>.*)","region":5}]')).toThrow(/"region" must be a string/);
    expect(() => parsePartitionRules('[42]')).toThrow(/rule 0 is not an object/);
  });
});

describe('sanitisePartitionPart', () => {
  it('keeps [a-z0-9-_.] only', () => {
    expect(sanitisePartitionPart('My_Service.v2 (beta)#1')).toBe('my_service.v2-beta-1');
  });
});
