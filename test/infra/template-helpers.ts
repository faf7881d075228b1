/**
 * Helpers the CDK assertion tests share: logical ids of constructs and the IAM statements attached
 * to a role in a synthesized template.
 */
import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';

/** Anything with a CloudFormation resource as its default child. */
export interface HasDefaultChild {
  node: { defaultChild?: unknown };
}

/** Logical id of a construct's CloudFormation resource in `stack`. */
export function logicalIdIn(stack: Stack, construct: HasDefaultChild): string {
  return stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;
}

/** An IAM policy statement as synthesized. */
export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of the identity policies attached to a role. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** A statement's actions as a list. */
export const actionsOf = (st: Statement): string[] => [st.Action].flat();
