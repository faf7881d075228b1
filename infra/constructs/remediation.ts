import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KEYS, REMEDIATION_ENV } from '../../functions/core/resources';
import { REMEDIATION_RULES, RESOLUTION_PATTERN, triggerPattern, type EventPattern } from '../../functions/core/remediation';
import { HarbingerFunction } from './harbinger-function';
import { acknowledgeNag, wildcardResourceAcks } from './nag';

/** Properties of {@link Remediation}. */
export interface RemediationProps {
  /** The bus the alerts are published on. */
  readonly eventBus: events.IEventBus;
  /** The state table (attempts: `REMEDIATION#<rule>` items). */
  readonly table: dynamodb.ITable;
  /** The capacity function (`capacity-now` action). */
  readonly capacityFunction: lambda.IFunction;
  /** Environment variables, from `handlerEnvironment`. */
  readonly environment: Record<string, string>;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Project root for bundling. @default the repository root */
  readonly projectRoot?: string;
}

const toCdkPattern = (p: EventPattern): events.EventPattern => ({ source: p.source, detailType: p['detail-type'], ...(p.detail ? { detail: p.detail } : {}) });

/**
 * Remediation: one EventBridge rule per entry of REMEDIATION_RULES (functions/core/remediation.ts)
 * plus one for "Log Anomaly Resolved", all targeting the remediation function, which runs the
 * rule's action once per incident (e.g. invokes the capacity function now on a volume surge) and
 * records whether the incident cleared within the rule's time.
 */
export class Remediation extends Construct {
  /** The remediation function. */
  public readonly function: nodejs.NodejsFunction;
  /** The underlying function construct (role, log group). */
  public readonly handler: HarbingerFunction;
  /** Rules by remediation rule id, plus `resolved`. */
  public readonly rules: Record<string, events.Rule> = {};

  constructor(scope: Construct, id: string, props: RemediationProps) {
    super(scope, id);
    this.handler = new HarbingerFunction(this, 'Handler', {
      entry: 'functions/remediation/handler.ts',
      description: 'Harbinger remediation: runs the action of a matching alert once per incident and records whether the incident cleared in time',
      serviceName: 'harbinger-remediation',
      environment: { ...props.environment, [REMEDIATION_ENV.capacityFunction]: props.capacityFunction.functionName },
      memorySize: 256,
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      projectRoot: props.projectRoot,
    });
    this.function = this.handler.function;
    const target = new targets.LambdaFunction(this.function, { retryAttempts: 4, maxEventAge: Duration.hours(1) });
    for (const rule of REMEDIATION_RULES) {
      this.rules[rule.id] = new events.Rule(this, `Rule-${rule.id}`, {
        eventBus: props.eventBus,
        description: `Harbinger remediation ${rule.id}: ${rule.description}`.slice(0, 512),
        eventPattern: toCdkPattern(triggerPattern(rule)),
        targets: [target],
      });
    }
    this.rules.resolved = new events.Rule(this, 'Resolved', {
      eventBus: props.eventBus,
      description: 'Harbinger remediation: incident resolutions settle the attempts',
      eventPattern: toCdkPattern(RESOLUTION_PATTERN),
      targets: [target],
    });
    // RemediationStore: Get/Put/Query on the REMEDIATION# items only.
    this.handler.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'Attempts',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [KEYS.remediationPk('*')] } },
      }),
    );
    props.capacityFunction.grantInvoke(this.handler.role);
    acknowledgeNag(
      this.handler.role,
      ...wildcardResourceAcks(
        [props.capacityFunction],
        ':*',
        (p) => `The remediation function invokes ${p} (the capacity-now action); grantInvoke also covers its qualified ARNs (versions/aliases). It invokes nothing else.`,
      ),
    );
  }
}
