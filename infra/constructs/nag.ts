import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How cdk-nag renders the ARN of a resource defined in this app inside a finding id, e.g.
 * `<BucketsAnomalies4894C3F4.Arn>`. Computed from the resource's logical id, so acknowledgements keep
 * matching when construct ids change.
 */
export function nagArn(construct: IConstruct): string | undefined {
  const cfn = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  // Imported resources have no CloudFormation resource: their ARNs render differently (or literally).
  if (!(cfn instanceof CfnResource)) return undefined;
  return `<${Stack.of(cfn).resolve(cfn.logicalId) as string}.Arn>`;
}

/**
 * Acknowledgements for the `<resource ARN><suffix>` wildcard finding (IAM5) of each resource defined in
 * this app; imported resources are skipped.
 */
export function wildcardResourceAcks(resources: IConstruct[], suffix: string, reason: (path: string) => string): NagAcknowledgement[] {
  return resources.flatMap((r) => {
    const arn = nagArn(r);
    return arn ? [{ id: `AwsSolutions-IAM5[Resource::${arn}${suffix}]`, reason: reason(r.node.path) }] : [];
  });
}

/** One cdk-nag acknowledgement: the exact rule or `Rule[finding]` id, and why it is acceptable here. */
export interface NagAcknowledgement {
  /** e.g. `AwsSolutions-L1` or `AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  /** A specific reason (it is kept in the construct metadata as the audit trail). */
  readonly reason: string;
}

/** Acknowledges cdk-nag findings on `scope` and everything below it. */
export function acknowledgeNag(scope: IConstruct, ...acks: NagAcknowledgement[]): void {
  for (const ack of acks) {
    if (ack.reason.trim().length < 20) {
      throw new Error(`acknowledgeNag(${ack.id}) on ${scope.node.path}: give a specific reason, not "${ack.reason}".`);
    }
  }
  Validations.of(scope).acknowledge(...acks);
}

/** The finding every X-Ray-traced function's role raises (xray:Put* has no resource-level permissions). */
export const XRAY_WILDCARD_ACK: NagAcknowledgement = {
  id: 'AwsSolutions-IAM5[Resource::*]',
  reason:
    'Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which do not support resource-level permissions; Resource * is the only valid value.',
};

/** Node.js 22 is pinned on purpose, while cdk-nag L1 asks for the newest runtime aws-cdk-lib knows. */
export const NODE22_RUNTIME_ACK: NagAcknowledgement = {
  id: 'AwsSolutions-L1',
  reason:
    'Runtime pinned to Node.js 22 (nodejs22.x, an LTS line maintained until April 2027): the bundle is built with target node22 and tested on Node 20/22 with the pinned @middy/core 6 and Powertools 2.35; moving to nodejs24.x is a deliberate upgrade, not a synth-time default.',
};
