import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONTEXT_KEYS, HarbingerStack, harbingerPropsFromContext } from './stack';

/**
 * The CDK app (cdk.json: `npx tsx infra/app.ts`). Context, all optional:
 *   -c harbinger:prefix=harbinger
 *   -c harbinger:logGroups=/aws/lambda/orders,/aws/ecs/payments
 *   -c harbinger:partitionRules='[...]'
 *   -c harbinger:shardCount=2  -c harbinger:parallelizationFactor=1
 *   -c harbinger:nag=false     (skip the cdk-nag AwsSolutions checks)
 */
const app = new App();
const props = harbingerPropsFromContext(app.node);
const prefix = props.prefix ?? 'harbinger';

new HarbingerStack(app, prefix === 'harbinger' ? 'Harbinger' : `Harbinger-${prefix}`, {
  ...props,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

const nag = app.node.tryGetContext(CONTEXT_KEYS.nag);
if (nag !== false && nag !== 'false') {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

app.synth();
